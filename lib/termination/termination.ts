/**
 * The termination step of the lifecycle tick: observe the Nodes being deleted (from the node view
 * the tick already read), their pods (one per-node list each), their VolumeAttachments (one list),
 * the records and the instances; decide (decide.ts); let the executor act. Nothing is kept between
 * ticks: each tick reads back where every drain stands, so a tick that dies midway is resumed by
 * the next. Drains that have lasted longer than STUCK_DRAIN_MS are reported with what holds them.
 */
import type { Node, Pod, VolumeAttachment } from "../api/kubernetes.ts";
import { TERMINATION_FINALIZER } from "../api/labels.ts";
import type { Applied, Executor } from "../actions/actions.ts";
import type { CloudInstance } from "../ports/cloud.ts";
import { listAll, type Cluster } from "../ports/cluster.ts";
import type { NodeClaimRecord } from "../ports/store.ts";
import { decideTermination, drainHolds, MAX_EVICTIONS_PER_TICK, mustGo, podClaimKeys, terminationUnit, type TerminationInput } from "./decide.ts";

/** A node whose deletion started longer ago than this and is not finished is a stuck drain (metric DrainsStuck, logged with what holds it). */
export const STUCK_DRAIN_MS = 15 * 60_000;

export interface StuckDrain {
  node: string;
  /** How long ago its deletion started. */
  deletingForMs: number;
  /** What holds it, in words: PDBs refusing evictions, do-not-disrupt pods, volume attachments. */
  heldBy: string[];
}

export interface TerminationReport {
  /** Nodes and NodeClaims on the termination path this tick. */
  terminating: string[];
  /** Evictions requested (a PDB may have refused some: they are asked again next tick). */
  evictionsRequested: number;
  evictionsRefused: number;
  instancesTerminated: string[];
  /** Nodes whose finalizer was removed and records deleted: done. */
  finished: string[];
  /** Nodes being deleted for longer than STUCK_DRAIN_MS. */
  stuck: StuckDrain[];
}

/** Nodes Tenon holds that are being deleted. */
export function nodesBeingDeleted(nodes: readonly Node[]): Node[] {
  return nodes.filter((n) => n.metadata.deletionTimestamp !== undefined && (n.metadata.finalizers ?? []).includes(TERMINATION_FINALIZER));
}

export async function runTermination(
  ports: { cluster: Cluster; clock: { now(): number } },
  observed: { records: readonly NodeClaimRecord[]; nodes: readonly Node[]; instances: readonly CloudInstance[] },
  executor: Executor,
): Promise<TerminationReport | undefined> {
  const deleting = nodesBeingDeleted(observed.nodes);
  if (deleting.length === 0 && !observed.records.some((r) => r.phase === "Terminating")) return undefined;
  const podsByNode = new Map<string, Pod[]>();
  for (const node of deleting) podsByNode.set(node.metadata.name, await listAll((o) => ports.cluster.listPodsOnNode(node.metadata.name, o)));
  const volumes = await observeVolumes(ports.cluster, deleting, podsByNode);
  const input: TerminationInput = { ...observed, podsByNode, ...volumes, nowMs: ports.clock.now(), maxEvictions: MAX_EVICTIONS_PER_TICK };
  const applied = await executor.execute(decideTermination(input));
  return { ...terminationReport(applied), stuck: stuckDrains(deleting, input, applied) };
}

/**
 * The VolumeAttachments of the nodes being deleted (one cluster-wide list: the API server cannot
 * select them by node), and, only when a pod the drain leaves alone mounts a claim on a node with
 * attachments, the claims' volumes (one claim list).
 */
