/**
 * What the lifecycle tick should do about each NodeClaim record, Node and instance. Pure: the
 * caller observes, this decides, lifecycle.ts acts.
 *  - registration: a Node with the record's provider ID appeared;
 *  - initialization: that Node is Ready, its startup taints are gone and every extended resource
 *    the NodeClaim's pods request is registered;
 *  - liveness: launched but no Node within the registration TTL (terminate, forget); never
 *    launched and older than the pending TTL, or out of launch attempts (forget);
 *  - garbage collection: instances tagged for the cluster that no record owns, and records whose
 *    instance is gone (lib/cloud/aws/gc.ts decides both).
 */
import type { Taint } from "../api/types.ts";
import { decideGarbageCollection } from "../cloud/aws/gc.ts";
import type { Node } from "../k8s/types.ts";
import type { CloudInstance } from "../ports/cloud.ts";
import { instanceIdFromProviderId } from "../ports/cloud.ts";
import type { NodeClaimRecord } from "../ports/store.ts";
import { parseResources } from "../quantity/resources.ts";

export const UNREGISTERED_TAINT_KEY = "karpenter.sh/unregistered";
export const TERMINATION_FINALIZER = "karpenter.sh/termination";
/** Resources every node reports; anything else a NodeClaim requests must show up in allocatable first. */
const WELL_KNOWN_RESOURCES = new Set(["cpu", "memory", "pods", "ephemeral-storage"]);

export type LifecycleAction =
  | { kind: "register"; record: NodeClaimRecord; node: Node }
  | { kind: "initialize"; record: NodeClaimRecord; node: Node }
  | { kind: "terminate-unregistered"; record: NodeClaimRecord; instanceId: string | undefined }
  | { kind: "forget"; record: NodeClaimRecord; reason: string }
  | { kind: "terminate-leaked"; instance: CloudInstance }
  | { kind: "remove-vanished"; record: NodeClaimRecord; node: Node | undefined };

export interface LifecycleTiming {
  registrationTtlMs: number;
  pendingRecordTtlMs: number;
  gcGraceMs: number;
  launchAttempts: number;
}

export interface LifecycleInput {
  records: readonly NodeClaimRecord[];
  nodes: readonly Node[];
  /** Instances tagged for this cluster (cloud.list()). */
  instances: readonly CloudInstance[];
  nowMs: number;
  timing: LifecycleTiming;
}

export function isNodeReady(node: Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

function hasTaint(node: Node, taint: Pick<Taint, "key" | "effect">): boolean {
  return (node.spec.taints ?? []).some((t) => t.key === taint.key && t.effect === taint.effect);
}

/** Why the node is not initialized yet, or undefined when it is. */
export function notInitializedBecause(record: NodeClaimRecord, node: Node): string | undefined {
  if (!isNodeReady(node)) return "not Ready";
  if ((node.spec.taints ?? []).some((t) => t.key === UNREGISTERED_TAINT_KEY)) return `still tainted ${UNREGISTERED_TAINT_KEY}`;
  const startup = record.nodeClaim.spec.startupTaints.find((t) => hasTaint(node, t));
  if (startup) return `startup taint ${startup.key}:${startup.effect} still present`;
  const requested = parseResources(record.nodeClaim.spec.resources?.requests);
  const allocatable = parseResources(node.status?.allocatable);
  for (const [name, amount] of Object.entries(requested)) {
    if (WELL_KNOWN_RESOURCES.has(name) || amount <= 0) continue;
    if (!((allocatable[name] ?? 0) > 0)) return `requested resource ${name} not registered yet`;
  }
  return undefined;
}

function launchedAtMs(record: NodeClaimRecord): number {
  return record.launch.lastAttemptAtMs ?? record.createdAtMs;
}

export function decideLifecycle(input: LifecycleInput): LifecycleAction[] {
  const { nowMs, timing } = input;
  const nodeByProviderId = new Map<string, Node>();
  for (const node of input.nodes) if (node.spec.providerID) nodeByProviderId.set(node.spec.providerID, node);
  const actions: LifecycleAction[] = [];
  const gc = decideGarbageCollection({
    instances: [...input.instances],
    nodeClaims: input.records.map((r) => ({
      name: r.name,
      createdAtMs: r.createdAtMs,
      ...(r.nodeClaim.status?.providerID ? { providerId: r.nodeClaim.status.providerID } : {}),
    })),
    nowMs,
    graceMs: timing.gcGraceMs,
  });
  const vanished = new Set(gc.vanishedNodeClaims);

  for (const record of input.records) {
    if (vanished.has(record.name)) continue;
    const providerId = record.nodeClaim.status?.providerID;
    const node = providerId ? nodeByProviderId.get(providerId) : undefined;
    if (record.phase === "Pending") {
      if (record.launch.attempts >= timing.launchAttempts) {
        actions.push({ kind: "forget", record, reason: `launch failed ${record.launch.attempts} times: ${record.launch.lastError ?? "unknown error"}` });
      } else if (nowMs - record.createdAtMs >= timing.pendingRecordTtlMs) {
        actions.push({ kind: "forget", record, reason: `never launched within ${Math.round(timing.pendingRecordTtlMs / 1000)} s` });
      }
      continue;
    }
    if (record.phase === "Launched") {
      if (node) {
        actions.push({ kind: "register", record, node });
      } else if (nowMs - launchedAtMs(record) >= timing.registrationTtlMs) {
        const instanceId = record.launch.instanceId ?? (providerId ? instanceIdFromProviderId(providerId) : undefined);
        actions.push({ kind: "terminate-unregistered", record, instanceId });
      }
      continue;
    }
    if (record.phase === "Registered" && node && !notInitializedBecause(record, node)) {
      actions.push({ kind: "initialize", record, node });
    }
  }

  for (const instance of gc.terminate) actions.push({ kind: "terminate-leaked", instance });
  const byName = new Map(input.records.map((r) => [r.name, r]));
  for (const name of gc.vanishedNodeClaims) {
    const record = byName.get(name);
    if (!record) continue;
    const providerId = record.nodeClaim.status?.providerID;
    actions.push({ kind: "remove-vanished", record, node: providerId ? nodeByProviderId.get(providerId) : undefined });
  }
  return actions;
}
