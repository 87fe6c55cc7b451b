/**
 * The termination path (Karpenter's termination controller), as a pure decision: for every
 * Tenon-managed Node being deleted (deletionTimestamp set, `karpenter.sh/termination` finalizer
 * held) and every NodeClaim record marked for deletion (phase Terminating), what this tick does:
 *  1. a record marked for deletion whose Node is not being deleted yet: delete the Node (the next
 *     tick drains it like any other);
 *  2. taint the Node `karpenter.sh/disrupted:NoSchedule`;
 *  3. evict its pods through the Eviction API, one group at a time in Karpenter's order
 *     (non-critical, non-critical DaemonSet, critical, critical DaemonSet); mirror pods, finished
 *     pods and pods tolerating the disrupted taint are left alone; a PDB's refusal (429) is
 *     retried next tick; `karpenter.sh/do-not-disrupt` pods are not evicted;
 *  4. the NodeClaim's terminationGracePeriod (from the Node's deletionTimestamp) ends the wait:
 *     each pod still there is deleted (no PDB check) once the deadline is no further away than
 *     its own terminationGracePeriodSeconds (default 30 s), so it can stop cleanly by then; past
 *     the deadline the instance is terminated with whatever remains (no period: wait forever);
 *  5. no pod that must go is left: wait until the node's VolumeAttachments are gone (the CSI
 *     driver detaching the volumes, so the pods' replacements can attach them elsewhere), except
 *     attachments of volumes used by pods the drain leaves alone (as Karpenter) and attachments
 *     of no persistent volume; the terminationGracePeriod ends this wait too;
 *  6. then terminate the instance;
 *  7. on a later tick, the instance shutting-down or terminated (or gone): remove the finalizer
 *     and delete the record.
 * Every step is read back from what the cluster, the cloud and the records show, so a tick that
 * dies midway is resumed by the next one. Pure: no I/O, no clock.
 */
import type { Action } from "../actions/actions.ts";
import type { Node, Pod, VolumeAttachment } from "../api/kubernetes.ts";
import { podKey } from "../api/kubernetes.ts";
import { LABEL_NODEPOOL, TERMINATION_FINALIZER } from "../api/labels.ts";
import { nodeClaimTerminated, nodeTerminated } from "../metrics/karpenter.ts";
import { DISRUPTED_TAINT, isDaemonSetPod, isMirrorPod, isTerminal, isTerminating, podDoNotDisrupt } from "../disruption/pods.ts";
import { instanceIdFromProviderId, type CloudInstance } from "../ports/cloud.ts";
import type { NodeClaimRecord } from "../ports/store.ts";
import { toleratesTaint } from "../scheduling/taints.ts";

/** Evictions requested per tick at most, over all nodes: a tick does a bounded amount of work. */
export const MAX_EVICTIONS_PER_TICK = 200;

const CRITICAL_PRIORITY_CLASSES = new Set(["system-cluster-critical", "system-node-critical"]);

export interface TerminationInput {
  /** Nodes being deleted (deletionTimestamp set); others are ignored. */
  nodes: readonly Node[];
  records: readonly NodeClaimRecord[];
  /** Unfinished pods bound to each node being deleted, by node name. */
  podsByNode: ReadonlyMap<string, readonly Pod[]>;
  /** VolumeAttachments of each node being deleted, by node name (absent: none). */
  volumeAttachmentsByNode?: ReadonlyMap<string, readonly VolumeAttachment[]>;
  /**
   * The persistent volume each claim is bound to, by `namespace/claim`: needed only for the claims
   * of pods the drain leaves alone (their volumes' attachments do not hold termination).
   */
  claimVolumes?: ReadonlyMap<string, string>;
  instances: readonly CloudInstance[];
  nowMs: number;
  maxEvictions?: number;
}

export function terminationUnit(subject: string): string {
  return `terminate:${subject}`;
}

/** Karpenter's eviction groups: 0 non-critical, 1 non-critical DaemonSet, 2 critical, 3 critical DaemonSet. */
export function evictionGroup(pod: Pod): number {
  const critical = CRITICAL_PRIORITY_CLASSES.has(pod.spec.priorityClassName ?? "");
  return (critical ? 2 : 0) + (isDaemonSetPod(pod) ? 1 : 0);
}

/** A pod the drain has to remove before the instance goes. */
export function mustGo(pod: Pod): boolean {
  if (isTerminal(pod) || isMirrorPod(pod)) return false;
  return !toleratesTaint(pod.spec.tolerations ?? [], DISRUPTED_TAINT);
}

