/**
 * The baselines' node groups: one per NodePool, of one fixed instance type, the way a platform team
 * would run an EKS managed node group or an Auto Scaling group behind Cluster Autoscaler.
 *
 * The type rule (docs/replay.md): among the NodePool's allowed types that fit its largest
 * pod (the component-wise maximum of its pods' requests, plus DaemonSet overhead), keep the 4-8 vCPU
 * sizes (when none fits, the smallest vCPU count that does), and take the one that covers the
 * NodePool's peak requests cheapest: price × max over cpu, memory and pods of peak / allocatable.
 * Ties: fewer vCPUs, then name.
 */
import type { Pod } from "../../api/kubernetes.ts";
import type { Taint } from "../../api/types.ts";
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_NODEPOOL, LABEL_ZONE } from "../../api/labels.ts";
import type { CapacityType } from "../../ports/instance-type.ts";
import { labelsSatisfy } from "../../requirements/node-selector.ts";
import { addResources, fitsIn, maxResources, subtractResources, type Resources } from "../../quantity/resources.ts";
import { prepareTypes, typeCompatible, type PreparedType } from "../../scheduling/instance-types.ts";
import { podRequests } from "../../scheduling/pod-requests.ts";
import { untoleratedTaint } from "../../scheduling/taints.ts";
import { buildTemplates, type NodePoolTemplate } from "../../scheduling/templates.ts";
import type { ReplayInput } from "../types.ts";

export interface NodeGroup {
  index: number;
  nodePool: string;
  instanceType: string;
  capacityType: CapacityType;
  /** Zones the group launches in, with the hourly price of its type and capacity type there. */
  zones: Array<{ zone: string; price: number }>;
  /** Node labels without the zone and hostname. */
  labels: Record<string, string>;
  taints: readonly Taint[];
  /** What pods may use: the type's allocatable minus the DaemonSets' requests. */
  podAllocatable: Resources;
  /** The type's allocatable as the node reports it (the utilization charts' denominator). */
  allocatable: Resources;
  /** Node count cap from the NodePool's limits (cpu, memory, nodes); Infinity when unlimited. */
  maxNodes: number;
  /** Whether the group's nodes carry GPUs: Cluster Autoscaler then measures GPU utilization only. */
  gpu: boolean;
}

/** A pod as the baselines see it: parsed requests and the (group, zone) pairs it may run on. */
export interface PodInfo {
  key: string;
  pod: Pod;
  requests: Resources;
  /** Group index -> zones of that group the pod accepts (taints, selector, affinity, size). */
  places: Map<number, Set<string>>;
  /** The group it belongs to for sizing: the first (by NodePool weight, then name) it fits. */
  home: number | undefined;
  /** Pods of one shape (requests and constraints) place alike: a failed fit is not retried for the same shape. */
  shape: string;
}

