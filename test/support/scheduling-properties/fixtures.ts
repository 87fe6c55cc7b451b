/** Small builders for scheduler inputs in the property tests and checker tests. */
import type { NodeSelectorRequirement, Taint } from "../../../lib/api/types.ts";
import type { CapacityType, InstanceType, Offering } from "../../../lib/ports/instance-type.ts";
import type { Pod, PodSpec } from "../../../lib/api/kubernetes.ts";
import type { ExistingNode, NewNodeClaim, NodePoolOption, SchedulingInput } from "../../../lib/scheduling/types.ts";

export const GiB = 1024 ** 3;

export function instanceType(
  name: string,
  cpuMilli: number,
  memoryBytes: number,
  offerings: Array<{ zone: string; capacityType: CapacityType; price: number; available?: boolean }>,
  extra: { arch?: string; pods?: number; labels?: Record<string, string> } = {},
): InstanceType {
  const offs: Offering[] = offerings.map((o) => ({ zone: o.zone, capacityType: o.capacityType, price: o.price, available: o.available ?? true }));
  const available = offs.filter((o) => o.available);
  const labels: Record<string, string> = { "node.kubernetes.io/instance-type": name, "kubernetes.io/arch": extra.arch ?? "amd64", "kubernetes.io/os": "linux", ...(extra.labels ?? {}) };
  const requirements: NodeSelectorRequirement[] = [
    ...Object.entries(labels).map(([key, v]) => ({ key, operator: "In" as const, values: [v] })),
    { key: "topology.kubernetes.io/zone", operator: "In", values: [...new Set(available.map((o) => o.zone))].sort() },
    { key: "karpenter.sh/capacity-type", operator: "In", values: [...new Set(available.map((o) => o.capacityType))].sort() },
  ];
  const capacity = { cpu: cpuMilli, memory: memoryBytes, pods: extra.pods ?? 110 };
  return {
    name,
    capacity,
    overhead: { kubeReserved: {}, systemReserved: {}, evictionThreshold: {} },
    allocatable: capacity,
    requirements,
    labels,
    offerings: offs,
  };
}

/** The same NodePool (defaults applied) as the example-based scheduler tests build. */
export { nodePool } from "../builders.ts";
import { pod as sharedPod } from "../builders.ts";

export function pod(name: string, cpu: string, memory: string, spec: Partial<PodSpec> = {}, labels: Record<string, string> = {}): Pod {
  return { apiVersion: "v1", kind: "Pod", ...sharedPod({ name, cpu, memory, labels, ...spec }) };
}

export function existingNode(name: string, labels: Record<string, string>, allocatable: Record<string, number>, opts: Partial<ExistingNode> = {}): ExistingNode {
  return {
    name,
    labels: { "kubernetes.io/hostname": name, ...labels },
    taints: [],
    allocatable,
    pods: [],
    unschedulable: false,
    initialized: true,
    ...opts,
  };
}

export function input(pods: Pod[], nodePools: NodePoolOption[], extra: Partial<SchedulingInput> = {}): SchedulingInput {
  return { pods, nodePools, existingNodes: [], daemonSets: [], volumes: { claims: [], volumes: [], storageClasses: [] }, ...extra };
}

/** A claim pinned by its requirements to the given zone and capacity type, listing the given types. */
export function claim(nodePoolName: string, types: InstanceType[], pods: Pod[], pins: Record<string, string> = {}, taints: Taint[] = []): NewNodeClaim {
  const labels: Record<string, string> = { "karpenter.sh/nodepool": nodePoolName, ...pins };
  const requirements: NodeSelectorRequirement[] = [
    ...Object.entries(labels).map(([key, v]) => ({ key, operator: "In" as const, values: [v] })),
    { key: "node.kubernetes.io/instance-type", operator: "In", values: types.map((t) => t.name) },
  ];
  const archs = [...new Set(types.map((t) => t.labels["kubernetes.io/arch"]!))];
  requirements.push({ key: "kubernetes.io/arch", operator: "In", values: archs });
  requirements.push({ key: "kubernetes.io/os", operator: "In", values: ["linux"] });
  return { nodePoolName, requirements, labels, taints, startupTaints: [], instanceTypes: types, pods, requests: {}, daemonSetRequests: {} };
}
