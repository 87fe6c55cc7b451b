/**
 * The replay's baselines on small hand-built traces whose answers are computed by hand: static node
 * groups sized for the peak, and Cluster Autoscaler's scale-up, scale-down, delays and interruptions.
 */
import { describe, expect, it } from "vitest";
import type { NodeSelectorRequirement } from "../../lib/api/types.ts";
import type { Pod } from "../../lib/api/kubernetes.ts";
import type { InstanceType } from "../../lib/ports/instance-type.ts";
import { planGroups, runBaselines } from "../../lib/replay/baselines/index.ts";
import { DEFAULT_TIMING, type CloudEvent, type DemandEvent, type ReplayInput } from "../../lib/replay/types.ts";
import type { DaemonSet } from "../../lib/api/kubernetes.ts";
import { daemonSet, instanceType, nodePool, pod, ZONES } from "../support/builders.ts";

const MIN = 60_000;
const HOUR = 3_600_000;

/** A 4-vCPU type whose allocatable is 3900m cpu (kube-reserved and friends taken off). */
function fourVcpu(price = 0.2): InstanceType {
  const t = instanceType("m.4x", { cpu: "4", memory: "16Gi", price, capacityTypes: ["on-demand"] });
  return { ...t, allocatable: { ...t.allocatable, cpu: 3900 } };
}

/** A 10-vCPU type (allocatable 10 cpu) so that utilization percentages are whole pods. */
function tenVcpu(capacityTypes: Array<"spot" | "on-demand"> = ["on-demand"]): InstanceType {
  return instanceType("m.10x", { cpu: "10", memory: "40Gi", price: 0.5, spotPrice: 0.2, capacityTypes });
}

function adds(atMs: number, list: Pod[]): DemandEvent[] {
  return list.map((p) => ({ atMs, kind: "add" as const, pod: p, workload: "Deployment/default/app" }));
}
function removes(atMs: number, names: string[], all: Pod[]): DemandEvent[] {
  return names.map((n) => ({ atMs, kind: "remove" as const, pod: all.find((p) => p.metadata.name === n)!, workload: "Deployment/default/app" }));
}
function cpuPods(n: number, prefix: string, cpu = "1"): Pod[] {
  return Array.from({ length: n }, (_, i) => pod({ name: `${prefix}${i}`, cpu, memory: "256Mi" }));
}

function input(o: { demand: DemandEvent[]; types: InstanceType[]; hours?: number; events?: CloudEvent[]; requirements?: NodeSelectorRequirement[]; daemonSets?: DaemonSet[] }): ReplayInput {
  return {
    name: "hand-built",
    seed: 1,
    hours: o.hours ?? 1,
    nodePools: [nodePool("default", { requirements: o.requirements ?? [] })],
    nodeClasses: [],
    demand: [...o.demand].sort((a, b) => a.atMs - b.atMs),
    events: o.events ?? [],
    instanceTypes: o.types,
    region: "test-region",
    zones: ZONES,
    timing: DEFAULT_TIMING,
    ...(o.daemonSets ? { daemonSets: o.daemonSets } : {}),
  };
}

