/**
 * What the lifecycle tick should do about each NodeClaim record, Node and instance. Pure: the
 * caller observes, this decides, lifecycle.ts acts.
 *  - registration: a Node with the record's provider ID appeared;
 *  - initialization: that Node is Ready, its startup taints are gone and every extended resource
 *    the NodeClaim's pods request is registered;
 *  - liveness: launched but no Node within the registration TTL (terminate, forget); never
 *    launched and older than the pending TTL, or out of launch attempts (forget);
 *  - garbage collection: instances Tenon launched for the cluster that no record owns (leaks and
 *    duplicates; never one whose Node is Ready), and records whose instance is gone
 *    (lib/cloud/aws/gc.ts decides both);
 *  - clean-up (at most once per CLEANUP_INTERVAL_MS): which launch templates and instance
 *    profiles must stay (planCleanup); the cloud deletes the rest.
 */
import type { Taint } from "../api/types.ts";
import { decideGarbageCollection } from "../cloud/aws/gc.ts";
import { TAG_NODECLASS } from "../cloud/aws/tags.ts";
import type { Node } from "../k8s/types.ts";
import type { CloudInstance } from "../ports/cloud.ts";
import { instanceIdFromProviderId, TAG_LAUNCH_TEMPLATE_ID } from "../ports/cloud.ts";
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
  /** GC would terminate the instance, but its Node is Ready: left for termination (with a drain). */
  | { kind: "spare-ready"; instance: CloudInstance; nodeName: string; reason: string }
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
    readyNodes: input.nodes.filter((n) => n.spec.providerID && isNodeReady(n)).map((n) => ({ name: n.metadata.name, providerId: n.spec.providerID! })),
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
  for (const s of gc.spared) actions.push({ kind: "spare-ready", instance: s.instance, nodeName: s.nodeName, reason: s.reason });
  const byName = new Map(input.records.map((r) => [r.name, r]));
  for (const name of gc.vanishedNodeClaims) {
    const record = byName.get(name);
    if (!record) continue;
    const providerId = record.nodeClaim.status?.providerID;
    actions.push({ kind: "remove-vanished", record, node: providerId ? nodeByProviderId.get(providerId) : undefined });
  }
  return actions;
}

/** The store lease that rate-limits clean-up: whoever acquires it runs clean-up; nobody releases it. */
export const CLEANUP_LEASE = "cleanup";
/** Clean-up runs at most this often (the lease's TTL), so the minute tick stays cheap. */
export const CLEANUP_INTERVAL_MS = 10 * 60_000;
/**
 * A launch template younger than this is kept even if nothing uses it: it may have just been made
 * by a launch still in progress, and no launch outlives its function (Lambda stops every
 * invocation at 15 minutes). A launch that reuses an older template deleted under it retries once
 * with a fresh template (lib/cloud/aws/launch/launcher.ts), so that race costs a retry, no more.
 */
export const LAUNCH_TEMPLATE_GRACE_MS = 15 * 60_000;

export interface CleanupInput {
  records: readonly NodeClaimRecord[];
  /** Instances tagged for this cluster (cloud.list()), including those still shutting down. */
  instances: readonly CloudInstance[];
  /** Names of the EC2NodeClasses that exist, valid or not, in the cluster or the state table. */
  nodeClasses: readonly string[];
}

export interface CleanupPlan {
  /** Launch templates (EC2 ids) that live instances were launched from: kept. */
  templatesInUse: Set<string>;
  templateGraceMs: number;
  /** NodeClasses whose instance profile must stay. */
  keepNodeClasses: Set<string>;
}

/**
 * What clean-up must keep. A profile stays while its NodeClass exists, while an instance still runs
 * with it (deleting it under a running node would break the node's credentials) and while a
 * NodeClaim record refers to the NodeClass (its launch may be about to use the profile).
 */
export function planCleanup(input: CleanupInput): CleanupPlan {
  const templatesInUse = new Set<string>();
  const keepNodeClasses = new Set(input.nodeClasses);
  for (const instance of input.instances) {
    const template = instance.tags[TAG_LAUNCH_TEMPLATE_ID];
    if (template) templatesInUse.add(template);
    const nodeClass = instance.tags[TAG_NODECLASS];
    if (nodeClass) keepNodeClasses.add(nodeClass);
  }
  for (const record of input.records) keepNodeClasses.add(record.nodeClaim.spec.nodeClassRef.name);
  return { templatesInUse, templateGraceMs: LAUNCH_TEMPLATE_GRACE_MS, keepNodeClasses };
}
