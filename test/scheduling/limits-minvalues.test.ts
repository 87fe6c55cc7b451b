import { describe, expect, it } from "vitest";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { existingNode, input, INSTANCE_TYPE, instanceType, nodePool, option, pods, ZONE, ZONES } from "../support/builders.ts";

const sizes = (...cpus: number[]) => cpus.map((n) => instanceType(`c${n}`, { cpu: String(n), memory: `${4 * n}Gi`, price: 0.1 * n }));
const maxCpu = (c: { instanceTypes: Array<{ capacity: Record<string, number> }> }) => Math.max(...c.instanceTypes.map((t) => t.capacity.cpu ?? 0));

describe("NodePool limits", () => {
  it("never makes claims whose options could exceed the cpu limit", () => {
    const np = option(nodePool("default", { limits: { cpu: "8" } }), sizes(2, 4, 8, 16));
    const r = schedule(input({ pods: pods(12, "p", { cpu: "1" }), nodePools: [np] }));
    const reserved = r.newNodeClaims.reduce((sum, c) => sum + maxCpu(c), 0);
    expect(reserved).toBeLessThanOrEqual(8000);
    expect(r.newNodeClaims.length).toBeGreaterThan(0);
    expect(r.unschedulable.length).toBeGreaterThan(0);
    expect(r.unschedulable[0]!.reason).toBe("NodePool default limits reached: cpu limit 8 has 0 left, a node that fits the pod adds at least 2");
  });

  it("counts the pool's existing nodes against its limits", () => {
    const np = option(nodePool("default", { limits: { cpu: "6" } }), sizes(2, 4, 8));
    const node = existingNode("n1", { cpu: "4", nodePoolName: "default", pods: pods(1, "busy", { cpu: "4" }) });
    const r = schedule(input({ pods: pods(1, "p", { cpu: "1" }), nodePools: [np], existingNodes: [node] }));
    expect(r.newNodeClaims.map((c) => c.instanceTypes.map((t) => t.name))).toEqual([["c2"]]);
  });

  it("limits the number of nodes", () => {
    const np = option(nodePool("default", { limits: { nodes: "1" } }), sizes(2));
    const r = schedule(input({ pods: pods(3, "p", { cpu: "1500m" }), nodePools: [np] }));
    expect(r.newNodeClaims).toHaveLength(1);
    expect(r.unschedulable).toHaveLength(2);
    expect(r.unschedulable[0]!.reason).toBe("NodePool default limits reached: nodes limit 1 has 0 left, a node that fits the pod adds at least 1");
  });
});

describe("NodePool limits: the reason names the limit, not what it starved", () => {
  const zonalSpread = { maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule" as const, labelSelector: { matchLabels: { app: "web" } } };

  it("reports pods a zone spread could not place because the cpu limit ran out as stopped by the limit", () => {
    const np = option(nodePool("default", { limits: { cpu: "5" } }), sizes(2, 4));
    const r = schedule(input({ pods: pods(6, "web", { cpu: "1", labels: { app: "web" }, topologySpreadConstraints: [zonalSpread] }), nodePools: [np] }));
    expect(r.newNodeClaims.length).toBeGreaterThan(0);
    expect(r.unschedulable.length).toBeGreaterThan(0);
    for (const u of r.unschedulable) {
      expect(u.reason).toMatch(/^NodePool default limits reached: cpu limit 5 has (0|1) left, a node that fits the pod adds at least 2$/);
    }
  });

  it("says so when only the types in the zone the spread needs are over what is left", () => {
    const small = instanceType("small", { cpu: "2", memory: "8Gi", price: 0.1, zones: [ZONES[0]!] });
    const big = instanceType("big", { cpu: "4", memory: "16Gi", price: 0.2, zones: [ZONES[1]!] });
    const np = option(nodePool("default", { limits: { cpu: "4" }, requirements: [{ key: ZONE, operator: "In", values: [ZONES[0]!, ZONES[1]!] }] }), [small, big]);
    const r = schedule(input({ pods: pods(2, "web", { cpu: "1", labels: { app: "web" }, topologySpreadConstraints: [zonalSpread] }), nodePools: [np] }));
    expect(r.newNodeClaims.map((c) => c.instanceTypes.map((t) => t.name))).toEqual([["small"]]);
    expect(r.unschedulable.map((u) => u.reason)).toEqual([
      "NodePool default limits reached: the instance types that fit the pod where its topology allows need more than is left (cpu 2 left)",
    ]);
  });

  it("still reports a spread that fails for its own sake as a topology failure", () => {
    const np = option(nodePool("default", { limits: { cpu: "100" }, requirements: [{ key: ZONE, operator: "In", values: [ZONES[0]!] }] }), sizes(2));
    const pinned = { ...zonalSpread, maxSkew: 1 };
    // A full node in a zone the NodePool can't launch in: the spread counts that zone, nothing fits there.
    const bound = existingNode("n-b", { labels: { [ZONE]: ZONES[1]! }, cpu: "2", pods: pods(1, "busy", { cpu: "2" }) });
    const r = schedule(input({ pods: pods(3, "web", { cpu: "1", labels: { app: "web" }, topologySpreadConstraints: [pinned] }), nodePools: [np], existingNodes: [bound] }));
    expect(r.unschedulable.length).toBeGreaterThan(0);
    for (const u of r.unschedulable) expect(u.reason).toMatch(/^NodePool default: topology spread on topology.kubernetes.io\/zone/);
  });
});

describe("minValues", () => {
  const flexible = (minValues: number) => nodePool("default", { requirements: [{ key: INSTANCE_TYPE, operator: "Exists", minValues }] });

  it("keeps at least minValues instance types on the claim, even past maxInstanceTypesPerClaim", () => {
    const r = schedule(input({ pods: pods(1, "p", { cpu: "1" }), nodePools: [option(flexible(3), sizes(2, 4, 8, 16))], options: { maxInstanceTypesPerClaim: 1 } }));
    expect(r.newNodeClaims[0]!.instanceTypes.map((t) => t.name)).toEqual(["c2", "c4", "c8"]);
    expect(r.newNodeClaims[0]!.requirements.find((q) => q.key === INSTANCE_TYPE)).toMatchObject({ operator: "In", minValues: 3 });
  });

  it("Strict makes a pod unschedulable when too few types fit; BestEffort relaxes it", () => {
    const np = option(flexible(3), sizes(2, 4, 8, 16));
    const strict = schedule(input({ pods: pods(1, "p", { cpu: "6" }), nodePools: [np] }));
    expect(strict.unschedulable[0]!.reason).toBe("NodePool default: minValues 3 for node.kubernetes.io/instance-type not met (instance types that fit offer 2)");
    const best = schedule(input({ pods: pods(1, "p", { cpu: "6" }), nodePools: [np], options: { minValuesPolicy: "BestEffort" } }));
    expect(best.newNodeClaims[0]!.instanceTypes.map((t) => t.name)).toEqual(["c8", "c16"]);
  });

  it("stops adding pods to a claim once its options would drop below minValues", () => {
    const np = option(flexible(2), sizes(2, 4, 8));
    const r = schedule(input({ pods: pods(6, "p", { cpu: "1" }), nodePools: [np] }));
    expect(r.unschedulable).toEqual([]);
    for (const c of r.newNodeClaims) expect(c.instanceTypes.length).toBeGreaterThanOrEqual(2);
  });
});