/** How long a pod asks to stop: its terminationGracePeriodSeconds, Kubernetes' default 30 s. */
function podGraceMs(pod: Pod): number {
  return (pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
}

function isBeingDeleted(node: Node): boolean {
  return node.metadata.deletionTimestamp !== undefined && (node.metadata.finalizers ?? []).includes(TERMINATION_FINALIZER);
}

function instanceIdOf(record: NodeClaimRecord | undefined, node: Node | undefined): string | undefined {
  const providerId = node?.spec.providerID ?? record?.nodeClaim.status?.providerID;
  return record?.launch.instanceId ?? (providerId ? instanceIdFromProviderId(providerId) : undefined);
}

/** What keeps a node being deleted from being terminated now (empty lists: nothing). */
export interface DrainHolds {
  /** Pods with karpenter.sh/do-not-disrupt: they wait for the terminationGracePeriod. */
  doNotDisrupt: string[];
  /** Pods still to be evicted (a PodDisruptionBudget may be refusing them). */
  toEvict: string[];
  /** Pods already stopping. */
  stopping: string[];
  /** VolumeAttachments still there once the pods are gone. */
  volumeAttachments: string[];
}

/** The `namespace/claim` keys of the persistent volume claims a pod mounts. */
export function podClaimKeys(pod: Pod): string[] {
  const namespace = pod.metadata.namespace || "default";
  return (pod.spec.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [`${namespace}/${v.persistentVolumeClaim.claimName}`] : []));
}

/**
 * The attachments that hold termination, as Karpenter decides: those of a persistent volume no pod
 * left on the node (one the drain does not remove) still uses.
 */
export function blockingAttachments(pods: readonly Pod[], attachments: readonly VolumeAttachment[], claimVolumes: ReadonlyMap<string, string>): VolumeAttachment[] {
  const staying = new Set(pods.filter((p) => !mustGo(p)).flatMap(podClaimKeys).map((key) => claimVolumes.get(key)).filter((v): v is string => v !== undefined));
  return attachments.filter((a) => a.spec.source.persistentVolumeName !== undefined && !staying.has(a.spec.source.persistentVolumeName));
}

/** Why a node being deleted is not terminated yet, from the same observation the decision uses. */
export function drainHolds(node: Node, input: Pick<TerminationInput, "podsByNode" | "volumeAttachmentsByNode" | "claimVolumes" | "nowMs">): DrainHolds {
  const name = node.metadata.name;
  const pods = input.podsByNode.get(name) ?? [];
  const remaining = pods.filter(mustGo);
  const holds: DrainHolds = { doNotDisrupt: [], toEvict: [], stopping: [], volumeAttachments: [] };
  for (const pod of remaining) {
    if (isTerminating(pod)) holds.stopping.push(podKey(pod));
    else if (podDoNotDisrupt(pod, input.nowMs) !== undefined) holds.doNotDisrupt.push(podKey(pod));
    else holds.toEvict.push(podKey(pod));
  }
  if (remaining.length === 0) {
    const attachments = blockingAttachments(pods, input.volumeAttachmentsByNode?.get(name) ?? [], input.claimVolumes ?? new Map());
    holds.volumeAttachments = attachments.map((a) => `${a.metadata.name} (${a.spec.source.persistentVolumeName})`);
  }
  return holds;
}