async function observeVolumes(cluster: Cluster, deleting: readonly Node[], podsByNode: ReadonlyMap<string, readonly Pod[]>): Promise<Pick<TerminationInput, "volumeAttachmentsByNode" | "claimVolumes">> {
  if (deleting.length === 0) return {};
  const names = new Set(deleting.map((n) => n.metadata.name));
  const volumeAttachmentsByNode = new Map<string, VolumeAttachment[]>();
  for (const attachment of await listAll((o) => cluster.listVolumeAttachments(o))) {
    if (!names.has(attachment.spec.nodeName)) continue;
    volumeAttachmentsByNode.set(attachment.spec.nodeName, [...(volumeAttachmentsByNode.get(attachment.spec.nodeName) ?? []), attachment]);
  }
  const claimsNeeded = [...volumeAttachmentsByNode.keys()].some((node) => (podsByNode.get(node) ?? []).some((p) => !mustGo(p) && podClaimKeys(p).length > 0));
  if (!claimsNeeded) return { volumeAttachmentsByNode };
  const claimVolumes = new Map<string, string>();
  for (const claim of await listAll((o) => cluster.listPersistentVolumeClaims(o))) {
    if (claim.spec.volumeName) claimVolumes.set(`${claim.metadata.namespace || "default"}/${claim.metadata.name}`, claim.spec.volumeName);
  }
  return { volumeAttachmentsByNode, claimVolumes };
}

/** Nodes deleted longer than STUCK_DRAIN_MS ago and still here, with what holds each. */
function stuckDrains(deleting: readonly Node[], input: TerminationInput, applied: readonly Applied[]): StuckDrain[] {
  const stuck: StuckDrain[] = [];
  for (const node of deleting) {
    const deletingForMs = input.nowMs - Date.parse(node.metadata.deletionTimestamp!);
    if (!(deletingForMs > STUCK_DRAIN_MS)) continue;
    const unit = terminationUnit(node.metadata.name);
    const refused = applied.filter((a) => a.action.unit === unit && a.action.kind === "evict-pod" && a.outcome.status === "done" && a.outcome.detail === "blocked");
    const refusedPods = new Set(refused.map((a) => (a.action.kind === "evict-pod" ? `${a.action.namespace}/${a.action.pod}` : "")));
    const holds = drainHolds(node, input);
    const heldBy: string[] = [];
    if (refusedPods.size > 0) heldBy.push(`PodDisruptionBudget refuses evicting ${[...refusedPods].join(", ")}`);
    const waiting = holds.toEvict.filter((p) => !refusedPods.has(p));
    if (waiting.length > 0) heldBy.push(`pods waiting for eviction: ${waiting.join(", ")}`);
    if (holds.doNotDisrupt.length > 0) heldBy.push(`karpenter.sh/do-not-disrupt pods: ${holds.doNotDisrupt.join(", ")}`);
    if (holds.stopping.length > 0) heldBy.push(`pods still stopping: ${holds.stopping.join(", ")}`);
    if (holds.volumeAttachments.length > 0) heldBy.push(`volume attachments: ${holds.volumeAttachments.join(", ")}`);
    if (heldBy.length === 0) heldBy.push("its instance is terminating");
    stuck.push({ node: node.metadata.name, deletingForMs, heldBy });
  }
  return stuck;
}

function terminationReport(applied: readonly Applied[]): Omit<TerminationReport, "stuck"> {
  const report: Omit<TerminationReport, "stuck"> = { terminating: [], evictionsRequested: 0, evictionsRefused: 0, instancesTerminated: [], finished: [] };
  for (const { action, outcome } of applied) {
    const subject = action.unit?.slice(action.unit.indexOf(":") + 1);
    if (subject && !report.terminating.includes(subject)) report.terminating.push(subject);
    if (outcome.status !== "done") continue;
    if (action.kind === "evict-pod") {
      report.evictionsRequested++;
      if (outcome.detail === "blocked") report.evictionsRefused++;
    }
    if (action.kind === "terminate-instance") report.instancesTerminated.push(action.instanceId);
    if (action.kind === "remove-node-finalizer") report.finished.push(action.node);
  }
  return report;
}
