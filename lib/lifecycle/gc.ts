/**
 * Garbage collection of instances Tenon launched that no NodeClaim record owns: one tagged for this
 * cluster by Tenon's ownership tag (see tags.ts) that no record points at, launched longer ago than
 * a grace period (a launch writes the instance before its record), is terminated. That covers
 * leaks (no record names the instance's NodeClaim) and duplicates (a record names it but points
 * at another instance: DescribeInstances is eventually consistent, so a retried launch can make a
 * second instance for one NodeClaim). An instance whose Node is Ready is never terminated here: it
 * may run pods, which need a drain first (termination, which comes later); it is spared, and the
 * caller logs and counts it. NodeClaims whose instance is gone are reported so the caller can
 * remove them. Pure: the caller observes and acts.
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

/** A Node that reports Ready, by the provider ID of its instance. */
export interface ReadyNodeRef {
  name: string;
  providerId: string;
}

export interface SparedInstance {
  instance: CloudInstance;
  nodeName: string;
  reason: string;
}

export interface GcDecision {
  terminate: CloudInstance[];
  /** Instances GC would have terminated but whose Node is Ready: left alone. */
  spared: SparedInstance[];
  /** NodeClaims that have a providerID whose instance is no longer live. */
  vanishedNodeClaims: string[];
}

/** Why no record owns the instance, or undefined when one does (or may be about to). */
function unownedBecause(instance: CloudInstance, ownedIds: ReadonlySet<string>, records: ReadonlyMap<string, NodeClaimRecordRef>): string | undefined {
  if (ownedIds.has(instance.instanceId)) return undefined;
  const record = instance.nodeClaimName !== undefined ? records.get(instance.nodeClaimName) : undefined;
  if (!record) return "no NodeClaim record owns it";
  // The record has no instance yet: its launch may be writing this one now.
  if (!record.providerId) return undefined;
  return `a duplicate: NodeClaim ${record.name} points at ${instanceIdFromProviderId(record.providerId) ?? record.providerId}`;
}

export function decideGarbageCollection(input: {
  instances: CloudInstance[];
  nodeClaims: NodeClaimRecordRef[];
  /** Nodes that are Ready; their instances are never terminated by GC. */
  readyNodes?: readonly ReadyNodeRef[];
  nowMs: number;
  graceMs?: number;
}): GcDecision {
  const grace = input.graceMs ?? DEFAULT_GC_GRACE_MS;
  const ownedIds = new Set(input.nodeClaims.map((n) => (n.providerId ? instanceIdFromProviderId(n.providerId) : undefined)).filter((x): x is string => !!x));
  const records = new Map(input.nodeClaims.map((n) => [n.name, n]));
  const readyNodeOf = new Map<string, string>();
  for (const node of input.readyNodes ?? []) {
    const id = instanceIdFromProviderId(node.providerId);
    if (id) readyNodeOf.set(id, node.name);
  }
  const terminate: CloudInstance[] = [];
  const spared: SparedInstance[] = [];
  const candidates = input.instances
    .filter((i) => i.state !== "shutting-down" && i.state !== "terminated")
    .filter((i) => input.nowMs - i.launchTimeMs >= grace)
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  for (const instance of candidates) {
    const why = unownedBecause(instance, ownedIds, records);
    if (!why) continue;
    const nodeName = readyNodeOf.get(instance.instanceId);
    if (nodeName) spared.push({ instance, nodeName, reason: `${why}, but its Node ${nodeName} is Ready: it needs termination with a drain, not garbage collection` });
    else terminate.push(instance);
  }
  const liveIds = new Set(input.instances.filter((i) => i.state !== "terminated").map((i) => i.instanceId));
  const vanishedNodeClaims = input.nodeClaims
    .filter((n) => {
      const id = n.providerId ? instanceIdFromProviderId(n.providerId) : undefined;
      if (!id || liveIds.has(id)) return false;
      return n.createdAtMs === undefined || input.nowMs - n.createdAtMs >= grace;
    })
    .map((n) => n.name)
    .sort();
  return { terminate, spared, vanishedNodeClaims };
}

/** Lists, decides, terminates. Returns the decision that was carried out. */
export async function collectGarbage(cloud: Cloud, nodeClaims: NodeClaimRecordRef[], nowMs: number, graceMs?: number, readyNodes?: readonly ReadyNodeRef[]): Promise<GcDecision> {
  const decision = decideGarbageCollection({
    instances: await cloud.list(), nodeClaims, nowMs, ...(graceMs !== undefined ? { graceMs } : {}), ...(readyNodes ? { readyNodes } : {}),
  });
  for (const instance of decision.terminate) await cloud.delete(instance.instanceId);
  return decision;
}
