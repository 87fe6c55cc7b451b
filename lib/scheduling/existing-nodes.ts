/**
 * Existing capacity as bins: room left is allocatable minus the pods bound there. A node that is
 * not initialized yet (or an in-flight NodeClaim) will still get the DaemonSet pods that are not
 * bound to it yet, so their requests are held back too.
 */
import { normalizeLabelKey } from "../api/labels.ts";
import type { DaemonSet, Pod } from "../api/kubernetes.ts";
import type { Resources } from "../quantity/resources.ts";
import { Requirements } from "../requirements/index.ts";
import { ExistingBin } from "./bins.ts";
import { daemonOverhead } from "./templates.ts";
import { podHostPorts } from "./host-ports.ts";
import { podRequests } from "./pod-requests.ts";
import type { ExistingNode } from "./types.ts";

// Bound pods' requests, kept per pod object: consolidation runs many what-ifs over the same bound
// pods, and parsing their quantities again each time was most of a what-if's cost.
const boundRequests = new WeakMap<Pod, Resources>();

function safeRequests(pod: Pod): Resources {
  let requests = boundRequests.get(pod);
  if (requests) return requests;
  try {
    requests = podRequests(pod);
  } catch {
    requests = { pods: 1 };
  }
  boundRequests.set(pod, requests);
  return requests;
}

function ownedByDaemonSet(pod: Pod): string | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.kind === "DaemonSet")?.name;
}

export function buildExistingBins(nodes: readonly ExistingNode[], daemonSets: readonly DaemonSet[]): ExistingBin[] {
  const bins: ExistingBin[] = [];
  for (const node of nodes) {
    if (node.unschedulable) continue;
    const used: Record<string, number> = {};
    for (const pod of node.pods) {
      const r = safeRequests(pod);
      for (const name in r) used[name] = (used[name] ?? 0) + r[name]!;
    }
    if (!node.initialized && daemonSets.length) {
      const bound = new Set(node.pods.map(ownedByDaemonSet).filter((n): n is string => n !== undefined));
      const missing = daemonSets.filter((ds) => !bound.has(ds.metadata.name));
      const reqs = Requirements.fromLabels(node.labels, normalizeLabelKey);
      const owed = daemonOverhead(missing, reqs, node.taints, () => false);
      for (const name in owed) used[name] = (used[name] ?? 0) + owed[name]!;
    }
    const bin = new ExistingBin(bins.length, node, used);
    for (const pod of node.pods) bin.ports.add(podHostPorts(pod));
    bins.push(bin);
  }
  return bins;
}
