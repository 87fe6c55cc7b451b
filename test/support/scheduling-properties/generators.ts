/** fast-check generators of random but well-formed clusters for the scheduler's property tests. */
import fc from "fast-check";
import type { NodeSelectorRequirement, Taint } from "../../../lib/api/types.ts";
import type { CapacityType, InstanceType } from "../../../lib/ports/instance-type.ts";
import type { DaemonSet, Pod, Toleration } from "../../../lib/api/kubernetes.ts";
import type { ExistingNode, NodePoolOption, SchedulingInput } from "../../../lib/scheduling/types.ts";
import { existingNode, GiB, instanceType, nodePool } from "./fixtures.ts";

export const ZONES = ["z-1", "z-2", "z-3"];
const ARCHES = ["amd64", "arm64"];
const CAPACITY_TYPES: CapacityType[] = ["spot", "on-demand"];
/** `arb` one time in `oneIn`, otherwise undefined. */
function sometimes<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: oneIn - 1 }, { arbitrary: arb, weight: 1 });
}

const DEDICATED: Taint = { key: "dedicated", value: "special", effect: "NoSchedule" };

const instanceTypeArb = (index: number): fc.Arbitrary<InstanceType> =>
  fc
    .record({
      cpu: fc.constantFrom(1, 2, 4, 8, 16),
      memoryPerCpu: fc.constantFrom(1, 2, 4, 8),
      arch: fc.constantFrom(...ARCHES),
      pods: fc.constantFrom(8, 29, 110),
      offerings: fc.uniqueArray(
        fc.record({
          zone: fc.constantFrom(...ZONES),
          capacityType: fc.constantFrom(...CAPACITY_TYPES),
          price: fc.integer({ min: 1, max: 500 }).map((n) => n / 100),
          available: fc.integer({ min: 0, max: 9 }).map((n) => n > 0), // nine in ten offerings are available
        }),
        { minLength: 1, maxLength: 6, selector: (o) => `${o.zone}/${o.capacityType}` },
      ),
    })
    .map((t) => instanceType(`t${index}-${t.cpu}x${t.memoryPerCpu}`, t.cpu * 1000, t.cpu * t.memoryPerCpu * GiB, t.offerings, { arch: t.arch, pods: t.pods }));

const instanceTypesArb: fc.Arbitrary<InstanceType[]> = fc
  .integer({ min: 1, max: 6 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => instanceTypeArb(i))));

const poolArb = (name: string, types: InstanceType[]): fc.Arbitrary<NodePoolOption> =>
  fc
    .record({
      arch: sometimes(fc.subarray(ARCHES, { minLength: 1 }), 3),
      capacityTypes: sometimes(fc.subarray(CAPACITY_TYPES, { minLength: 1 }), 3),
      zones: sometimes(fc.subarray(ZONES, { minLength: 1 }), 3),
      tainted: sometimes(fc.constant(true), 4).map(Boolean),
      team: sometimes(fc.constantFrom("a", "b"), 2),
      cpuLimit: sometimes(fc.integer({ min: 2, max: 64 }), 3),
      weight: sometimes(fc.integer({ min: 1, max: 100 }), 2),
      types: fc.subarray(types, { minLength: 1 }),
    })
    .map((p) => {
      const requirements: NodeSelectorRequirement[] = [];
      if (p.arch) requirements.push({ key: "kubernetes.io/arch", operator: "In", values: p.arch });
      if (p.capacityTypes) requirements.push({ key: "karpenter.sh/capacity-type", operator: "In", values: p.capacityTypes });
      if (p.zones) requirements.push({ key: "topology.kubernetes.io/zone", operator: "In", values: p.zones });
      const pool = nodePool(name, {
        requirements,
        taints: p.tainted ? [DEDICATED] : [],
        ...(p.team ? { labels: { team: p.team } } : {}),
        ...(p.cpuLimit ? { limits: { cpu: String(p.cpuLimit) } } : {}),
        ...(p.weight ? { weight: p.weight } : {}),
      });
      return { nodePool: pool, instanceTypes: p.types };
    });

interface PodTraits {
  cpu: number;
  memoryMi: number;
  group: number;
  arch?: string;
  zone?: string;
  team?: string;
  tolerates: boolean;
  constraint: "none" | "zone-spread" | "host-spread" | "host-anti" | "host-port";
  /** A claim bound to a volume in one zone, an unbound claim of a zonal StorageClass, or a claim that does not exist. */
  volume?: { kind: "zonal-pv" | "wait-for-consumer" | "missing"; zone: string };
}

const podTraitsArb: fc.Arbitrary<PodTraits> = fc.record({
  cpu: fc.integer({ min: 1, max: 40 }).map((n) => n * 100),
  memoryMi: fc.integer({ min: 1, max: 32 }).map((n) => n * 256),
  group: fc.integer({ min: 0, max: 2 }),
  arch: sometimes(fc.constantFrom(...ARCHES), 5),
  zone: sometimes(fc.constantFrom(...ZONES), 6),
  team: sometimes(fc.constantFrom("a", "b"), 8),
  tolerates: sometimes(fc.constant(true), 3).map(Boolean),
  constraint: fc.constantFrom("none", "none", "zone-spread", "host-spread", "host-anti", "host-port"),
  volume: sometimes(fc.record({ kind: fc.constantFrom("zonal-pv" as const, "wait-for-consumer" as const, "missing" as const), zone: fc.constantFrom(...ZONES) }), 6),
});

