/**
 * Garbage collection of leaked instances: an instance tagged for this cluster that no NodeClaim
 * record owns, launched longer ago than a grace period (a launch writes the instance before its
 * record), is terminated. NodeClaims whose instance is gone are reported so the caller can remove them.
 */
import type { Cloud, CloudInstance } from "../ports/cloud.ts";
import { instanceIdFromProviderId } from "../ports/cloud.ts";

export const DEFAULT_GC_GRACE_MS = 30_000;

export interface NodeClaimRecordRef {
  name: string;
  providerId?: string;
  /** When the record was created (ms); a young record's instance may not be listed yet. */
  createdAtMs?: number;
}

export interface GcDecision {
  terminate: CloudInstance[];
  /** NodeClaims that have a providerID whose instance is no longer live. */
  vanishedNodeClaims: string[];
}

export function decideGarbageCollection(input: {
  instances: CloudInstance[];
  nodeClaims: NodeClaimRecordRef[];
  nowMs: number;
  graceMs?: number;
}): GcDecision {
  const grace = input.graceMs ?? DEFAULT_GC_GRACE_MS;
  const ownedIds = new Set(input.nodeClaims.map((n) => (n.providerId ? instanceIdFromProviderId(n.providerId) : undefined)).filter((x): x is string => !!x));
  const claimNames = new Set(input.nodeClaims.map((n) => n.name));
  const terminate = input.instances
    .filter((i) => i.state !== "shutting-down" && i.state !== "terminated")
    .filter((i) => !ownedIds.has(i.instanceId) && !(i.nodeClaimName !== undefined && claimNames.has(i.nodeClaimName)))
    .filter((i) => input.nowMs - i.launchTimeMs >= grace)
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  const liveIds = new Set(input.instances.filter((i) => i.state !== "terminated").map((i) => i.instanceId));
  const vanishedNodeClaims = input.nodeClaims
    .filter((n) => {
      const id = n.providerId ? instanceIdFromProviderId(n.providerId) : undefined;
      if (!id || liveIds.has(id)) return false;
      return n.createdAtMs === undefined || input.nowMs - n.createdAtMs >= grace;
    })
    .map((n) => n.name)
    .sort();
  return { terminate, vanishedNodeClaims };
}

/** Lists, decides, terminates. Returns the decision that was carried out. */
export async function collectGarbage(cloud: Cloud, nodeClaims: NodeClaimRecordRef[], nowMs: number, graceMs?: number): Promise<GcDecision> {
  const decision = decideGarbageCollection({ instances: await cloud.list(), nodeClaims, nowMs, ...(graceMs !== undefined ? { graceMs } : {}) });
  for (const instance of decision.terminate) await cloud.delete(instance.instanceId);
  return decision;
}
