/**
 * The built-in controllers the simulation needs, as pure functions from state to the pods to
 * create or delete:
 *  - workload controllers (Deployment via its ReplicaSet, ReplicaSet, StatefulSet, Job): keep the
 *    desired number of pods, so an evicted or deleted pod comes back as a new pending pod;
 *  - the DaemonSet controller: one pod per node it runs on, bound directly to that node;
 *  - the taint manager: pods on a node with a NoExecute taint they don't tolerate are deleted.
 */
import { labelSatisfies } from "../../requirements/node-selector.ts";
import type { Taint } from "../../api/types.ts";
import type { DaemonSet, Node, NodeSelectorTerm, Pod, PodSpec, Workload } from "../../api/kubernetes.ts";
import { withStableLabels } from "../../scheduling/snapshot.ts";
import { toleratesTaint } from "../../scheduling/taints.ts";

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

/** The owner reference a workload's pods carry (a Deployment's pods belong to its ReplicaSet). */
export function ownerOf(workload: Workload): OwnerRef {
  if (workload.kind === "Deployment") {
    return { apiVersion: "apps/v1", kind: "ReplicaSet", name: replicaSetName(workload), controller: true };
  }
  const apiVersion = workload.kind === "Job" ? "batch/v1" : "apps/v1";
  const ref: OwnerRef = { apiVersion, kind: workload.kind, name: workload.metadata.name, controller: true };
  if (workload.metadata.uid) ref.uid = workload.metadata.uid;
  return ref;
}

function replicaSetName(workload: Workload): string {
  return `${workload.metadata.name}-${shortHash(JSON.stringify(workload.spec.template))}`;
}

export function isOwnedBy(pod: Pod, owner: OwnerRef): boolean {
  return (pod.metadata.ownerReferences ?? []).some((o) => o.kind === owner.kind && o.name === owner.name);
}

export function desiredReplicas(workload: Workload): number {
  if (workload.kind === "Job") return workload.spec.parallelism ?? 1;
  return workload.spec.replicas ?? 1;
}

/**
 * The pods a workload still needs. `suffix()` gives fresh name suffixes; StatefulSet pods are
 * named by ordinal instead, and the missing ordinals are recreated.
 */
export function missingWorkloadPods(workload: Workload, pods: readonly Pod[], suffix: () => string): Pod[] {
  const owner = ownerOf(workload);
  const namespace = workload.metadata.namespace || "default";
  const live = pods.filter((p) => (p.metadata.namespace || "default") === namespace && isOwnedBy(p, owner) && !p.metadata.deletionTimestamp);
  const desired = desiredReplicas(workload);
  const out: Pod[] = [];
  if (workload.kind === "StatefulSet") {
    const names = new Set(live.map((p) => p.metadata.name));
    for (let i = 0; i < desired; i++) {
      const name = `${workload.metadata.name}-${i}`;
      if (!names.has(name)) out.push(podFromTemplate(workload, owner, name));
    }
    return out;
  }
  const prefix = workload.kind === "Deployment" ? owner.name : workload.metadata.name;
  for (let i = live.length; i < desired; i++) out.push(podFromTemplate(workload, owner, `${prefix}-${suffix()}`));
  return out;
}

/**
 * The pods a scaled-down workload deletes, as the ReplicaSet and StatefulSet controllers choose
 * them: unscheduled pods first, then the newest (StatefulSets: the highest ordinals). Jobs are
 * left alone (their pods finish on their own).
 */
export function surplusWorkloadPods(workload: Workload, pods: readonly Pod[]): Pod[] {
  if (workload.kind === "Job") return [];
  const owner = ownerOf(workload);
  const namespace = workload.metadata.namespace || "default";
  const live = pods.filter((p) => (p.metadata.namespace || "default") === namespace && isOwnedBy(p, owner) && !p.metadata.deletionTimestamp);
  const surplus = live.length - desiredReplicas(workload);
  if (surplus <= 0) return [];
  const ordinal = (p: Pod) => Number(p.metadata.name.slice(p.metadata.name.lastIndexOf("-") + 1));
  const order =
    workload.kind === "StatefulSet"
      ? [...live].sort((a, b) => ordinal(b) - ordinal(a))
      : [...live].sort((a, b) => Number(Boolean(a.spec.nodeName)) - Number(Boolean(b.spec.nodeName)) || (a.metadata.name < b.metadata.name ? 1 : a.metadata.name > b.metadata.name ? -1 : 0));
  return order.slice(0, surplus);
}

