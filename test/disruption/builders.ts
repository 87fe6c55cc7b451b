/**
 * Builders for disruption tests: a cluster as objects (Nodes paired with NodeClaims, bound pods,
 * NodePools with their instance types), at a fixed decision time.
 */
import type { Budget, Condition, EC2NodeClass, NodeClaim, NodePool, Taint } from "../../lib/api/types.ts";
import type { InstanceType } from "../../lib/ports/instance-type.ts";
import type { DisruptionObjects } from "../../lib/disruption/decide.ts";
import type { DaemonSet, Node, PersistentVolume, PersistentVolumeClaim, Pod, PodDisruptionBudget } from "../../lib/api/kubernetes.ts";
import { formatResources } from "../../lib/quantity/resources.ts";
import type { NodePoolOption } from "../../lib/scheduling/types.ts";
import { instanceType, nodePool as basePool, type NodePoolOptions } from "../support/builders.ts";

export const AT = Date.parse("2026-12-03T10:00:00Z"); // a Thursday
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The test catalog. Prices are not proportional to size, so the cheapest answer is never simply
 * "the smallest node": old-4x costs more than new-4x, and big-8x is cheaper per cpu than two 4x.
 */
export function catalog(): InstanceType[] {
  return [
    instanceType("small-2x", { cpu: "2", memory: "8Gi", price: 0.1, zones: ["zone-a", "zone-b"], capacityTypes: ["on-demand"] }),
    instanceType("new-4x", { cpu: "4", memory: "16Gi", price: 0.2, zones: ["zone-a", "zone-b"], capacityTypes: ["on-demand"] }),
    instanceType("old-4x", { cpu: "4", memory: "16Gi", price: 0.3, zones: ["zone-a", "zone-b"], capacityTypes: ["on-demand"] }),
    instanceType("big-8x", { cpu: "8", memory: "32Gi", price: 0.34, zones: ["zone-a", "zone-b"], capacityTypes: ["on-demand"] }),
  ];
}

export interface PoolOptions extends NodePoolOptions {
  consolidationPolicy?: "WhenEmpty" | "WhenEmptyOrUnderutilized" | "Balanced";
  consolidateAfter?: number | null;
  budgets?: Budget[];
  expireAfter?: number | null;
  terminationGracePeriod?: number;
  annotations?: Record<string, string>;
  types?: InstanceType[];
}

export function pool(name: string, o: PoolOptions = {}): NodePoolOption {
  const np: NodePool = basePool(name, o);
  np.spec.disruption = {
    consolidationPolicy: o.consolidationPolicy ?? "WhenEmptyOrUnderutilized",
    consolidateAfter: o.consolidateAfter === undefined ? 0 : o.consolidateAfter,
    budgets: o.budgets ?? [{ nodes: "100%" }],
  };
  if (o.expireAfter !== undefined) np.spec.template.spec.expireAfter = o.expireAfter;
  if (o.terminationGracePeriod !== undefined) np.spec.template.spec.terminationGracePeriod = o.terminationGracePeriod;
  if (o.annotations) np.metadata.annotations = o.annotations;
  return { nodePool: np, instanceTypes: o.types ?? catalog() };
}

export interface NodeSpec {
  name: string;
  type: string;
  pool?: string;
  zone?: string;
  capacityType?: "spot" | "on-demand";
  pods?: Pod[];
  created?: number;
  lastPodEvent?: number;
  nodeAnnotations?: Record<string, string>;
  claimAnnotations?: Record<string, string>;
  conditions?: Condition[];
  deleting?: boolean;
  /** Taints on the Node (the disrupted taint of a command, say). */
  taints?: Taint[];
  notReady?: boolean;
  initialized?: boolean;
  noClaim?: boolean;
  noNode?: boolean;
  unmanaged?: boolean;
  extraLabels?: Record<string, string>;
  expireAfter?: number | null;
  terminationGracePeriod?: number;
  imageID?: string;
}

export interface ClusterSpec {
  pools?: NodePoolOption[];
  nodes: NodeSpec[];
  pending?: Pod[];
  pdbs?: PodDisruptionBudget[];
  nodeClasses?: EC2NodeClass[];
  daemonSets?: DaemonSet[];
  claims?: PersistentVolumeClaim[];
  volumes?: PersistentVolume[];
  /** FEATURE_GATES; default all off, as the functions. */
  spotToSpot?: boolean;
}

