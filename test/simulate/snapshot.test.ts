import { describe, expect, it } from "vitest";
import type { NodeClaim } from "../../lib/api/types.ts";
import type { DaemonSet, Node, Pod } from "../../lib/api/kubernetes.ts";
import { buildSchedulingInput, type ClusterObjects } from "../../lib/scheduling/snapshot.ts";
import { GiB, instanceType, nodePool, pod } from "../support/scheduling-properties/fixtures.ts";

const offerings = [{ zone: "us-east-1a", capacityType: "on-demand" as const, price: 0.1 }];
const m5 = instanceType("m5.large", 2000, 8 * GiB, offerings);
const m5x = instanceType("m5.xlarge", 4000, 16 * GiB, offerings);
const gpuPool = nodePool("gpu");
gpuPool.spec.template.spec.startupTaints = [{ key: "example.com/agent-not-ready", effect: "NoSchedule" }];

function objects(partial: Partial<ClusterObjects>): ClusterObjects {
  return {
    pods: [],
    nodes: [],
    nodeClaims: [],
    nodePools: [
      { nodePool: nodePool("default"), instanceTypes: [m5, m5x] },
      { nodePool: gpuPool, instanceTypes: [m5] },
    ],
    daemonSets: [],
    persistentVolumeClaims: [],
    persistentVolumes: [],
    storageClasses: [],
    ...partial,
  };
}

function node(name: string, labels: Record<string, string>, extra: Partial<Node["spec"]> = {}, allocatable: Record<string, string> = { cpu: "2", memory: "7Gi", pods: "29" }): Node {
  return { metadata: { name, labels }, spec: { providerID: `aws:///us-east-1a/i-${name}`, ...extra }, status: { allocatable } };
}

function nodeClaim(name: string, opts: { providerID?: string; pool?: string; requirements?: NodeClaim["spec"]["requirements"]; allocatable?: Record<string, string> } = {}): NodeClaim {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    metadata: { name, labels: { "karpenter.sh/nodepool": opts.pool ?? "default" } },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
      requirements: opts.requirements ?? [],
      taints: [],
      startupTaints: [],
      expireAfter: null,
    },
    status: { ...(opts.providerID ? { providerID: opts.providerID } : {}), ...(opts.allocatable ? { allocatable: opts.allocatable } : {}) },
  };
}

const daemonSet: DaemonSet = {
  metadata: { name: "logs", namespace: "kube-system" },
  spec: { template: { metadata: { labels: { app: "logs" } }, spec: { containers: [{ name: "logs", resources: { requests: { cpu: "200m", memory: "256Mi" } } }] } } },
};
function daemonPod(name: string, nodeName: string): Pod {
  return { ...pod(name, "200m", "256Mi", { nodeName }), metadata: { name, namespace: "kube-system", ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "logs" }] } };
}

