import { describe, expect, it } from "vitest";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { daemonSet, existingNode, input, instanceType, nodePool, option, pod, pods, ZONE } from "../support/builders.ts";
import { reasonOf } from "../support/scheduling.ts";

const types = () => [2, 4].map((n) => instanceType(`t${n}`, { cpu: String(n), memory: `${4 * n}Gi`, price: 0.1 * n }));

describe("DaemonSet overhead on new nodes", () => {
  it("adds the requests of DaemonSets that would run on the node", () => {
    const r = schedule(input({ pods: pods(1, "p", { cpu: "1500m" }), nodePools: [option(nodePool("default"), types())], daemonSets: [daemonSet("agent", { cpu: "1" })] }));
    const claim = r.newNodeClaims[0]!;
    expect(claim.daemonSetRequests).toEqual({ cpu: 1000, pods: 1 });
    expect(claim.requests.cpu).toBe(2500);
    expect(claim.instanceTypes.map((t) => t.name)).toEqual(["t4"]);
  });

  it("ignores DaemonSets that don't tolerate the NodePool taints or don't match its labels", () => {
    const np = nodePool("default", { taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }], labels: { role: "batch" } });
    const podsTolerating = pods(1, "p", { cpu: "1500m", tolerations: [{ key: "dedicated", operator: "Exists" }] });
    const intolerant = daemonSet("intolerant", { cpu: "1" });
    const elsewhere = daemonSet("elsewhere", { cpu: "1", tolerations: [{ operator: "Exists" }], nodeSelector: { role: "web" } });
    const matching = daemonSet("matching", { cpu: "200m", tolerations: [{ operator: "Exists" }], nodeSelector: { role: "batch" } });
    const r = schedule(input({ pods: podsTolerating, nodePools: [option(np, types())], daemonSets: [intolerant, elsewhere, matching] }));
    expect(r.newNodeClaims[0]!.daemonSetRequests).toEqual({ cpu: 200, pods: 1 });
    expect(r.newNodeClaims[0]!.instanceTypes.map((t) => t.name)).toEqual(["t2", "t4"]);
  });

  it("names the DaemonSet overhead when it makes a pod too big", () => {
    const r = schedule(input({ pods: pods(1, "p", { cpu: "3500m" }), nodePools: [option(nodePool("default"), types())], daemonSets: [daemonSet("agent", { cpu: "1" })] }));
    expect(reasonOf(r, "p-0")).toBe("no instance type in NodePool default has enough cpu (wants 4500m including 1 of DaemonSet overhead, largest 4)");
  });

  it("keeps pods off new nodes where a DaemonSet binds the same host port", () => {
    const exporter = daemonSet("node-exporter", { cpu: "100m" });
    exporter.spec.template.spec.containers[0]!.ports = [{ containerPort: 9100, hostPort: 9100 }];
    const clash = pods(1, "clash", { cpu: "100m" });
    clash[0]!.spec.containers[0]!.ports = [{ containerPort: 9100, hostPort: 9100 }];
    const r = schedule(input({ pods: clash, nodePools: [option(nodePool("default"), types())], daemonSets: [exporter] }));
    expect(reasonOf(r, "clash-0")).toBe("NodePool default: host port 0.0.0.0:9100/TCP is taken by a DaemonSet on its nodes");
  });

  it("holds back room on a node not yet initialized for DaemonSet pods not bound yet", () => {
    const ds = daemonSet("agent", { cpu: "1" });
    const fresh = existingNode("fresh", { cpu: "2", initialized: false, labels: { [ZONE]: "test-zone-a" } });
    const r = schedule(input({ pods: pods(2, "p", { cpu: "1" }), existingNodes: [fresh], daemonSets: [ds] }));
    expect(r.existingNodes[0]!.pods).toHaveLength(1);
  });
});

