/**
 * The shared test builders: pods, NodePools and EC2NodeClasses with defaults already applied,
 * instance types with offerings, existing nodes. Everything not given takes a plain default.
 */
import type { EC2NodeClass, NodePool, NodeSelectorRequirement, Taint } from "../../lib/api/types.ts";
import type { CapacityType, InstanceType, Offering } from "../../lib/ports/instance-type.ts";
import type { Container, DaemonSet, Pod, PodSpec } from "../../lib/api/kubernetes.ts";
import { parseResources } from "../../lib/quantity/resources.ts";
import type { ExistingNode, NodePoolOption, SchedulingInput } from "../../lib/scheduling/types.ts";

export const ZONE = "topology.kubernetes.io/zone";
export const HOSTNAME = "kubernetes.io/hostname";
export const CAPACITY_TYPE = "karpenter.sh/capacity-type";
export const INSTANCE_TYPE = "node.kubernetes.io/instance-type";
export const NODEPOOL = "karpenter.sh/nodepool";
export const ARCH = "kubernetes.io/arch";
export const ZONES = ["test-zone-a", "test-zone-b", "test-zone-c"];

export interface PodOptions extends Partial<PodSpec> {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  cpu?: string;
  memory?: string;
  requests?: Record<string, string>;
  limits?: Record<string, string>;
  ownerKind?: string;
}

let podCounter = 0;
export function pod(o: PodOptions = {}): Pod {
  const { name, namespace, labels, cpu, memory, requests, limits, ownerKind, ...spec } = o;
  const req: Record<string, string> = { ...(requests ?? {}) };
  if (cpu) req.cpu = cpu;
  if (memory) req.memory = memory;
  const container: Container = { name: "app", resources: { requests: req, ...(limits ? { limits } : {}) } };
  return {
    metadata: {
      name: name ?? `pod-${++podCounter}`,
      namespace: namespace ?? "default",
      labels,
      ...(ownerKind ? { ownerReferences: [{ apiVersion: "apps/v1", kind: ownerKind, name: "owner" }] } : {}),
    },
    spec: { containers: [container], ...spec },
  };
}

/** `n` identical pods named `<prefix>-<i>`. */
export function pods(n: number, prefix: string, o: PodOptions = {}): Pod[] {
  return Array.from({ length: n }, (_, i) => pod({ ...o, name: `${prefix}-${i}` }));
}

export interface NodePoolOptions {
  requirements?: NodeSelectorRequirement[];
  labels?: Record<string, string>;
  taints?: Taint[];
  startupTaints?: Taint[];
  weight?: number;
  limits?: Record<string, string>;
}

export function nodePool(name: string, o: NodePoolOptions = {}): NodePool {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name },
    spec: {
      template: {
        metadata: { labels: o.labels ?? {}, annotations: {} },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
          requirements: o.requirements ?? [],
          taints: o.taints ?? [],
          startupTaints: o.startupTaints ?? [],
          expireAfter: 720 * 3600 * 1000,
        },
      },
      disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: 0, budgets: [{ nodes: "10%" }] },
      limits: o.limits ?? {},
      ...(o.weight !== undefined ? { weight: o.weight } : {}),
    },
  };
}

export interface TypeOptions {
  cpu: string;
  memory: string;
  pods?: string;
  extra?: Record<string, string>;
  zones?: string[];
  /** On-demand price; spot is 40% of it unless given. */
  price: number;
  spotPrice?: number;
  capacityTypes?: CapacityType[];
  labels?: Record<string, string>;
  requirements?: NodeSelectorRequirement[];
  unavailable?: Array<{ zone: string; capacityType: CapacityType }>;
  offerings?: Offering[];
}

