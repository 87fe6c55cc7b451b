/**
 * What the lifecycle tick should do about each NodeClaim record, Node and instance, as actions
 * (lib/actions/) grouped in one unit per step. Pure: lifecycle.ts observes, this decides, the
 * executor acts.
 *  - registration: a Node with the record's provider ID appeared;
 *  - initialization: that Node is Ready, its startup taints are gone and every extended resource
 *    the NodeClaim's pods request is registered;
 *  - liveness: launched but no Node within the registration TTL (terminate, forget); never
 *    launched and older than the pending TTL, or out of launch attempts (forget);
 *  - garbage collection: instances Tenon launched for the cluster that no record owns (leaks and
 *    duplicates; never one whose Node is Ready), and records whose instance is gone (gc.ts
 *    decides both);
 *  - clean-up (at most once per CLEANUP_INTERVAL_MS): which launch templates and instance
 *    profiles must stay (planCleanup); the cloud deletes the rest.
 */
import type { Action } from "../actions/actions.ts";
import { initializedContent, registeredContent } from "../actions/records.ts";
import { LABEL_INITIALIZED, LABEL_NODEPOOL, LABEL_REGISTERED, TERMINATION_FINALIZER } from "../api/labels.ts";
import { nodeClaimTerminated, nodeCreated, nodeTerminated } from "../metrics/karpenter.ts";
import type { Taint } from "../api/types.ts";
import { METRIC } from "../ports/telemetry.ts";
import { decideGarbageCollection } from "./gc.ts";
import type { Node } from "../api/kubernetes.ts";
import type { CloudInstance } from "../ports/cloud.ts";
import { instanceIdFromProviderId, TAG_LAUNCH_TEMPLATE_ID, TAG_NODECLASS } from "../ports/cloud.ts";
import type { NodeClaimRecord } from "../ports/store.ts";
import { parseResources } from "../quantity/resources.ts";

export const UNREGISTERED_TAINT_KEY = "karpenter.sh/unregistered";
export { TERMINATION_FINALIZER };
/** Resources every node reports; anything else a NodeClaim requests must show up in allocatable first. */
const WELL_KNOWN_RESOURCES = new Set(["cpu", "memory", "pods", "ephemeral-storage"]);

/** The steps of a tick; each becomes a unit of actions named `<step>:<record or instance>`. */
export type LifecycleStep = "register" | "initialize" | "terminate-unregistered" | "forget" | "terminate-leaked" | "spare-ready" | "remove-vanished";

export function unitOf(step: LifecycleStep, subject: string): string {
  return `${step}:${subject}`;
}

export function stepOf(unit: string): LifecycleStep {
  return unit.slice(0, unit.indexOf(":")) as LifecycleStep;
}

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