describe("DaemonSet overhead per instance type, as Karpenter", () => {
  const SIZE = "example.com/size";
  const sized = () => [
    instanceType("small", { cpu: "2", memory: "8Gi", price: 0.1, requirements: [{ key: SIZE, operator: "In", values: ["small"] }] }),
    instanceType("large", { cpu: "4", memory: "16Gi", price: 0.2, requirements: [{ key: SIZE, operator: "In", values: ["large"] }] }),
  ];
  const onSize = (name: string, size: string, cpu: string, hostPort?: number) => {
    const ds = daemonSet(name, { cpu, nodeSelector: { [SIZE]: size } });
    if (hostPort) ds.spec.template.spec.containers[0]!.ports = [{ containerPort: hostPort, hostPort }];
    return ds;
  };
  const withPort = (name: string, cpu: string, port: number) => {
    const p = pod({ name, cpu });
    p.spec.containers[0]!.ports = [{ containerPort: port, hostPort: port }];
    return p;
  };

  it("counts a DaemonSet only on the instance types it would run on", () => {
    const daemonSets = [onSize("small-agent", "small", "500m"), onSize("large-agent", "large", "3500m")];
    const fits = schedule(input({ pods: [pod({ name: "p", cpu: "1" })], nodePools: [option(nodePool("default"), sized())], daemonSets }));
    expect(fits.newNodeClaims.map((c) => c.instanceTypes.map((t) => t.name))).toEqual([["small"]]);
    expect(fits.newNodeClaims[0]!.daemonSetRequests).toEqual({ cpu: 500, pods: 1 });
    expect(fits.newNodeClaims[0]!.requests.cpu).toBe(1500);
    // 1.8 cpu: too much beside the small agent on small, and beside the large agent on large.
    const tooBig = schedule(input({ pods: [pod({ name: "big", cpu: "1800m" })], nodePools: [option(nodePool("default"), sized())], daemonSets }));
    expect(tooBig.newNodeClaims).toEqual([]);
    expect(reasonOf(tooBig, "big")).toContain("DaemonSet overhead");
  });

  it("ignores a DaemonSet no instance type meets", () => {
    const nowhere = daemonSet("nowhere", { cpu: "2", nodeSelector: { "node.kubernetes.io/instance-type": "no-such-type" } });
    const r = schedule(input({ pods: pods(1, "p", { cpu: "1500m" }), nodePools: [option(nodePool("default"), types())], daemonSets: [nowhere] }));
    expect(r.newNodeClaims[0]!.instanceTypes.map((t) => t.name)).toEqual(["t2", "t4"]);
    expect(r.newNodeClaims[0]!.daemonSetRequests).toEqual({});
  });

  it("counts DaemonSets that select karpenter.sh/initialized or karpenter.sh/registered, without putting those labels on the claim", () => {
    const affinity = (key: string) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: "In" as const, values: ["true"] }] }] } } });
    const daemonSets = [daemonSet("after-init", { cpu: "500m", affinity: affinity("karpenter.sh/initialized") }), daemonSet("after-register", { cpu: "500m", affinity: affinity("karpenter.sh/registered") })];
    const r = schedule(input({ pods: pods(1, "p", { cpu: "1500m" }), nodePools: [option(nodePool("default"), types())], daemonSets }));
    const claim = r.newNodeClaims[0]!;
    expect(claim.daemonSetRequests).toEqual({ cpu: 1000, pods: 2 });
    expect(claim.instanceTypes.map((t) => t.name)).toEqual(["t4"]);
    expect(claim.requirements.map((q) => q.key)).not.toContain("karpenter.sh/initialized");
    expect(Object.keys(claim.labels)).not.toContain("karpenter.sh/registered");
  });

  it("counts a DaemonSet's host ports only on the instance types it would run on", () => {
    const daemonSets = [onSize("large-exporter", "large", "100m", 8080), onSize("small-exporter", "small", "100m", 8081)];
    const r = schedule(input({ pods: [withPort("web", "100m", 8080)], nodePools: [option(nodePool("default"), sized())], daemonSets }));
    expect(r.unschedulable).toEqual([]);
    expect(r.newNodeClaims[0]!.instanceTypes.map((t) => t.name)).toEqual(["small"]);
    // Two pods on port 8080 need two nodes, and neither may be large: 8080 is the large exporter's there.
    const two = schedule(input({ pods: [withPort("a", "100m", 8080), withPort("b", "100m", 8080)], nodePools: [option(nodePool("default"), sized())], daemonSets }));
    expect(two.newNodeClaims.map((c) => c.instanceTypes.map((t) => t.name))).toEqual([["small"], ["small"]]);
    // Joining a claim opened by a pod without ports narrows it to the types where 8080 is free.
    const joined = schedule(input({ pods: [pod({ name: "first", cpu: "1" }), withPort("web", "100m", 8080)], nodePools: [option(nodePool("default"), sized())], daemonSets }));
    expect(joined.newNodeClaims.map((c) => [c.pods.map((p) => p.metadata.name), c.instanceTypes.map((t) => t.name)])).toEqual([[["first", "web"], ["small"]]]);
  });
});

