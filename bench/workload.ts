/**
 * Synthetic scheduling workloads for the benchmark: one NodePool without limits, a grid of 400
 * instance types over three zones with spot and on-demand offerings, and pods of five kinds in equal
 * parts (plain, zonal spread, hostname spread, zonal self-affinity, hostname anti-affinity).
 * Everything comes from a seeded PRNG, so a size always produces the same input.
 */
import type { NodePool, NodeSelectorRequirement } from "../lib/api/types.ts";
import type { InstanceType, Offering } from "../lib/ports/instance-type.ts";
import type { Pod } from "../lib/api/kubernetes.ts";
import type { SchedulingInput } from "../lib/scheduling/types.ts";
import { seededRandom } from "../lib/replay/trace/random.ts";

/** mulberry32 (the replay's seeded PRNG): small, fast, good enough for synthetic data. */
export const prng = seededRandom;

export const ZONES = ["test-zone-1", "test-zone-2", "test-zone-3"];
const GiB = 1024 ** 3;
const CPU_SIZES = [1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 40, 48, 64, 72, 80, 96, 112, 128, 192];
const MEMORY_PER_CPU_GIB = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 9, 10, 12, 16];

/** 20 cpu sizes x 20 memory ratios = 400 types, priced by size with a few percent of noise. */
export function syntheticInstanceTypes(seed = 1): InstanceType[] {
  const random = prng(seed);
  const out: InstanceType[] = [];
  for (const cpu of CPU_SIZES) {
    for (const ratio of MEMORY_PER_CPU_GIB) {
      const memoryGiB = cpu * ratio;
      const name = `bench-c${cpu}-m${memoryGiB}`;
      const base = cpu * 0.024 + memoryGiB * 0.0035;
      const offerings: Offering[] = [];
      for (const zone of ZONES) {
        const noise = 1 + (random() - 0.5) * 0.1;
        offerings.push({ zone, capacityType: "on-demand", price: round(base * noise), available: true });
        offerings.push({ zone, capacityType: "spot", price: round(base * 0.35 * (1 + (random() - 0.5) * 0.2)), available: true });
      }
      const labels = { "node.kubernetes.io/instance-type": name, "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux" };
      const requirements: NodeSelectorRequirement[] = [
        ...Object.entries(labels).map(([key, v]) => ({ key, operator: "In" as const, values: [v] })),
        { key: "topology.kubernetes.io/zone", operator: "In", values: [...ZONES] },
        { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand", "spot"] },
      ];
      const capacity = { cpu: cpu * 1000, memory: Math.round(memoryGiB * GiB), pods: 110 };
      const kubeReserved = { cpu: 60 + 10 * Math.ceil(Math.log2(cpu + 1)), memory: 255 * 1024 ** 2 + 11 * 1024 ** 2 * 110 };
      const evictionThreshold = { memory: 100 * 1024 ** 2 };
      out.push({
        name,
        capacity,
        overhead: { kubeReserved, systemReserved: {}, evictionThreshold },
        allocatable: { cpu: capacity.cpu - kubeReserved.cpu, memory: capacity.memory - kubeReserved.memory - evictionThreshold.memory, pods: 110 },
        requirements,
        labels,
        offerings,
      });
    }
  }
  return out.filter((it) => (it.allocatable.memory ?? 0) > 0);
}

function round(price: number): number {
  return Math.round(price * 1e5) / 1e5;
}

export function benchNodePool(): NodePool {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: "default" },
    spec: {
      template: {
        metadata: { labels: {}, annotations: {} },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
          requirements: [],
          taints: [],
          startupTaints: [],
          expireAfter: 720 * 3600_000,
        },
      },
      disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: 0, budgets: [{ nodes: "10%" }] },
      limits: {},
    },
  };
}

export type PodKind = "generic" | "zonal-spread" | "hostname-spread" | "zonal-affinity" | "hostname-anti-affinity";
export const POD_KINDS: readonly PodKind[] = ["generic", "zonal-spread", "hostname-spread", "zonal-affinity", "hostname-anti-affinity"];

/** Pods in groups of up to 50 sharing an `app` label, so spread, affinity and anti-affinity act on real groups. */
export function syntheticPods(count: number, seed = 2): Pod[] {
  const random = prng(seed);
  const pods: Pod[] = [];
  const perKind = POD_KINDS.map((_, k) => Math.floor(count / POD_KINDS.length) + (k < count % POD_KINDS.length ? 1 : 0));
  POD_KINDS.forEach((kind, k) => {
    for (let i = 0; i < perKind[k]!; i++) {
      const app = `${kind}-${Math.floor(i / 50)}`;
      const cpu = 100 * (1 + Math.floor(random() * 20)); // 100m .. 2000m
      const memoryMi = 128 * (1 + Math.floor(random() * 32)); // 128Mi .. 4Gi
      const pod: Pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `${kind}-${i}`, namespace: "bench", labels: { app } },
        spec: { containers: [{ name: "app", resources: { requests: { cpu: `${cpu}m`, memory: `${memoryMi}Mi` } } }] },
      };
      const selector = { matchLabels: { app } };
      if (kind === "zonal-spread" || kind === "hostname-spread") {
        const topologyKey = kind === "zonal-spread" ? "topology.kubernetes.io/zone" : "kubernetes.io/hostname";
        pod.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey, whenUnsatisfiable: "DoNotSchedule", labelSelector: selector }];
      } else if (kind === "zonal-affinity") {
        pod.spec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "topology.kubernetes.io/zone", labelSelector: selector }] } };
      } else if (kind === "hostname-anti-affinity") {
        pod.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: selector }] } };
      }
      pods.push(pod);
    }
  });
  return pods;
}

export function benchmarkInput(podCount: number, instanceTypes = syntheticInstanceTypes()): SchedulingInput {
  return inputFor(syntheticPods(podCount), instanceTypes);
}

/** The pods on the bench cluster: one NodePool over the given instance types, nothing else. */
export function inputFor(pods: Pod[], instanceTypes: InstanceType[]): SchedulingInput {
  return {
    pods,
    nodePools: [{ nodePool: benchNodePool(), instanceTypes }],
    existingNodes: [],
    daemonSets: [],
    volumes: { claims: [], volumes: [], storageClasses: [] },
  };
}
