/** Groups pending pods that schedule alike, so their constraints are worked out once. */
import type { Pod } from "../api/kubernetes.ts";
import { QuantityError } from "../quantity/quantity.ts";
import type { Resources } from "../quantity/resources.ts";
import { Requirements } from "../requirements/index.ts";
import { podHostPorts, type HostPort } from "./host-ports.ts";
import { podNodeConstraints } from "./node-affinity.ts";
import type { PodFamily, PodGroup } from "./plan.ts";
import { draRequirementField, podRequests } from "./pod-requests.ts";
import type { VolumeIndex } from "./volume-topology.ts";

/**
 * What scheduling reads of a pod, and nothing else: namespace and labels (selectors match them),
 * requests as the scheduler computes them, host ports, node selector, affinity, tolerations,
 * topology spread, volumes and priority. Container names, images, env, commands and the like are
 * left out, so pods that differ only there (each of Karpenter's test pods has a random container
 * name) share one group. A field the scheduler starts to read must join this key. Generic
 * ephemeral volumes name their claims after the pod, so such pods group only with themselves.
 */
function signature(pod: Pod, requests: Resources | null, ports: readonly HostPort[]): string {
  const spec = pod.spec;
  return JSON.stringify([
    pod.metadata.namespace || "default",
    pod.metadata.labels ?? {},
    requests,
    ports,
    spec.nodeSelector ?? null,
    spec.affinity ?? null,
    spec.tolerations ?? null,
    spec.topologySpreadConstraints ?? null,
    spec.volumes ?? null,
    spec.priority ?? null,
    spec.priorityClassName ?? null,
    hasEphemeralVolume(pod) ? pod.metadata.name : "",
    draRequirementField(pod) ?? "",
  ]);
}

/** The pod's namespace, labels and whole spec (and name, with generic ephemeral volumes). */
function wholeSignature(pod: Pod): string {
  return JSON.stringify([pod.metadata.namespace || "default", pod.metadata.labels ?? {}, pod.spec, hasEphemeralVolume(pod) ? pod.metadata.name : ""]);
}

function hasEphemeralVolume(pod: Pod): boolean {
  return (pod.spec.volumes ?? []).some((v) => v.ephemeral);
}

/**
 * The groups, each pod's group, and each pod's spec rank: the first-appearance index of its
 * namespace, labels and whole spec. Pods of equal requests are placed in spec-rank order, the
 * order of the groups before they were keyed on what scheduling reads, so results stay what they
 * were (a group id would reorder pods that differ only in, say, a container name).
 */
export function groupPods(pods: readonly Pod[], volumes: VolumeIndex): { groups: PodGroup[]; groupOf: PodGroup[]; specRank: number[] } {
  const bySig = new Map<string, PodGroup>();
  const families = new Map<string, PodFamily>();
  const groups: PodGroup[] = [];
  const groupOf: PodGroup[] = [];
  /** By whole signature: its rank, and the group of the first pod with it (an equal spec has an equal key). */
  const seen = new Map<string, { rank: number; group: PodGroup }>();
  const specRank: number[] = [];
  for (const pod of pods) {
    const whole = wholeSignature(pod);
    const known = seen.get(whole);
    if (known) {
      // The same namespace, labels and spec as an earlier pod: same group, without reading it again.
      specRank.push(known.rank);
      groupOf.push(known.group);
      continue;
    }
    specRank.push(seen.size);
    let requests: Resources | undefined;
    let why = "";
    try {
      requests = podRequests(pod);
    } catch (e) {
      why = e instanceof QuantityError ? e.message : String(e);
    }
    const ports = podHostPorts(pod);
    // A pod whose quantities don't parse keeps its whole spec as key: its error names its own quantity.
    const sig = requests ? signature(pod, requests, ports) : `invalid ${whole}`;
    let g = bySig.get(sig);
    if (!g) {
      // Pods alike in everything but their requests share candidate lists (plan.ts).
      const familySig = requests ? signature(pod, null, ports) : sig;
      let family = families.get(familySig);
      if (!family) families.set(familySig, (family = { lists: new Map() }));
      g = makeGroup(groups.length, pod, requests, ports, why, volumes, family);
      bySig.set(sig, g);
      groups.push(g);
    }
    seen.set(whole, { rank: seen.size, group: g });
    groupOf.push(g);
  }
  return { groups, groupOf, specRank };
}

/** One alternative that constrains nothing: the pod has no volume topology. */
const NO_VOLUME_ALTERNATIVES: readonly Requirements[] = [Requirements.EMPTY];

function makeGroup(id: number, pod: Pod, requests: Resources | undefined, ports: HostPort[], why: string, volumes: VolumeIndex, family: PodFamily): PodGroup {
  const plans = new Map();
  const node = podNodeConstraints(pod);
  if (!requests) return { id, rep: pod, requests: { pods: 1 }, ports: [], node, volumeAlts: NO_VOLUME_ALTERNATIVES, error: `invalid resource quantity: ${why}`, plans, family };
  const dra = draRequirementField(pod);
  if (dra !== undefined) {
    const error = `pod has Dynamic Resource Allocation requirements (${dra}), which Tenon does not schedule yet (as Karpenter with its default IGNORE_DRA_REQUESTS)`;
    return { id, rep: pod, requests, ports: [], node, volumeAlts: NO_VOLUME_ALTERNATIVES, error, plans, family };
  }
  const vol = volumes.podRequirements(pod);
  if (vol.error !== undefined) return { id, rep: pod, requests, ports: [], node, volumeAlts: NO_VOLUME_ALTERNATIVES, error: vol.error, plans, family };
  return { id, rep: pod, requests, ports, node, volumeAlts: vol.alternatives.length ? vol.alternatives : NO_VOLUME_ALTERNATIVES, plans, family };
}