describe("buildSchedulingInput: pods", () => {
  it("keeps unbound pods pending, but not DaemonSet-owned or terminating ones, and attaches bound pods to their node", () => {
    const pending = pod("web-0", "1", "1Gi");
    const terminating = { ...pod("old", "1", "1Gi"), metadata: { name: "old", deletionTimestamp: "2026-01-01T00:00:00Z" } };
    const dsPending = { ...daemonPod("logs-x", ""), spec: { containers: [{ name: "c" }] } };
    const bound = pod("api-0", "1", "1Gi", { nodeName: "n1" });
    const finished = { ...pod("job-0", "1", "1Gi", { nodeName: "n1" }), status: { phase: "Succeeded" } };
    const input = buildSchedulingInput(objects({ pods: [pending, terminating, dsPending, bound, finished], nodes: [node("n1", {})] }));
    expect(input.pods.map((p) => p.metadata.name)).toEqual(["web-0"]);
    expect(input.existingNodes[0]!.pods.map((p) => p.metadata.name)).toEqual(["api-0"]);
  });

  it("notes pods bound to nodes that are not in the input", () => {
    const notes: string[] = [];
    buildSchedulingInput(objects({ pods: [pod("lost", "1", "1Gi", { nodeName: "ghost" })] }), { note: (m) => notes.push(m) });
    expect(notes).toEqual(["pod default/lost is bound to node ghost, which is not in the input; ignored"]);
  });

  it("creates claims for generic ephemeral volumes as <pod>-<volume>, unless they exist", () => {
    const withScratch = pod("batch-0", "1", "1Gi", {
      volumes: [{ name: "scratch", ephemeral: { volumeClaimTemplate: { spec: { storageClassName: "gp3", resources: { requests: { storage: "10Gi" } } } } } }],
    });
    const input = buildSchedulingInput(objects({ pods: [withScratch] }));
    expect(input.volumes.claims).toHaveLength(1);
    expect(input.volumes.claims[0]!.metadata).toMatchObject({ name: "batch-0-scratch", namespace: "default" });
    expect(input.volumes.claims[0]!.spec.storageClassName).toBe("gp3");
    const again = buildSchedulingInput(objects({ pods: [withScratch], persistentVolumeClaims: input.volumes.claims }));
    expect(again.volumes.claims).toHaveLength(1);
  });

  it("rewrites beta label keys in pod constraints to their stable keys", () => {
    const old = pod("old", "1", "1Gi", {
      nodeSelector: { "beta.kubernetes.io/arch": "arm64" },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "failure-domain.beta.kubernetes.io/zone", operator: "In", values: ["us-east-1a"] }] }] } } },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "failure-domain.beta.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule" }],
    });
    const [normalized] = buildSchedulingInput(objects({ pods: [old] })).pods;
    expect(normalized!.spec.nodeSelector).toEqual({ "kubernetes.io/arch": "arm64" });
    expect(normalized!.spec.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]!.matchExpressions![0]!.key).toBe("topology.kubernetes.io/zone");
    expect(normalized!.spec.topologySpreadConstraints![0]!.topologyKey).toBe("topology.kubernetes.io/zone");
    expect(old.spec.nodeSelector).toEqual({ "beta.kubernetes.io/arch": "arm64" });
  });
});