export function decideTermination(input: TerminationInput): Action[] {
  const { nowMs } = input;
  let evictionsLeft = input.maxEvictions ?? MAX_EVICTIONS_PER_TICK;
  const recordByProviderId = new Map<string, NodeClaimRecord>();
  for (const r of input.records) if (r.nodeClaim.status?.providerID) recordByProviderId.set(r.nodeClaim.status.providerID, r);
  const nodeByProviderId = new Map<string, Node>();
  for (const n of input.nodes) if (n.spec.providerID) nodeByProviderId.set(n.spec.providerID, n);
  const instanceById = new Map(input.instances.map((i) => [i.instanceId, i]));
  const actions: Action[] = [];
  const handled = new Set<string>();

  /** Terminate the instance, or once it is going, let the Node and the record go. */
  const finish = (unit: string, record: NodeClaimRecord | undefined, node: Node | undefined, why: string): void => {
    const instanceId = instanceIdOf(record, node);
    const instance = instanceId ? instanceById.get(instanceId) : undefined;
    if (instance && instance.state !== "shutting-down" && instance.state !== "terminated") {
      actions.push({ kind: "terminate-instance", instanceId: instance.instanceId, reason: why, unit });
      return;
    }
    const gone = instance ? `its instance ${instance.instanceId} is ${instance.state}` : "it has no instance left";
    if (node) actions.push({ kind: "remove-node-finalizer", node: node.metadata.name, finalizer: TERMINATION_FINALIZER, reason: gone, unit, metrics: [nodeTerminated(node.metadata.labels?.[LABEL_NODEPOOL])] });
    if (record) actions.push({ kind: "delete-nodeclaim", record, reason: `terminated: ${gone}`, unit, metrics: [nodeClaimTerminated(record.nodeClaim)] });
  };

  for (const node of input.nodes) {
    if (!isBeingDeleted(node)) continue;
    const name = node.metadata.name;
    const record = node.spec.providerID ? recordByProviderId.get(node.spec.providerID) : undefined;
    if (record) handled.add(record.name);
    const unit = terminationUnit(name);
    if (!(node.spec.taints ?? []).some((t) => t.key === DISRUPTED_TAINT.key && t.effect === DISRUPTED_TAINT.effect)) {
      actions.push({ kind: "taint-node", node: name, taint: { ...DISRUPTED_TAINT }, reason: `Node ${name} is being deleted: no new pods`, unit });
    }
    const remaining = (input.podsByNode.get(name) ?? []).filter(mustGo);
    const gracePeriodMs = record?.nodeClaim.spec.terminationGracePeriod;
    const deletedAtMs = Date.parse(node.metadata.deletionTimestamp!);
    const graceOver = gracePeriodMs !== undefined && !Number.isNaN(deletedAtMs) && nowMs >= deletedAtMs + gracePeriodMs;
    if (remaining.length === 0 || graceOver) {
      const attached = remaining.length === 0 ? drainHolds(node, input).volumeAttachments : [];
      if (remaining.length === 0 && attached.length === 0) {
        finish(unit, record, node, `Node ${name} is drained and its volumes are detached`);
      } else if (graceOver) {
        const left = remaining.length > 0 ? `${remaining.length} pod(s) left: ${remaining.map(podKey).join(", ")}` : `${attached.length} volume attachment(s) left: ${attached.join(", ")}`;
        finish(unit, record, node, `Node ${name}'s terminationGracePeriod (${Math.round(gracePeriodMs! / 1000)} s) is over; ${left}`);
      } // else the volumes are being detached: the next tick looks again
      continue;
    }
    // Near the end of the NodeClaim's terminationGracePeriod, pods still there are deleted (no PDB
    // check) early enough that their own grace period ends by the deadline, as Karpenter does.
    const deadlineMs = gracePeriodMs !== undefined && !Number.isNaN(deletedAtMs) ? deletedAtMs + gracePeriodMs : undefined;
    const due = new Set(deadlineMs === undefined ? [] : remaining.filter((p) => !isTerminating(p) && nowMs >= deadlineMs - podGraceMs(p)));
    for (const pod of due) {
      actions.push({
        kind: "delete-pod",
        namespace: pod.metadata.namespace || "default",
        pod: pod.metadata.name,
        reason: `Node ${name}'s terminationGracePeriod ends at ${new Date(deadlineMs!).toISOString()} and the pod needs ${Math.round(podGraceMs(pod) / 1000)} s to stop`,
        unit,
      });
    }
    const evictable = remaining.filter((p) => !due.has(p) && !isTerminating(p) && podDoNotDisrupt(p, nowMs) === undefined);
    if (evictable.length === 0) continue; // pods still terminating, or do-not-disrupt until the grace period
    const group = Math.min(...evictable.map(evictionGroup));
    for (const pod of evictable.filter((p) => evictionGroup(p) === group)) {
      if (evictionsLeft <= 0) break;
      evictionsLeft--;
      actions.push({ kind: "evict-pod", namespace: pod.metadata.namespace || "default", pod: pod.metadata.name, reason: `Node ${name} is being deleted`, unit });
    }
  }

  for (const record of input.records) {
    if (record.phase !== "Terminating" || handled.has(record.name)) continue;
    const providerId = record.nodeClaim.status?.providerID;
    const node = providerId ? nodeByProviderId.get(providerId) : undefined;
    const unit = terminationUnit(record.name);
    if (node) {
      actions.push({ kind: "delete-node", node: node.metadata.name, reason: `NodeClaim ${record.name} is being deleted`, unit });
      continue;
    }
    finish(unit, record, undefined, `NodeClaim ${record.name} is being deleted and has no Node`);
  }
  return actions;
}
