/** Groups pending pods that are alike, so their constraints are worked out once. */
import type { Pod } from "../api/kubernetes.ts";
import { QuantityError } from "../quantity/quantity.ts";
import { Requirements } from "../requirements/index.ts";
import { podHostPorts } from "./host-ports.ts";
import { podNodeConstraints } from "./node-affinity.ts";
import type { PodGroup } from "./plan.ts";
import { podRequests } from "./pod-requests.ts";
import type { VolumeIndex } from "./volume-topology.ts";

/**
 * Pods with equal namespace, labels and spec behave identically. Generic ephemeral volumes name
 * their claims after the pod, so such pods group only with themselves.
 */
function signature(pod: Pod): string {
  const ephemeral = (pod.spec.volumes ?? []).some((v) => v.ephemeral);
  return JSON.stringify([pod.metadata.namespace || "default", pod.metadata.labels ?? {}, pod.spec, ephemeral ? pod.metadata.name : ""]);
}

export function groupPods(pods: readonly Pod[], volumes: VolumeIndex): { groups: PodGroup[]; groupOf: PodGroup[] } {
  const bySig = new Map<string, PodGroup>();
  const groups: PodGroup[] = [];
  const groupOf: PodGroup[] = [];
  for (const pod of pods) {
    const sig = signature(pod);
    let g = bySig.get(sig);
    if (!g) {
      g = makeGroup(groups.length, pod, volumes);
      bySig.set(sig, g);
      groups.push(g);
    }
    groupOf.push(g);
  }
  return { groups, groupOf };
}

function makeGroup(id: number, pod: Pod, volumes: VolumeIndex): PodGroup {
  const plans = new Map();
  const node = podNodeConstraints(pod);
  let requests;
  try {
    requests = podRequests(pod);
  } catch (e) {
    const why = e instanceof QuantityError ? e.message : String(e);
    return { id, rep: pod, requests: { pods: 1 }, ports: [], node, volumeReqs: Requirements.EMPTY, error: `invalid resource quantity: ${why}`, plans };
  }
  const vol = volumes.podRequirements(pod);
  if (vol.error !== undefined) return { id, rep: pod, requests, ports: [], node, volumeReqs: Requirements.EMPTY, error: vol.error, plans };
  return { id, rep: pod, requests, ports: podHostPorts(pod), node, volumeReqs: vol.requirements, plans };
}