export function podFrom(name: string, t: PodTraits, nodeName?: string): Pod {
  const app = `${t.constraint}-${t.group}`;
  const selector = { matchLabels: { app } };
  const nodeSelector: Record<string, string> = {};
  if (t.arch) nodeSelector["kubernetes.io/arch"] = t.arch;
  if (t.zone) nodeSelector["topology.kubernetes.io/zone"] = t.zone;
  if (t.team) nodeSelector.team = t.team;
  const tolerations: Toleration[] = t.tolerates ? [{ key: "dedicated", operator: "Equal", value: "special", effect: "NoSchedule" }] : [];
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app } },
    spec: {
      containers: [
        {
          name: "app",
          resources: { requests: { cpu: `${t.cpu}m`, memory: `${t.memoryMi}Mi` } },
          ...(t.constraint === "host-port" ? { ports: [{ containerPort: 80, hostPort: 8080 }] } : {}),
        },
      ],
      ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
      ...(tolerations.length ? { tolerations } : {}),
      ...(nodeName ? { nodeName } : {}),
      ...(t.volume ? { volumes: [{ name: "data", persistentVolumeClaim: { claimName: `${name}-data` } }] } : {}),
    },
  };
  if (t.constraint === "zone-spread" || t.constraint === "host-spread") {
    const topologyKey = t.constraint === "zone-spread" ? "topology.kubernetes.io/zone" : "kubernetes.io/hostname";
    pod.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey, whenUnsatisfiable: "DoNotSchedule", labelSelector: selector }];
  }
  if (t.constraint === "host-anti") {
    pod.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: selector }] } };
  }
  return pod;
}

const existingNodeArb = (index: number): fc.Arbitrary<ExistingNode> =>
  fc
    .record({
      zone: fc.constantFrom(...ZONES),
      arch: fc.constantFrom(...ARCHES),
      cpu: fc.constantFrom(2, 4, 8),
      tainted: fc.boolean(),
      unschedulable: fc.boolean(),
      bound: fc.array(podTraitsArb, { maxLength: 3 }),
    })
    .map((n) => {
      const name = `node-${index}`;
      return existingNode(
        name,
        { "topology.kubernetes.io/zone": n.zone, "kubernetes.io/arch": n.arch, "kubernetes.io/os": "linux" },
        { cpu: n.cpu * 1000, memory: n.cpu * 4 * GiB, pods: 20 },
        {
          taints: n.tainted ? [DEDICATED] : [],
          unschedulable: n.unschedulable,
          // Bound pods carry no hard constraints of their own here; they use capacity and count for spread.
          pods: n.bound.map((t, i) => podFrom(`${name}-bound-${i}`, { ...t, arch: undefined, zone: undefined, team: undefined, constraint: "none", volume: undefined }, name)),
        },
      );
    });

const daemonSetArb: fc.Arbitrary<DaemonSet[]> = fc.array(
  fc.record({ cpu: fc.integer({ min: 1, max: 5 }).map((n) => n * 50), tolerates: fc.boolean() }),
  { maxLength: 2 },
).map((list) =>
  list.map((d, i) => ({
    metadata: { name: `ds-${i}`, namespace: "kube-system" },
    spec: {
      template: {
        spec: {
          containers: [{ name: "d", resources: { requests: { cpu: `${d.cpu}m`, memory: "64Mi" } } }],
          ...(d.tolerates ? { tolerations: [{ operator: "Exists" as const }] } : {}),
        },
      },
    },
  })),
);

export const clusterArb: fc.Arbitrary<SchedulingInput> = instanceTypesArb.chain((types) =>
  fc
    .record({
      pools: fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => poolArb(`pool-${i}`, types)))),
      nodes: fc.integer({ min: 0, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => existingNodeArb(i))) as fc.Arbitrary<ExistingNode[]>),
      pods: fc.array(podTraitsArb, { minLength: 1, maxLength: 25 }),
      daemonSets: daemonSetArb,
    })
    .map(({ pools, nodes, pods, daemonSets }) => ({
      pods: pods.map((t, i) => podFrom(`p-${i}`, t)),
      nodePools: pools,
      existingNodes: nodes,
      daemonSets,
      volumes: volumesFor(pods),
    })),
);

/** The claims, volumes and StorageClasses the pods' volume traits call for. */
function volumesFor(pods: readonly PodTraits[]): SchedulingInput["volumes"] {
  const volumes: SchedulingInput["volumes"] = { claims: [], volumes: [], storageClasses: [] };
  volumes.storageClasses.push({
    metadata: { name: "zonal" },
    provisioner: "ebs.csi.aws.com",
    volumeBindingMode: "WaitForFirstConsumer",
    allowedTopologies: [{ matchLabelExpressions: [{ key: "topology.kubernetes.io/zone", values: ["z-1", "z-2"] }] }],
  });
  pods.forEach((t, i) => {
    if (!t.volume || t.volume.kind === "missing") return;
    const claimName = `p-${i}-data`;
    if (t.volume.kind === "zonal-pv") {
      const pvName = `pv-${i}`;
      volumes.claims.push({ metadata: { name: claimName, namespace: "default", annotations: { "pv.kubernetes.io/bind-completed": "yes" } }, spec: { storageClassName: "zonal", volumeName: pvName } });
      volumes.volumes.push({
        metadata: { name: pvName },
        spec: {
          storageClassName: "zonal",
          claimRef: { name: claimName, namespace: "default" },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: [t.volume.zone] }] }] } },
        },
      });
    } else {
      volumes.claims.push({ metadata: { name: claimName, namespace: "default" }, spec: { storageClassName: "zonal" } });
    }
  });
  return volumes;
}
