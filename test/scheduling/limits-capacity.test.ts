/**
 * NodePool limits count machine capacity (as Karpenter does), not allocatable: for existing Nodes,
 * for in-flight NodeClaims (whose capacity may not be reported yet) and for the claims a run makes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NodeClaim, NodeSelectorRequirement } from "../../lib/api/types.ts";
import type { InstanceType } from "../../lib/ports/instance-type.ts";
import type { Node } from "../../lib/api/kubernetes.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { buildSchedulingInput, type ClusterObjects } from "../../lib/scheduling/snapshot.ts";
import { INSTANCE_TYPE, instanceType, nodePool, pods, ZONE } from "../support/builders.ts";

/** A type whose allocatable is half a cpu and 1 GiB less than its capacity. */
function sized(cpu: number): InstanceType {
  const t = instanceType(`t${cpu}`, { cpu: String(cpu), memory: `${4 * cpu}Gi`, price: 0.1 * cpu, zones: ["zone-a"], capacityTypes: ["on-demand"] });
  return { ...t, allocatable: { ...t.capacity, cpu: t.capacity.cpu! - 500, memory: t.capacity.memory! - 2 ** 30 } };
}
const TYPES = [sized(2), sized(4), sized(8)];
const cpuOf = (name: string) => TYPES.find((t) => t.name === name)!.capacity.cpu!;

function cluster(limitCpu: number, nodes: Node[], nodeClaims: NodeClaim[], pending: number): ClusterObjects {
  return {
    pods: pods(pending, "p", { cpu: "1" }),
    nodes,
    nodeClaims,
    nodePools: [{ nodePool: nodePool("default", { limits: { cpu: String(limitCpu) } }), instanceTypes: TYPES }],
    daemonSets: [],
    persistentVolumeClaims: [],
    persistentVolumes: [],
    storageClasses: [],
  };
}

/** An in-flight claim with no status: it may still become any of `types`; its taint keeps pending pods off it. */
function inFlight(name: string, types: string[], status: NodeClaim["status"] = {}): NodeClaim {
  const requirements: NodeSelectorRequirement[] = [
    { key: INSTANCE_TYPE, operator: "In", values: types },
    { key: ZONE, operator: "In", values: ["zone-a"] },
  ];
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    metadata: { name, labels: { "karpenter.sh/nodepool": "default" } },
    spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements, taints: [{ key: "example.com/reserved", effect: "NoSchedule" }], startupTaints: [], expireAfter: null },
    status,
  };
}

/** A registered, initialized node of the pool, full (zero allocatable cpu left for pending pods). */
function fullNode(name: string, type: string, reportCapacity: boolean): Node {
  const cpu = String(cpuOf(type) / 1000);
  return {
    metadata: { name, labels: { "karpenter.sh/nodepool": "default", "karpenter.sh/initialized": "true", [INSTANCE_TYPE]: type } },
    spec: { providerID: `aws:///zone-a/i-${name}` },
    status: { allocatable: { cpu: "0", memory: "1Gi", pods: "10" }, ...(reportCapacity ? { capacity: { cpu, memory: "1Gi", pods: "10" } } : {}) },
  };
}

describe("ExistingNode.capacity from the snapshot", () => {
  it("takes an in-flight claim's status capacity, else the largest capacity of the types it may become", () => {
    const objects = cluster(100, [], [inFlight("reported", ["t8"], { capacity: { cpu: "3", memory: "12Gi" } }), inFlight("open", ["t2", "t4"])], 0);
    const [reported, open] = buildSchedulingInput(objects).existingNodes;
    expect(reported!.capacity).toMatchObject({ cpu: 3000, memory: 12 * 2 ** 30 });
    expect(open!.capacity).toMatchObject({ cpu: 4000, memory: 16 * 2 ** 30 });
    // Allocatable stays the safe lower bound for placing pods.
    expect(open!.allocatable.cpu).toBe(1500);
  });

  it("takes a node's status capacity, else its instance type's", () => {
    const [reported, silent] = buildSchedulingInput(cluster(100, [fullNode("a", "t2", true), fullNode("b", "t8", false)], [], 0)).existingNodes;
    expect(reported!.capacity!.cpu).toBe(2000);
    expect(silent!.capacity!.cpu).toBe(8000);
  });
});

describe("NodePool limits count existing and in-flight capacity", () => {
  it("leaves room only for what the limit minus existing and in-flight capacity allows", () => {
    // 14 cpu limit - 4 (node) - 4 (claim that may still become t4) = 6: t8 no longer fits.
    // Counting the claim by allocatable (1.5 cpu) would have let a t8 through.
    const objects = cluster(14, [fullNode("n", "t4", true)], [inFlight("c", ["t2", "t4"])], 1);
    const result = schedule(buildSchedulingInput(objects));
    expect(result.newNodeClaims.map((c) => c.instanceTypes.map((t) => t.name))).toEqual([["t2", "t4"]]);
  });

  it("property: existing + in-flight + new claims' largest options never exceed the cpu limit", () => {
    const typeNames = TYPES.map((t) => t.name);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.tuple(fc.constantFrom(...typeNames), fc.boolean()), { maxLength: 3 }),
        fc.array(fc.subarray(typeNames, { minLength: 1 }), { maxLength: 3 }),
        fc.integer({ min: 0, max: 12 }),
        (limit, nodeSpecs, claimSpecs, pending) => {
          const nodes = nodeSpecs.map(([type, report], i) => fullNode(`n${i}`, type, report));
          const claims = claimSpecs.map((types, i) => inFlight(`c${i}`, types));
          const result = schedule(buildSchedulingInput(cluster(limit, nodes, claims, pending)));
          // Computed here from the test's own data: a node is its type, a claim the largest it may become.
          const existing = nodeSpecs.reduce((sum, [type]) => sum + cpuOf(type), 0) + claimSpecs.reduce((sum, types) => sum + Math.max(...types.map(cpuOf)), 0);
          const reserved = result.newNodeClaims.reduce((sum, c) => sum + Math.max(...c.instanceTypes.map((t) => t.capacity.cpu!)), 0);
          if (result.newNodeClaims.length > 0) expect(existing + reserved).toBeLessThanOrEqual(limit * 1000);
          // Every pending pod is accounted for, placed or not.
          const placed = result.newNodeClaims.reduce((n, c) => n + c.pods.length, 0) + result.existingNodes.reduce((n, p) => n + p.pods.length, 0);
          expect(placed + result.unschedulable.length).toBe(pending);
        },
      ),
      { numRuns: 150 },
    );
  });
});