/** An instance type whose allocatable equals its capacity (overhead zero) unless `overhead` is set. */
export function instanceType(name: string, o: TypeOptions): InstanceType {
  const capacity = parseResources({ cpu: o.cpu, memory: o.memory, pods: o.pods ?? "110", ...(o.extra ?? {}) });
  const zones = o.zones ?? ZONES;
  const cts = o.capacityTypes ?? ["spot", "on-demand"];
  const offerings: Offering[] =
    o.offerings ??
    zones.flatMap((zone) =>
      cts.map((capacityType) => ({
        zone,
        capacityType,
        price: capacityType === "on-demand" ? o.price : (o.spotPrice ?? o.price * 0.4),
        available: !(o.unavailable ?? []).some((u) => u.zone === zone && u.capacityType === capacityType),
      })),
    );
  const available = offerings.filter((x) => x.available);
  return {
    name,
    capacity,
    overhead: { kubeReserved: {}, systemReserved: {}, evictionThreshold: {} },
    allocatable: capacity,
    requirements: [
      { key: INSTANCE_TYPE, operator: "In", values: [name] },
      { key: ARCH, operator: "In", values: ["amd64"] },
      { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
      { key: ZONE, operator: "In", values: [...new Set(available.map((x) => x.zone))] },
      { key: CAPACITY_TYPE, operator: "In", values: [...new Set(available.map((x) => x.capacityType))] },
      ...(o.requirements ?? []),
    ],
    labels: o.labels ?? {},
    offerings,
  };
}

/** A small default catalog: sizes 1..16 cpu, memory 4 GiB per cpu, price proportional. */
export function defaultTypes(): InstanceType[] {
  return [1, 2, 4, 8, 16].map((n) => instanceType(`m.${n}x`, { cpu: String(n), memory: `${4 * n}Gi`, price: 0.05 * n }));
}

export function option(np: NodePool, instanceTypes: InstanceType[] = defaultTypes()): NodePoolOption {
  return { nodePool: np, instanceTypes };
}

export function input(o: Partial<SchedulingInput> & { pods: Pod[] }): SchedulingInput {
  return {
    pods: o.pods,
    nodePools: o.nodePools ?? [option(nodePool("default"))],
    existingNodes: o.existingNodes ?? [],
    daemonSets: o.daemonSets ?? [],
    volumes: o.volumes ?? { claims: [], volumes: [], storageClasses: [] },
    ...(o.options ? { options: o.options } : {}),
  };
}

export interface ExistingOptions {
  labels?: Record<string, string>;
  cpu?: string;
  memory?: string;
  pods?: Pod[];
  taints?: Taint[];
  unschedulable?: boolean;
  initialized?: boolean;
  nodePoolName?: string;
}

export function existingNode(name: string, o: ExistingOptions = {}): ExistingNode {
  return {
    name,
    labels: { [HOSTNAME]: name, ...(o.labels ?? {}) },
    taints: o.taints ?? [],
    allocatable: parseResources({ cpu: o.cpu ?? "4", memory: o.memory ?? "16Gi", pods: "110" }),
    pods: (o.pods ?? []).map((p) => ({ ...p, spec: { ...p.spec, nodeName: name } })),
    unschedulable: o.unschedulable ?? false,
    initialized: o.initialized ?? true,
    ...(o.nodePoolName ? { nodePoolName: o.nodePoolName } : {}),
  };
}

export function daemonSet(name: string, spec: Partial<PodSpec> & { cpu?: string; memory?: string }): DaemonSet {
  const { cpu, memory, ...rest } = spec;
  return {
    metadata: { name, namespace: "kube-system" },
    spec: { template: { metadata: { labels: { ds: name } }, spec: { containers: [{ name: "d", resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } } }], ...rest } } },
  };
}

/** Names of the pods, for compact assertions. */
export function names(list: readonly Pod[]): string[] {
  return list.map((p) => p.metadata.name);
}

/** Discovery tag value the EC2NodeClass builder selects subnets and security groups by. */
export const CLUSTER = "tenon-test";

/** A parsed EC2NodeClass (defaults applied) with the given spec fields. */
export function nodeClass(spec: Partial<EC2NodeClass["spec"]> = {}, name = "default"): EC2NodeClass {
  return {
    apiVersion: "karpenter.k8s.aws/v1",
    kind: "EC2NodeClass",
    metadata: { name, uid: `uid-${name}` },
    spec: {
      subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": CLUSTER } }],
      securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": CLUSTER } }],
      amiSelectorTerms: [{ alias: "al2023@latest" }],
      instanceProfile: "tenon-node",
      tags: { team: "platform" },
      metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
      ...spec,
    },
  };
}

// ---- raw (unparsed) documents, as they sit in the cluster or the state table ----

/** A NodePool document (CRD object) for the in-memory world; `requirements` are added to the template's. */
export function nodePoolObject(name = "default", requirements: unknown[] = [], extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name, uid: `uid-nodepool-${name}` },
    spec: {
      template: {
        metadata: { labels: { team: "web" } },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
          requirements: [
            { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m"] },
            { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["5"] },
            { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
            ...requirements,
          ],
          startupTaints: [{ key: "node.cilium.io/agent-not-ready", value: "true", effect: "NoExecute" }],
        },
      },
      ...extra,
    },
  };
}

/** An EC2NodeClass document selecting subnets and security groups by `karpenter.sh/discovery: <clusterName>`. */
export function nodeClassObject(clusterName: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "karpenter.k8s.aws/v1",
    kind: "EC2NodeClass",
    metadata: { name: "default", uid: "uid-nodeclass-default" },
    spec: {
      subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": clusterName } }],
      securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": clusterName } }],
      amiSelectorTerms: [{ alias: "al2023@latest" }],
      instanceProfile: "tenon-node",
      ...spec,
    },
  };
}