describe("static node groups", () => {
  it("size each group for the peak by first-fit decreasing and keep it up all day", () => {
    // 10 pods of 1 cpu on 3.9 allocatable cpu: 3 per node, so 4 nodes; the later, smaller peak (7) changes nothing.
    const all = cpuPods(10, "p");
    const demand = [...adds(2 * HOUR, all), ...removes(4 * HOUR, ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"], all)];
    const again = cpuPods(5, "q");
    demand.push(...adds(10 * HOUR, again));
    const { staticNodeGroups: run } = runBaselines(input({ demand, types: [fourVcpu()], hours: 24 }));
    expect(run.nodesLaunched).toBe(4);
    expect(run.nodesRemoved).toBe(0);
    expect(run.totalCost).toBeCloseTo(4 * 0.2 * 24, 9);
    expect(run.samples.every((s) => s.nodes.onDemand === 4 && s.nodes.spot === 0)).toBe(true);
    // Every pod binds at once and runs after the pod start delay.
    expect(run.podPendingSeconds).toEqual(new Array(15).fill(DEFAULT_TIMING.podStartMs / 1000));
  });

  it("grow a group by a node while pods arriving one by one find no room the packing promised", () => {
    // Six 1-cpu pods, then two 3-cpu pods, on 4-cpu nodes: first-fit decreasing packs them on 3 nodes
    // (3+1, 3+1, 1+1+1+1), but the scheduler spreads the small ones first (2, 2, 2), leaving no node
    // with 3 cpus free. With 4 nodes they spread 2, 2, 1, 1 and both large pods fit.
    const small = cpuPods(6, "s");
    const large = cpuPods(2, "l", "3");
    const type = instanceType("m.4x", { cpu: "4", memory: "16Gi", price: 0.2, capacityTypes: ["on-demand"] });
    const { staticNodeGroups: run } = runBaselines(input({ demand: [...adds(0, small), ...adds(MIN, large)], types: [type] }));
    expect(run.nodesLaunched).toBe(4);
    expect(run.podPendingSeconds).toEqual(new Array(8).fill(10));
  });

  it("pick the 4-8 vCPU type that covers the NodePool's peak requests cheapest", () => {
    // 20 pods of 0.5 cpu and 4 GiB: peak 10 cpu, 80 GiB. m: max(10/4, 80/16) = 5 nodes x 0.20 = 1.00;
    // c: max(2.5, 10) x 0.17 = 1.70; r: max(2.5, 2.5) x 0.25 = 0.625; the 16-vCPU type is not a typical size.
    const types = [
      instanceType("c.4x", { cpu: "4", memory: "8Gi", price: 0.17 }),
      instanceType("m.4x", { cpu: "4", memory: "16Gi", price: 0.2 }),
      instanceType("r.4x", { cpu: "4", memory: "32Gi", price: 0.25 }),
      instanceType("r.16x", { cpu: "16", memory: "128Gi", price: 0.9 }),
    ];
    const all = Array.from({ length: 20 }, (_, i) => pod({ name: `m${i}`, cpu: "500m", memory: "4Gi" }));
    const { groups } = planGroups(input({ demand: adds(0, all), types }), "static");
    expect(groups.map((g) => g.instanceType)).toEqual(["r.4x"]);
    const { staticNodeGroups: run } = runBaselines(input({ demand: adds(0, all), types }));
    // 32 GiB holds 8 pods of 4 GiB (cpu 4 holds 8 of 0.5): 20 pods need 3 nodes.
    expect(run.nodesLaunched).toBe(3);
  });

  it("replace a spot node lost to an interruption, when the NodePool allows only spot", () => {
    const all = cpuPods(4, "p");
    const events: CloudEvent[] = [{ atMs: 30 * MIN, kind: "spot-interruption", detail: { count: 1 } }];
    const spotOnly = [{ key: "karpenter.sh/capacity-type", operator: "In" as const, values: ["spot"] }];
    const { staticNodeGroups: run } = runBaselines(input({ demand: adds(0, all), types: [tenVcpu(["spot", "on-demand"])], events, requirements: spotOnly }));
    // Notice at 30 min, gone at 32 min; the replacement is Ready at 33 min, the pods run 10 s later.
    expect(run.disruptions).toEqual([{ atMs: 32 * MIN, node: "default-m.10x-1", reason: "Interrupted" }]);
    expect(run.nodesLaunched).toBe(2);
    expect(run.podPendingSeconds).toEqual([10, 10, 10, 10, 70, 70, 70, 70]);
    expect(run.totalCost).toBeCloseTo(0.2 * (32 / 60) + 0.2 * (28 / 60), 9);
  });

  it("leave room on each node for the DaemonSets that run there", () => {
    // A 1-cpu DaemonSet leaves 9 of the 10 cpus: 10 pods of 1 cpu need 2 nodes, not 1.
    const all = cpuPods(10, "p");
    const { staticNodeGroups: run } = runBaselines(input({ demand: adds(0, all), types: [tenVcpu()], daemonSets: [daemonSet("agent", { cpu: "1" })] }));
    expect(run.nodesLaunched).toBe(2);
    expect(run.podPendingSeconds).toEqual(new Array(10).fill(10));
  });

  it("run on-demand unless the NodePool allows only spot, priced at the offering", () => {
    const type = tenVcpu(["spot", "on-demand"]);
    const all = cpuPods(5, "p");
    const both = runBaselines(input({ demand: adds(0, all), types: [type] })).staticNodeGroups;
    expect(both.totalCost).toBeCloseTo(0.5, 9);
    expect(both.samples[0]!.nodes).toEqual({ onDemand: 1, spot: 0 });
    const spotOnly = runBaselines(input({ demand: adds(0, all), types: [type], requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }] })).staticNodeGroups;
    expect(spotOnly.totalCost).toBeCloseTo(0.2, 9);
    expect(spotOnly.samples[0]!.nodes).toEqual({ onDemand: 0, spot: 1 });
  });
});