export function decideLifecycle(input: LifecycleInput): Action[] {
  const { nowMs, timing } = input;
  const nodeByProviderId = new Map<string, Node>();
  for (const node of input.nodes) if (node.spec.providerID) nodeByProviderId.set(node.spec.providerID, node);
  const actions: Action[] = [];
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
  const forget = (record: NodeClaimRecord, reason: string): Action => ({ kind: "delete-nodeclaim", record, reason, unit: unitOf("forget", record.name), metric: METRIC.nodeClaimsDeleted, metrics: [nodeClaimTerminated(record.nodeClaim)] });

  for (const record of input.records) {
    if (vanished.has(record.name)) continue;
    const providerId = record.nodeClaim.status?.providerID;
    const node = providerId ? nodeByProviderId.get(providerId) : undefined;
    if (record.phase === "Pending") {
      if (record.launch.attempts >= timing.launchAttempts) {
        actions.push(forget(record, `launch failed ${record.launch.attempts} times: ${record.launch.lastError ?? "unknown error"}`));
      } else if (nowMs - record.createdAtMs >= timing.pendingRecordTtlMs) {
        actions.push(forget(record, `never launched within ${Math.round(timing.pendingRecordTtlMs / 1000)} s`));
      }
      continue;
    }
    if (record.phase === "Launched") {
      if (node) {
        const unit = unitOf("register", record.name);
        const nodeName = node.metadata.name;
        const because = `a Node with provider ID ${providerId} joined`;
        actions.push(
          { kind: "add-node-finalizer", node: nodeName, finalizer: TERMINATION_FINALIZER, reason: because, unit },
          { kind: "label-node", node: nodeName, labels: { ...(record.nodeClaim.metadata.labels ?? {}), [LABEL_REGISTERED]: "true" }, reason: because, unit },
          { kind: "untaint-node", node: nodeName, key: UNREGISTERED_TAINT_KEY, reason: because, unit },
          { kind: "update-nodeclaim", record, content: registeredContent(record, nodeName, nowMs), reason: `registered as Node ${nodeName}`, unit, metric: METRIC.nodeClaimsRegistered, metrics: [nodeCreated(record.nodeClaim)] },
        );
      } else if (nowMs - launchedAtMs(record) >= timing.registrationTtlMs) {
        const instanceId = record.launch.instanceId ?? (providerId ? instanceIdFromProviderId(providerId) : undefined);
        const unit = unitOf("terminate-unregistered", record.name);
        const reason = `NodeClaim ${record.name} registered no Node within ${Math.round(timing.registrationTtlMs / 60_000)} min of its launch`;
        if (instanceId) actions.push({ kind: "terminate-instance", instanceId, reason, unit });
        actions.push({ kind: "delete-nodeclaim", record, reason: `never registered a Node; its instance (${instanceId ?? "none"}) is terminated`, unit, metric: METRIC.nodeClaimsDeleted, metrics: [nodeClaimTerminated(record.nodeClaim)] });
      }
      continue;
    }
    if (record.phase === "Registered" && node && !notInitializedBecause(record, node)) {
      const unit = unitOf("initialize", record.name);
      actions.push(
        { kind: "label-node", node: node.metadata.name, labels: { [LABEL_INITIALIZED]: "true" }, reason: "the Node is ready and its startup taints are gone", unit },
        { kind: "update-nodeclaim", record, content: initializedContent(record, nowMs), reason: "initialized", unit, metric: METRIC.nodeClaimsInitialized },
      );
    }
  }

  for (const instance of gc.terminate) {
    actions.push({
      kind: "terminate-instance", instanceId: instance.instanceId, unit: unitOf("terminate-leaked", instance.instanceId), metric: METRIC.instancesGarbageCollected,
      reason: `launched by Tenon for this cluster but no NodeClaim owns it${instance.nodeClaimName ? ` (its tag names NodeClaim ${instance.nodeClaimName})` : ""}`,
    });
  }
  // GC would terminate these, but their Node is Ready: left running for termination (with a drain).
  for (const s of gc.spared) {
    actions.push({ kind: "spare-instance", instanceId: s.instance.instanceId, node: s.nodeName, unit: unitOf("spare-ready", s.instance.instanceId), metric: METRIC.instancesSparedReady, reason: s.reason });
  }
  const byName = new Map(input.records.map((r) => [r.name, r]));
  for (const name of gc.vanishedNodeClaims) {
    const record = byName.get(name);
    if (!record) continue;
    const providerId = record.nodeClaim.status?.providerID;
    const node = providerId ? nodeByProviderId.get(providerId) : undefined;
    const unit = unitOf("remove-vanished", record.name);
    const reason = "its instance is gone";
    if (node) {
      actions.push(
        { kind: "remove-node-finalizer", node: node.metadata.name, finalizer: TERMINATION_FINALIZER, reason, unit },
        { kind: "delete-node", node: node.metadata.name, reason, unit, metrics: [nodeTerminated(node.metadata.labels?.[LABEL_NODEPOOL])] },
      );
    }
    actions.push({ kind: "delete-nodeclaim", record, reason, unit, metric: METRIC.nodeClaimsDeleted, metrics: [nodeClaimTerminated(record.nodeClaim)] });
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