function podFromTemplate(workload: Workload, owner: OwnerRef, name: string): Pod {
  const template = structuredClone(workload.spec.template);
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: workload.metadata.namespace || "default",
      labels: { ...(template.metadata?.labels ?? {}) },
      ownerReferences: [owner],
    },
    spec: template.spec,
    status: { phase: "Pending" },
  };
  if (template.metadata?.annotations) pod.metadata.annotations = { ...template.metadata.annotations };
  return pod;
}

/** A DaemonSet's pod for one node, already bound (the DaemonSet controller pins it there). */
export function daemonSetPod(daemonSet: DaemonSet, nodeName: string, suffix: string): Pod {
  const template = structuredClone(daemonSet.spec.template);
  const owner: OwnerRef = { apiVersion: "apps/v1", kind: "DaemonSet", name: daemonSet.metadata.name, controller: true };
  if (daemonSet.metadata.uid) owner.uid = daemonSet.metadata.uid;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${daemonSet.metadata.name}-${suffix}`,
      namespace: daemonSet.metadata.namespace || "default",
      labels: { ...(template.metadata?.labels ?? {}) },
      ownerReferences: [owner],
    },
    spec: { ...template.spec, nodeName },
    status: { phase: "Running" },
  };
}

/** DaemonSets that should have a pod on `node` but don't. */
export function missingDaemonSets(node: Node, daemonSets: readonly DaemonSet[], podsOnNode: readonly Pod[]): DaemonSet[] {
  if (node.metadata.deletionTimestamp) return [];
  const present = new Set(
    podsOnNode.flatMap((p) => (p.metadata.ownerReferences ?? []).filter((o) => o.kind === "DaemonSet").map((o) => o.name)),
  );
  const labels = withStableLabels(node.metadata.labels);
  return daemonSets.filter((ds) => !present.has(ds.metadata.name) && daemonSetFits(ds.spec.template.spec, node.metadata.name, labels, node.spec.taints ?? []));
}

/** Taints a DaemonSet's pods tolerate without saying so: the DaemonSet controller adds these tolerations. */
const DAEMONSET_DEFAULT_TOLERATED = new Set([
  "node.kubernetes.io/not-ready",
  "node.kubernetes.io/unreachable",
  "node.kubernetes.io/disk-pressure",
  "node.kubernetes.io/memory-pressure",
  "node.kubernetes.io/pid-pressure",
  "node.kubernetes.io/unschedulable",
  "node.kubernetes.io/network-unavailable",
]);

/** The DaemonSet controller's placement test: node selector, required node affinity, taints. */
export function daemonSetFits(spec: PodSpec, nodeName: string, labels: Readonly<Record<string, string>>, taints: readonly Taint[]): boolean {
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) if (labels[key] !== value) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length > 0 && !terms.some((term) => termMatches(term, nodeName, labels))) return false;
  return taints
    .filter((t) => t.effect !== "PreferNoSchedule" && !DAEMONSET_DEFAULT_TOLERATED.has(t.key))
    .every((t) => toleratesTaint(spec.tolerations ?? [], t));
}

function termMatches(term: NodeSelectorTerm, nodeName: string, labels: Readonly<Record<string, string>>): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  return (
    expressions.every((r) => labelSatisfies(labels[r.key], r)) &&
    fields.every((r) => r.key === "metadata.name" && labelSatisfies(nodeName, r))
  );
}

/** Pods bound to `node` that a NoExecute taint there evicts (no matching toleration). */
export function podsEvictedByTaints(node: Node, podsOnNode: readonly Pod[]): Pod[] {
  const noExecute = (node.spec.taints ?? []).filter((t) => t.effect === "NoExecute");
  if (noExecute.length === 0) return [];
  return podsOnNode.filter((pod) => noExecute.some((taint) => !toleratesTaint(pod.spec.tolerations ?? [], taint)));
}

function shortHash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36).padStart(7, "0").slice(0, 7);
}