export function cluster(spec: ClusterSpec): DisruptionObjects {
  const pools = spec.pools ?? [pool("default")];
  const nodes: Node[] = [];
  const nodeClaims: NodeClaim[] = [];
  const pods: Pod[] = [...(spec.pending ?? [])];
  for (const n of spec.nodes) {
    const poolName = n.pool ?? "default";
    const option = pools.find((p) => p.nodePool.metadata.name === poolName) ?? pools[0]!;
    const type = option.instanceTypes.find((t) => t.name === n.type)!;
    const zone = n.zone ?? "zone-a";
    const ct = n.capacityType ?? "on-demand";
    const providerID = `aws:///${zone}/i-${n.name}`;
    const created = n.created ?? AT - 10 * DAY;
    const labels: Record<string, string> = {
      "kubernetes.io/hostname": n.name,
      "node.kubernetes.io/instance-type": n.type,
      "topology.kubernetes.io/zone": zone,
      "karpenter.sh/capacity-type": ct,
      "kubernetes.io/arch": "amd64",
      "kubernetes.io/os": "linux",
      ...(n.extraLabels ?? {}),
    };
    if (!n.unmanaged) labels["karpenter.sh/nodepool"] = poolName;
    if (n.initialized !== false && !n.unmanaged) labels["karpenter.sh/initialized"] = "true";
    if (!n.noNode) {
      nodes.push({
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name: n.name,
          labels,
          creationTimestamp: iso(created),
          ...(n.nodeAnnotations ? { annotations: n.nodeAnnotations } : {}),
          ...(n.deleting ? { deletionTimestamp: iso(AT - 60_000) } : {}),
        },
        spec: { providerID, ...(n.taints ? { taints: n.taints } : {}) },
        status: {
          allocatable: formatResources({ ...type.allocatable, pods: type.allocatable.pods ?? 110 }),
          conditions: [{ type: "Ready", status: n.notReady ? "False" : "True" }],
        },
      });
    }
    if (!n.noClaim && !n.unmanaged) {
      nodeClaims.push({
        apiVersion: "karpenter.sh/v1",
        kind: "NodeClaim",
        metadata: {
          name: `${n.name}-claim`,
          labels: { "karpenter.sh/nodepool": poolName },
          creationTimestamp: iso(created),
          ...(n.claimAnnotations ? { annotations: n.claimAnnotations } : {}),
        },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
          requirements: n.noNode ? [{ key: "node.kubernetes.io/instance-type", operator: "In", values: [n.type] }] : [],
          taints: [],
          startupTaints: [],
          expireAfter: n.expireAfter === undefined ? option.nodePool.spec.template.spec.expireAfter : n.expireAfter,
          ...(n.terminationGracePeriod !== undefined ? { terminationGracePeriod: n.terminationGracePeriod } : {}),
        },
        status: {
          providerID,
          ...(n.imageID ? { imageID: n.imageID } : {}),
          conditions: n.conditions ?? [
            { type: "Initialized", status: n.initialized === false ? "False" : "True", reason: "", message: "", lastTransitionTime: iso(created + 60_000) },
          ],
          lastPodEventTime: iso(n.lastPodEvent ?? AT - HOUR),
        },
      });
    }
    for (const p of n.pods ?? []) pods.push({ ...p, spec: { ...p.spec, nodeName: n.name }, status: { phase: "Running", ...(p.status ?? {}) } });
  }
  return {
    pods,
    nodes,
    nodeClaims,
    nodePools: pools,
    daemonSets: spec.daemonSets ?? [],
    persistentVolumeClaims: spec.claims ?? [],
    persistentVolumes: spec.volumes ?? [],
    storageClasses: [],
    nodeClasses: spec.nodeClasses ?? [],
    podDisruptionBudgets: spec.pdbs ?? [],
    ...(spec.spotToSpot !== undefined ? { featureGates: { spotToSpotConsolidation: spec.spotToSpot } } : {}),
  };
}

export function pdb(name: string, selector: Record<string, string>, o: { allowed?: number; minAvailable?: number | string; maxUnavailable?: number | string; alwaysAllow?: boolean } = {}): PodDisruptionBudget {
  return {
    metadata: { name, namespace: "default" },
    spec: {
      selector: { matchLabels: selector },
      ...(o.minAvailable !== undefined ? { minAvailable: o.minAvailable } : {}),
      ...(o.maxUnavailable !== undefined ? { maxUnavailable: o.maxUnavailable } : {}),
      ...(o.alwaysAllow ? { unhealthyPodEvictionPolicy: "AlwaysAllow" } : {}),
    },
    ...(o.allowed !== undefined ? { status: { disruptionsAllowed: o.allowed } } : {}),
  };
}