describe("Cluster Autoscaler baseline", () => {
  it("scales up on pending pods at the next scan, the pods running after the node is Ready and they start", () => {
    // Pods wanted at 5 s; the scan at 10 s launches 2 nodes (3 + 2 pods of 1 cpu on 3.9); Ready at 70 s; running at 80 s.
    const all = cpuPods(5, "p");
    const { clusterAutoscaler: run } = runBaselines(input({ demand: adds(5_000, all), types: [fourVcpu()] }));
    expect(run.nodesLaunched).toBe(2);
    expect(run.podPendingSeconds).toEqual(new Array(5).fill(75));
    expect(run.samples[1]!.pendingPods).toBe(5); // at 60 s: still booting
    expect(run.samples[2]!.pendingPods).toBe(0);
    // Launched at 10 s, up to the end of the hour.
    expect(run.totalCost).toBeCloseTo((2 * 0.2 * (HOUR - 10_000)) / HOUR, 9);
  });

  /**
   * 16 pods of 1 cpu at 0 s on 10-cpu nodes: two nodes, Ready at 60 s, the pods bound alternately
   * (kube-scheduler's least-allocated score): A holds the even pods, B the odd ones, 8 each.
   * At 20 min some pods go away, leaving A and B with the given counts.
   */
  function twoNodes(keepA: number, keepB: number, extra: DemandEvent[] = [], annotations?: Record<string, string>): ReplayInput {
    const all = cpuPods(16, "p").map((p) => (annotations ? { ...p, metadata: { ...p.metadata, annotations } } : p));
    const even = all.filter((_, i) => i % 2 === 0).map((p) => p.metadata.name);
    const odd = all.filter((_, i) => i % 2 === 1).map((p) => p.metadata.name);
    const gone = [...even.slice(0, 8 - keepA), ...odd.slice(0, 8 - keepB)];
    return input({ demand: [...adds(0, all), ...removes(20 * MIN, gone, all), ...extra], types: [tenVcpu()] });
  }

  it("removes a node at 30% exactly 10 minutes after it became unneeded, not earlier, and keeps the one at 60%", () => {
    const { clusterAutoscaler: run } = runBaselines(twoNodes(6, 3));
    expect(run.nodesLaunched).toBe(2);
    expect(run.disruptions).toEqual([{ atMs: 30 * MIN, node: "default-m.10x-2", reason: "ScaleDownUnderutilized" }]);
    expect(run.podsEvicted).toBe(3);
    expect(run.podsEvictedWithoutPlace).toBe(0);
    // The evicted pods bind on A at once and run after the pod start delay.
    expect(run.podPendingSeconds.filter((s) => s !== 70)).toEqual([10, 10, 10]);
    expect(run.totalCost).toBeCloseTo(0.5 * 1 + 0.5 * 0.5, 9);
    expect(run.samples.find((s) => s.atMs === 29 * MIN)!.nodes.onDemand).toBe(2);
    expect(run.samples.find((s) => s.atMs === 30 * MIN)!.nodes.onDemand).toBe(1);
  });

  it("measures utilization as the larger of cpu and memory: a node at 60% cpu stays although its pods could move", () => {
    // A at 6 pods (60% cpu, little memory), B at 1 pod: only B goes; A's pods would fit on B.
    const { clusterAutoscaler: run } = runBaselines(twoNodes(6, 1));
    expect(run.disruptions.map((d) => d.node)).toEqual(["default-m.10x-2"]);
    expect(run.samples.at(-1)!.nodes.onDemand).toBe(1);
  });

  it("does not remove an underutilized node whose pods cannot move", () => {
    // B at 30%, but A at 80% has room for 2 of its 3 pods.
    const { clusterAutoscaler: run } = runBaselines(twoNodes(8, 3));
    expect(run.disruptions).toEqual([]);
    expect(run.podsEvicted).toBe(0);
    expect(run.totalCost).toBeCloseTo(2 * 0.5, 9);
  });

  it("does not remove a node holding a pod annotated safe-to-evict: false", () => {
    const { clusterAutoscaler: run } = runBaselines(twoNodes(6, 3, [], { "cluster-autoscaler.kubernetes.io/safe-to-evict": "false" }));
    expect(run.disruptions).toEqual([]);
  });

  it("waits scale-down-delay-after-add after a scale-up before removing an unneeded node", () => {
    // B is unneeded from 20 min; at 25 min a 9-cpu pod fits nowhere: a scale-up, so B goes at 35 min, not 30.
    const big = pod({ name: "big", cpu: "9", memory: "1Gi" });
    const { clusterAutoscaler: run } = runBaselines(twoNodes(6, 3, adds(25 * MIN, [big])));
    expect(run.nodesLaunched).toBe(3);
    expect(run.disruptions).toEqual([{ atMs: 35 * MIN, node: "default-m.10x-2", reason: "ScaleDownUnderutilized" }]);
  });

  it("removes empty nodes in bulk once unneeded for 10 minutes", () => {
    // 9 pods of 3 cpu on 10-cpu nodes: 3 nodes of 3 pods; all pods leave at 20 min.
    const all = cpuPods(9, "p", "3");
    const { clusterAutoscaler: run } = runBaselines(input({ demand: [...adds(0, all), ...removes(20 * MIN, all.map((p) => p.metadata.name), all)], types: [tenVcpu()] }));
    expect(run.nodesLaunched).toBe(3);
    expect(run.disruptions.map((d) => [d.atMs, d.reason])).toEqual([
      [30 * MIN, "ScaleDownEmpty"],
      [30 * MIN, "ScaleDownEmpty"],
      [30 * MIN, "ScaleDownEmpty"],
    ]);
    expect(run.podsEvicted).toBe(0);
  });

  it("runs spot where the NodePool allows it, and a spot interruption sends the node's pods back to pending until the replacement is Ready", () => {
    const all = cpuPods(4, "p");
    const events: CloudEvent[] = [{ atMs: 30 * MIN, kind: "spot-interruption", detail: { count: 1 } }];
    const { clusterAutoscaler: ca, staticNodeGroups: st } = runBaselines(input({ demand: adds(0, all), types: [tenVcpu(["spot", "on-demand"])], events }));
    // The notice ends at 32 min: the node goes, its 4 pods with it; the group launches a replacement, Ready at 33 min.
    expect(ca.disruptions).toEqual([{ atMs: 32 * MIN, node: "default-m.10x-1", reason: "Interrupted" }]);
    expect(ca.podsEvicted).toBe(4);
    expect(ca.podsEvictedWithoutPlace).toBe(0); // the replacement is already launching
    expect(ca.nodesLaunched).toBe(2);
    expect(ca.podPendingSeconds.slice(4)).toEqual([70, 70, 70, 70]);
    expect(ca.totalCost).toBeCloseTo(0.2 * ((32 * MIN) / HOUR) + 0.2 * ((28 * MIN) / HOUR), 9);
    // The static group runs on-demand: no spot node to interrupt.
    expect(st.disruptions).toEqual([]);
  });

  it("backs a group off for 5 minutes after a failed launch, and counts a pod's wait until it is no longer wanted", () => {
    // No capacity for the type anywhere until 17 min: launches fail at 0, 5, 10 and 15 min; the next try is at 20 min.
    const all = cpuPods(3, "p");
    const events: CloudEvent[] = [{ atMs: 0, kind: "capacity-error", detail: { instanceType: "m.10x", durationMs: 17 * MIN } }];
    const demand = [...adds(0, all), ...removes(10 * MIN, ["p2"], all)];
    const { clusterAutoscaler: run } = runBaselines(input({ demand, types: [tenVcpu()], events }));
    expect(run.nodesLaunched).toBe(1);
    // Ready at 21 min, running at 21 min 10 s; p2 waited 10 minutes, then was not wanted any more.
    expect(run.podPendingSeconds).toEqual([1270, 1270, 600]);
  });
});

describe("both baselines in a zone outage", () => {
  it("launch nothing in the zone until it ends, and keep the nodes running there", () => {
    // 3 pods pinned to zone a, which is out from 0 to 17 min: CA's launches fail at 0, 5, 10 and 15 min
    // (backoff), the one at 20 min works: Ready at 21 min, running at 21 min 10 s. The static group's
    // node, launched before the outage, runs all along.
    const pinned = Array.from({ length: 3 }, (_, i) => pod({ name: `a${i}`, cpu: "1", memory: "1Gi", nodeSelector: { "topology.kubernetes.io/zone": ZONES[0]! } }));
    const events: CloudEvent[] = [{ atMs: 0, kind: "zone-outage", detail: { zone: ZONES[0]!, untilMs: 17 * MIN } }];
    const { staticNodeGroups: st, clusterAutoscaler: ca } = runBaselines(input({ demand: adds(0, pinned), types: [tenVcpu()], events }));
    expect(ca.podPendingSeconds).toEqual([1270, 1270, 1270]);
    expect(ca.nodesLaunched).toBe(1);
    expect(st.disruptions).toEqual([]);
    expect(st.podPendingSeconds).toEqual([10, 10, 10]);
  });
});
