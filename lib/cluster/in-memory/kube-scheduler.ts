/**
 * The simulated kube-scheduler: places pending pods on nodes that exist now, with the project's
 * own scheduling predicates (`schedule()` with no NodePools, so it can only use existing nodes).
 *
 * Unlike Tenon's provisioning view (lib/scheduling/snapshot.ts), this is what kube-scheduler
 * sees: a node's real taints, startup and not-ready taints included, and nothing about
 * NodeClaims or capacity still coming. A pod that fits nowhere is reported unschedulable with
 * the scheduler's reason, which the cluster writes as PodScheduled=False/Unschedulable.
 */
import type { DaemonSet, Node, Pod } from "../../api/kubernetes.ts";
import { addResources, exceededResources, parseResources, subtractResources } from "../../quantity/resources.ts";
import { podRequests } from "../../scheduling/pod-requests.ts";
import { formatTaint, untoleratedTaint } from "../../scheduling/taints.ts";
import { isDaemonSetPod, normalizePod, withStableLabels } from "../../scheduling/snapshot.ts";
import type { ExistingNode, SchedulingInput, SchedulingResult, VolumeObjects } from "../../scheduling/types.ts";

export type ScheduleFn = (input: SchedulingInput) => SchedulingResult;

export const TERMINAL_PHASES: ReadonlySet<string> = new Set(["Succeeded", "Failed"]);

export function isFinished(pod: Pod): boolean {
  return TERMINAL_PHASES.has(pod.status?.phase ?? "");
}

/** Unbound, unfinished, not being deleted, and meant for the default scheduler. */
export function awaitsScheduling(pod: Pod): boolean {
  const scheduler = pod.spec.schedulerName;
  return (
    !pod.spec.nodeName &&
    !isFinished(pod) &&
    !pod.metadata.deletionTimestamp &&
    !isDaemonSetPod(pod) &&
    (scheduler === undefined || scheduler === "" || scheduler === "default-scheduler")
  );
}

/** Nodes as kube-scheduler weighs them: actual taints and allocatable, with the pods bound there. */
export function schedulerView(nodes: readonly Node[], pods: readonly Pod[]): ExistingNode[] {
  const byName = new Map<string, ExistingNode>();
  for (const node of nodes) {
    byName.set(node.metadata.name, {
      name: node.metadata.name,
      node,
      labels: withStableLabels(node.metadata.labels),
      taints: node.spec.taints ?? [],
      allocatable: parseResources(node.status?.allocatable),
      pods: [],
      unschedulable: Boolean(node.spec.unschedulable || node.metadata.deletionTimestamp),
      initialized: true,
    });
  }
  for (const pod of pods) {
    if (!pod.spec.nodeName || isFinished(pod)) continue;
    byName.get(pod.spec.nodeName)?.pods.push(normalizePod(pod));
  }
  return [...byName.values()];
}

export interface SchedulingPass {
  bindings: Array<{ pod: Pod; nodeName: string }>;
  unschedulable: Array<{ pod: Pod; reason: string }>;
}

export function runSchedulingPass(
  schedule: ScheduleFn,
  state: { nodes: readonly Node[]; pods: readonly Pod[]; daemonSets: readonly DaemonSet[]; volumes: VolumeObjects },
): SchedulingPass {
  const pending = state.pods.filter(awaitsScheduling);
  if (pending.length === 0) return { bindings: [], unschedulable: [] };
  // The scheduler sees normalized copies; bind the originals by key.
  const originals = new Map(pending.map((p) => [keyOf(p), p]));
  const result = schedule({
    pods: pending.map(normalizePod),
    nodePools: [],
    existingNodes: schedulerView(state.nodes, state.pods),
    daemonSets: [...state.daemonSets],
    volumes: state.volumes,
  });
  const pass: SchedulingPass = { bindings: [], unschedulable: [] };
  const placed = new Set<string>();
  for (const placement of result.existingNodes) {
    for (const pod of placement.pods) {
      const original = originals.get(keyOf(pod));
      if (!original || placed.has(keyOf(pod))) continue;
      placed.add(keyOf(pod));
      pass.bindings.push({ pod: original, nodeName: placement.name });
    }
  }
  const view = schedulerView(state.nodes, state.pods);
  for (const { pod, reason } of result.unschedulable) {
    const original = originals.get(keyOf(pod));
    if (original && !placed.has(keyOf(pod))) pass.unschedulable.push({ pod: original, reason: explainUnschedulable(original, view, reason) });
  }
  // Without NodePools nothing should land on a new claim; if it does, it still has no node.
  for (const claim of result.newNodeClaims) {
    for (const pod of claim.pods) {
      const original = originals.get(keyOf(pod));
      if (original && !placed.has(keyOf(pod))) pass.unschedulable.push({ pod: original, reason: "no existing node fits" });
    }
  }
  return pass;
}

/**
 * kube-scheduler's style of message: why each node was rejected, counted, e.g.
 * `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}.`
 * Only the common filters are told apart; the rest falls back to our scheduler's reason.
 */
export function explainUnschedulable(pod: Pod, nodes: readonly ExistingNode[], fallback: string): string {
  if (nodes.length === 0) return "0/0 nodes are available: no nodes registered.";
  const counts = new Map<string, number>();
  const count = (why: string) => counts.set(why, (counts.get(why) ?? 0) + 1);
  const requests = podRequests(pod);
  for (const node of nodes) {
    if (node.unschedulable) {
      count("node(s) were unschedulable");
      continue;
    }
    const taint = untoleratedTaint(pod.spec.tolerations ?? [], node.taints, true);
    if (taint) {
      count(`node(s) had untolerated taint {${formatTaint(taint)}}`);
      continue;
    }
    if (Object.entries(pod.spec.nodeSelector ?? {}).some(([k, v]) => node.labels[k] !== v)) {
      count("node(s) didn't match Pod's node affinity/selector");
      continue;
    }
    const free = subtractResources(node.allocatable, addResources(...node.pods.map(podRequests)));
    const short = exceededResources(requests, free);
    if (short.length > 0) {
      for (const name of short) count(`Insufficient ${name}`);
      continue;
    }
    count(fallback);
  }
  const parts = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([why, n]) => `${n} ${why}`);
  return `0/${nodes.length} nodes are available: ${parts.join(", ")}.`;
}

/** What binding does to a pod: it runs on the node (containers start at once in the simulation). */
export function bindPod(pod: Pod, nodeName: string, nowIso: string): void {
  pod.spec.nodeName = nodeName;
  pod.status = {
    ...pod.status,
    phase: "Running",
    conditions: [
      { type: "PodScheduled", status: "True", lastTransitionTime: nowIso },
      { type: "Ready", status: "True", lastTransitionTime: nowIso },
    ],
  };
}

export function alreadyMarkedUnschedulable(pod: Pod, reason: string): boolean {
  const current = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  return current?.status === "False" && current.reason === "Unschedulable" && current.message === reason;
}

/** PodScheduled=False/Unschedulable with the scheduler's reason, as kube-scheduler writes it. */
export function markUnschedulable(pod: Pod, reason: string, nowIso: string): void {
  const others = (pod.status?.conditions ?? []).filter((c) => c.type !== "PodScheduled");
  pod.status = {
    ...pod.status,
    phase: "Pending",
    conditions: [...others, { type: "PodScheduled", status: "False", reason: "Unschedulable", message: reason, lastTransitionTime: nowIso }],
  };
}

function keyOf(pod: Pod): string {
  return `${pod.metadata.namespace || "default"}/${pod.metadata.name}`;
}