const GPU_RESOURCES = ["nvidia.com/gpu", "amd.com/gpu", "aws.amazon.com/neuron"];
const SIZE_KEYS = ["cpu", "memory", "pods"] as const;

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? "default"}/${pod.metadata.name}`;
}

/** Whether the pod can run on a node with these labels and taints (PreferNoSchedule is soft, as in kube-scheduler). */
export function podAcceptsNode(pod: Pod, labels: Readonly<Record<string, string>>, taints: readonly Taint[]): boolean {
  if (untoleratedTaint(pod.spec.tolerations ?? [], taints, true)) return false;
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return true;
  return terms.some((t) => labelsSatisfy(labels, t.matchExpressions ?? []));
}

interface PoolPlan {
  template: NodePoolTemplate;
  types: PreparedType[];
}

function vcpus(t: PreparedType): number {
  return (t.capacity.cpu ?? 0) / 1000;
}

function zonesFor(input: ReplayInput, template: NodePoolTemplate, t: PreparedType, ct: CapacityType): Array<{ zone: string; price: number }> {
  const out: Array<{ zone: string; price: number }> = [];
  for (const zone of input.zones) {
    if (!template.reqs.allows(LABEL_ZONE, zone)) continue;
    const o = t.offerings.find((x) => x.zone === zone && x.capacityType === ct);
    if (o) out.push({ zone, price: o.price });
  }
  return out;
}

/** Which capacity type a baseline runs for a NodePool: "static" runs on-demand unless only spot is allowed (or offered); "autoscaled" runs spot where allowed and offered. */
export type CapacityPolicy = "static" | "autoscaled";

function capacityTypesFor(template: NodePoolTemplate, policy: CapacityPolicy): CapacityType[] {
  const allowed = (["on-demand", "spot"] as const).filter((ct) => template.reqs.allows(LABEL_CAPACITY_TYPE, ct));
  return policy === "static" ? allowed : [...allowed].reverse();
}

/**
 * The node groups for a run and every pod of the trace resolved against them. Pods are matched to
 * NodePools as Karpenter would (taints, node selector and affinity against the NodePool's labels),
 * then the type is chosen from the pods each NodePool serves.
 */
export function planGroups(input: ReplayInput, policy: CapacityPolicy): { groups: NodeGroup[]; pods: Map<string, PodInfo> } {
  const templates = buildTemplates(
    input.nodePools.map((nodePool) => ({ nodePool, instanceTypes: input.instanceTypes })),
    input.daemonSets ?? [],
  );
  const prepared = prepareTypes(input.instanceTypes);
  const plans: PoolPlan[] = templates.map((template) => ({ template, types: prepared.filter((t) => typeCompatible(t, template.reqs)) }));

  // Each pod's requests, once; and its first NodePool by the NodePool's own labels and taints.
  const pods = new Map<string, PodInfo>();
  const poolOf = new Map<string, number>();
  const live = new Map<string, Resources>();
  const peak: Array<Record<string, number>> = plans.map(() => ({}));
  const largest: Array<Record<string, number>> = plans.map(() => ({}));
  const sums: Array<Record<string, number>> = plans.map(() => ({}));
  const sigCache = new Map<string, number>();
  for (const ev of input.demand) {
    const key = podKey(ev.pod);
    if (ev.kind === "add") {
      let info = pods.get(key);
      if (!info) {
        const requests = podRequests(ev.pod);
        const sig = JSON.stringify([ev.pod.spec.nodeSelector, ev.pod.spec.affinity?.nodeAffinity, ev.pod.spec.tolerations, requests]);
        info = { key, pod: ev.pod, requests, places: new Map(), home: undefined, shape: sig };
        pods.set(key, info);
        let pool = sigCache.get(sig);
        if (pool === undefined) {
          pool = plans.findIndex((p) => poolAccepts(p, ev.pod, info!.requests, input));
          sigCache.set(sig, pool);
        }
        poolOf.set(key, pool);
      }
      const pool = poolOf.get(key)!;
      if (pool >= 0 && !live.has(key)) {
        live.set(key, info.requests);
        const s = sums[pool]!;
        for (const r of SIZE_KEYS) {
          s[r] = (s[r] ?? 0) + (info.requests[r] ?? 0);
          peak[pool]![r] = Math.max(peak[pool]![r] ?? 0, s[r]!);
        }
        Object.assign(largest[pool]!, maxResources(largest[pool]!, info.requests));
      }
    } else {
      const req = live.get(key);
      if (!req) continue;
      live.delete(key);
      const s = sums[poolOf.get(key)!]!;
      for (const r of SIZE_KEYS) s[r] = (s[r] ?? 0) - (req[r] ?? 0);
    }
  }

  const groups: NodeGroup[] = [];
  plans.forEach((plan, i) => {
    // DaemonSet overhead is per type (only the DaemonSets that would run on it).
    const daemonOf = (t: PreparedType) => daemonOverheadOf(plan.template, t);
    const need = (t: PreparedType) => addResources(largest[i]!, daemonOf(t));
    // The preferred capacity type that some type fitting the largest pod offers.
    let ct: CapacityType = "on-demand";
    let fitting: PreparedType[] = [];
    for (const c of capacityTypesFor(plan.template, policy)) {
      fitting = plan.types.filter((t) => zonesFor(input, plan.template, t, c).length > 0 && fitsIn(need(t), t.allocatable));
      ct = c;
      if (fitting.length > 0) break;
    }
    if (fitting.length === 0) return;
    const typical = fitting.filter((t) => vcpus(t) >= 4 && vcpus(t) <= 8);
    const smallest = Math.min(...fitting.map(vcpus));
    const pool = typical.length > 0 ? typical : fitting.filter((t) => vcpus(t) === smallest);
    const coverCost = (t: PreparedType): number => {
      const price = Math.min(...zonesFor(input, plan.template, t, ct).map((z) => z.price));
      const usable = subtractResources(t.allocatable, daemonOf(t));
      let nodes = 0;
      for (const r of SIZE_KEYS) if ((peak[i]![r] ?? 0) > 0) nodes = Math.max(nodes, (peak[i]![r] ?? 0) / Math.max(1, usable[r] ?? 0));
      return price * nodes;
    };
    const scored = pool.map((t) => ({ t, cost: coverCost(t) }));
    scored.sort((a, b) => a.cost - b.cost || vcpus(a.t) - vcpus(b.t) || (a.t.it.name < b.t.it.name ? -1 : a.t.it.name > b.t.it.name ? 1 : 0));
    const chosen = scored[0]!.t;
    const labels: Record<string, string> = {
      ...chosen.it.labels,
      ...plan.template.labels,
      [LABEL_INSTANCE_TYPE]: chosen.it.name,
      [LABEL_CAPACITY_TYPE]: ct,
      [LABEL_NODEPOOL]: plan.template.name,
    };
    for (const r of chosen.it.requirements) {
      if (r.operator === "In" && r.values?.length === 1 && labels[r.key] === undefined) labels[r.key] = r.values[0]!;
    }
    groups.push({
      index: groups.length,
      nodePool: plan.template.name,
      instanceType: chosen.it.name,
      capacityType: ct,
      zones: zonesFor(input, plan.template, chosen, ct),
      labels,
      taints: plan.template.taints,
      podAllocatable: subtractResources(chosen.allocatable, daemonOf(chosen)),
      allocatable: chosen.allocatable,
      maxNodes: maxNodesFor(plan.template, chosen),
      gpu: GPU_RESOURCES.some((r) => (chosen.allocatable[r] ?? 0) > 0),
    });
  });

  // Where each pod may run, by group and zone; its home is the first group it fits.
  const placeCache = new Map<string, Map<number, Set<string>>>();
  for (const info of pods.values()) {
    const sig = info.shape;
    let places = placeCache.get(sig);
    if (!places) {
      places = new Map();
      for (const g of groups) {
        if (!fitsIn(info.requests, g.podAllocatable)) continue;
        const zones = new Set(g.zones.filter((z) => podAcceptsNode(info.pod, { ...g.labels, [LABEL_ZONE]: z.zone }, g.taints)).map((z) => z.zone));
        if (zones.size > 0) places.set(g.index, zones);
      }
      placeCache.set(sig, places);
    }
    info.places = places;
    const pool = poolOf.get(info.key);
    const own = groups.find((g) => pool !== undefined && pool >= 0 && g.nodePool === plans[pool]!.template.name && places.has(g.index));
    info.home = own?.index ?? [...places.keys()][0];
  }
  return { groups, pods };
}

/** The DaemonSet overhead a node of this type in this NodePool carries (the scheduler's per-type figure). */
function daemonOverheadOf(template: NodePoolTemplate, t: PreparedType): Resources {
  let byType = daemonCache.get(template);
  if (!byType) daemonCache.set(template, (byType = new Map(template.catalog.types.map((x) => [x.it.name, x.daemon]))));
  return byType.get(t.it.name) ?? {};
}
const daemonCache = new WeakMap<NodePoolTemplate, Map<string, Resources>>();

function poolAccepts(plan: PoolPlan, pod: Pod, requests: Resources, input: ReplayInput): boolean {
  if (untoleratedTaint(pod.spec.tolerations ?? [], plan.template.taints, true)) return false;
  return plan.types.some((t) => {
    if (!fitsIn(addResources(requests, daemonOverheadOf(plan.template, t)), t.allocatable)) return false;
    const base = { ...t.it.labels, ...plan.template.labels, [LABEL_INSTANCE_TYPE]: t.it.name };
    return input.zones.some((zone) => ["on-demand", "spot"].some((ct) => podAcceptsNode(pod, { ...base, [LABEL_ZONE]: zone, [LABEL_CAPACITY_TYPE]: ct }, [])));
  });
}

function maxNodesFor(template: NodePoolTemplate, t: PreparedType): number {
  let max = Infinity;
  const limits = template.limits;
  if (!limits) return max;
  for (const [name, limit] of Object.entries(limits)) {
    if (name === "nodes") max = Math.min(max, Math.floor(limit));
    else if ((t.capacity[name] ?? 0) > 0) max = Math.min(max, Math.floor(limit / t.capacity[name]!));
  }
  return max;
}