describe("buildSchedulingInput: existing capacity", () => {
  it("treats a NodeClaim and a Node with the same provider ID as one machine named by the Node", () => {
    const n = node("ip-10-0-0-1.ec2.internal", { "karpenter.sh/nodepool": "default", "karpenter.sh/initialized": "true" });
    const c = nodeClaim("default-abcde", { providerID: n.spec.providerID! });
    const input = buildSchedulingInput(objects({ nodes: [n], nodeClaims: [c] }));
    expect(input.existingNodes).toHaveLength(1);
    expect(input.existingNodes[0]).toMatchObject({ name: "ip-10-0-0-1.ec2.internal", nodePoolName: "default", initialized: true });
    expect(input.existingNodes[0]!.nodeClaim).toBe(c);
  });

  it("makes a NodeClaim with no Node in-flight capacity named by the claim, labelled from its single-valued requirements", () => {
    const c = nodeClaim("default-xyz", {
      requirements: [
        { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] },
        { key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1a"] },
        { key: "kubernetes.io/arch", operator: "In", values: ["amd64", "arm64"] },
      ],
    });
    const [inFlight] = buildSchedulingInput(objects({ nodeClaims: [c] })).existingNodes;
    expect(inFlight).toMatchObject({ name: "default-xyz", initialized: false, nodePoolName: "default" });
    expect(inFlight!.labels).toMatchObject({ "node.kubernetes.io/instance-type": "m5.large", "topology.kubernetes.io/zone": "us-east-1a" });
    expect(inFlight!.labels["kubernetes.io/arch"]).toBe("amd64"); // from the instance type it will be
    expect(inFlight!.allocatable).toEqual(m5.allocatable);
  });

  it("gives an in-flight claim its status allocatable, else the smallest of the types it may become", () => {
    const reported = nodeClaim("a", { allocatable: { cpu: "3", memory: "10Gi", pods: "50" } });
    const open = nodeClaim("b", { requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large", "m5.xlarge"] }] });
    const [a, b] = buildSchedulingInput(objects({ nodeClaims: [reported, open] })).existingNodes;
    expect(a!.allocatable).toEqual({ cpu: 3000, memory: 10 * GiB, pods: 50 });
    expect(b!.allocatable).toEqual({ cpu: 2000, memory: 8 * GiB, pods: 110 });
  });

  it("ignores startup and not-ready taints on an uninitialized node and takes unreported resources from its NodeClaim", () => {
    const labels = { "karpenter.sh/nodepool": "gpu" };
    const taints = [
      { key: "example.com/agent-not-ready", effect: "NoSchedule" as const },
      { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" as const },
      { key: "dedicated", value: "gpu", effect: "NoSchedule" as const },
    ];
    const n = node("gpu-node", labels, { taints }, { cpu: "4", memory: "15Gi", pods: "58", "nvidia.com/gpu": "0" });
    const c = nodeClaim("gpu-abc", { pool: "gpu", providerID: n.spec.providerID!, allocatable: { cpu: "4", memory: "15Gi", pods: "58", "nvidia.com/gpu": "1" } });
    const [existing] = buildSchedulingInput(objects({ nodes: [n], nodeClaims: [c] })).existingNodes;
    expect(existing!.initialized).toBe(false);
    expect(existing!.taints.map((t) => t.key)).toEqual(["dedicated"]);
    expect(existing!.allocatable["nvidia.com/gpu"]).toBe(1);
    const initialized = node("gpu-node", { ...labels, "karpenter.sh/initialized": "true" }, { taints }, { cpu: "4", "nvidia.com/gpu": "0" });
    const [ready] = buildSchedulingInput(objects({ nodes: [initialized], nodeClaims: [c] })).existingNodes;
    expect(ready!.taints).toHaveLength(3);
    expect(ready!.allocatable["nvidia.com/gpu"]).toBe(0);
  });

  it("ignores karpenter.sh/unregistered on a node that joined before Tenon registered it", () => {
    const joined = node(
      "joined",
      { "karpenter.sh/nodepool": "gpu" },
      { taints: [{ key: "karpenter.sh/unregistered", effect: "NoExecute" }] },
      { cpu: "4", memory: "15Gi", pods: "58" },
    );
    const [existing] = buildSchedulingInput(objects({ nodes: [joined] })).existingNodes;
    expect(existing!.taints).toEqual([]);
    const registered = node("joined", { "karpenter.sh/nodepool": "gpu", "karpenter.sh/initialized": "true" }, { taints: [{ key: "karpenter.sh/unregistered", effect: "NoExecute" }] });
    expect(buildSchedulingInput(objects({ nodes: [registered] })).existingNodes[0]!.taints).toHaveLength(1);
  });

  it("takes unreported resources of an uninitialized node without a NodeClaim from its instance type", () => {
    const booting = node("booting", { "karpenter.sh/nodepool": "default", "node.kubernetes.io/instance-type": "m5.xlarge" }, {}, { pods: "58" });
    const [existing] = buildSchedulingInput(objects({ nodes: [booting] })).existingNodes;
    expect(existing!.allocatable).toEqual({ cpu: 4000, memory: 16 * GiB, pods: 58 });
  });

  it("treats nodes without a NodePool label as initialized, and cordoned or deleting nodes as unschedulable", () => {
    const plain = node("plain", {}, { unschedulable: true, taints: [{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }] });
    const [existing] = buildSchedulingInput(objects({ nodes: [plain] })).existingNodes;
    expect(existing).toMatchObject({ initialized: true, unschedulable: true });
    expect(existing!.taints).toHaveLength(1);
  });

  it("adds stable label keys next to beta ones on nodes", () => {
    const old = node("old", { "beta.kubernetes.io/arch": "amd64", "failure-domain.beta.kubernetes.io/zone": "us-east-1b" });
    const [existing] = buildSchedulingInput(objects({ nodes: [old] })).existingNodes;
    expect(existing!.labels).toMatchObject({ "kubernetes.io/arch": "amd64", "topology.kubernetes.io/zone": "us-east-1b", "beta.kubernetes.io/arch": "amd64" });
  });

  it("leaves DaemonSet overhead to the scheduler: allocatable is what the node or claim reports, bound DaemonSet pods stay on their node", () => {
    const inFlight = nodeClaim("default-1", { allocatable: { cpu: "2", memory: "8Gi", pods: "29" } });
    const booting = node("booting", { "karpenter.sh/nodepool": "default" });
    const input = buildSchedulingInput(objects({ nodes: [booting], nodeClaims: [inFlight], daemonSets: [daemonSet], pods: [daemonPod("logs-a", "booting")] }));
    expect(input.existingNodes.map((n) => n.allocatable.cpu)).toEqual([2000, 2000]);
    expect(input.existingNodes[0]!.pods.map((p) => p.metadata.name)).toEqual(["logs-a"]);
    expect(input.daemonSets).toEqual([daemonSet]);
  });
});
