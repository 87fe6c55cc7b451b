import { describe, expect, it } from "vitest";
import type { InstanceType } from "../../lib/ports/instance-type.ts";
import { podRequests } from "../../lib/scheduling/pod-requests.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import type { Pod } from "../../lib/api/kubernetes.ts";
import { input, instanceType, nodePool, option, pods, ZONES } from "../support/builders.ts";
import { claimPrice } from "../support/scheduling.ts";

const onDemandOnly = (name: string, cpu: number, price: number) =>
  instanceType(name, { cpu: String(cpu), memory: `${4 * cpu}Gi`, price, zones: [ZONES[0]!], capacityTypes: ["on-demand"] });

/** Naive first-fit-decreasing onto the largest type, each node then priced at its cheapest fitting type. */
function naiveFfdPrice(list: Pod[], types: InstanceType[]): number {
  const largest = types.reduce((a, b) => ((a.allocatable.cpu ?? 0) >= (b.allocatable.cpu ?? 0) ? a : b));
  const reqs = list.map(podRequests).sort((a, b) => (b.cpu ?? 0) - (a.cpu ?? 0));
  const bins: Array<{ cpu: number; memory: number; pods: number }> = [];
  for (const r of reqs) {
    const bin = bins.find((b) => b.cpu + (r.cpu ?? 0) <= largest.allocatable.cpu! && b.memory + (r.memory ?? 0) <= largest.allocatable.memory! && b.pods + 1 <= largest.allocatable.pods!);
    if (bin) {
      bin.cpu += r.cpu ?? 0;
      bin.memory += r.memory ?? 0;
      bin.pods += 1;
    } else bins.push({ cpu: r.cpu ?? 0, memory: r.memory ?? 0, pods: 1 });
  }
  let total = 0;
  for (const b of bins) {
    const fitting = types.filter((t) => b.cpu <= t.allocatable.cpu! && b.memory <= t.allocatable.memory! && b.pods <= t.allocatable.pods!);
    total += Math.min(...fitting.map((t) => Math.min(...t.offerings.filter((o) => o.available).map((o) => o.price))));
  }
  return total;
}

describe("price-aware packing", () => {
  it("beats naive first-fit-decreasing when the big type costs more per cpu", () => {
    const types = [onDemandOnly("small", 2, 1), onDemandOnly("large", 4, 3)];
    const list = pods(4, "p", { cpu: "1" });
    const r = schedule(input({ pods: list, nodePools: [option(nodePool("default"), types)] }));
    const ours = r.newNodeClaims.reduce((sum, c) => sum + claimPrice(c), 0);
    const naive = naiveFfdPrice(list, types);
    expect(r.unschedulable).toEqual([]);
    expect(ours).toBeLessThan(naive);
    expect(r.newNodeClaims.map((c) => c.instanceTypes[0]!.name)).toEqual(["small", "small"]);
  });

  it("avoids an oversized node for the leftover pods", () => {
    const types = [1, 2, 4, 8].map((n) => onDemandOnly(`c${n}`, n, 0.1 * n));
    const list = pods(9, "p", { cpu: "1" });
    const r = schedule(input({ pods: list, nodePools: [option(nodePool("default"), types)] }));
    const ours = r.newNodeClaims.reduce((sum, c) => sum + claimPrice(c), 0);
    expect(ours).toBeCloseTo(0.9, 9); // 9 cpu of pods at 0.1 per cpu: no wasted capacity
    expect(ours).toBeLessThanOrEqual(naiveFfdPrice(list, types) + 1e-9);
  });

  it("picks the cheapest zone among those a topology constraint likes equally", () => {
    const zonal = instanceType("z", { cpu: "4", memory: "16Gi", price: 1, offerings: [
      { zone: ZONES[0]!, capacityType: "on-demand", price: 0.3, available: true },
      { zone: ZONES[1]!, capacityType: "on-demand", price: 0.2, available: true },
      { zone: ZONES[2]!, capacityType: "on-demand", price: 0.25, available: true },
    ] });
    const spread = { labels: { app: "s" }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule" as const, labelSelector: { matchLabels: { app: "s" } } }] };
    const r = schedule(input({ pods: pods(2, "s", { cpu: "3", ...spread }), nodePools: [option(nodePool("default"), [zonal])] }));
    // Both zones hold no pod yet for the first; the second must go elsewhere: next cheapest.
    expect(r.newNodeClaims.map((c) => c.labels["topology.kubernetes.io/zone"])).toEqual([ZONES[1], ZONES[2]]);
  });

  it("keeps pods on one node when splitting saves nothing", () => {
    const types = [1, 2, 4].map((n) => onDemandOnly(`c${n}`, n, 0.1 * n));
    const r = schedule(input({ pods: pods(4, "p", { cpu: "1" }), nodePools: [option(nodePool("default"), types)] }));
    expect(r.newNodeClaims).toHaveLength(1);
  });

  it("does not split pods that need to share a hostname", () => {
    const types = [onDemandOnly("small", 2, 1), onDemandOnly("large", 4, 3)];
    const list = pods(4, "p", {
      cpu: "1",
      labels: { app: "p" },
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "p" } } }] } },
    });
    const r = schedule(input({ pods: list, nodePools: [option(nodePool("default"), types)] }));
    expect(r.newNodeClaims).toHaveLength(1);
  });

  describe("pooled repacking of pods nothing ties to their node", () => {
    const shaped = (name: string, cpu: number, memoryGi: number, price: number) =>
      instanceType(name, { cpu: String(cpu), memory: `${memoryGi}Gi`, price, zones: [ZONES[0]!], capacityTypes: ["on-demand"] });
    // Per cpu the compute type is cheapest; memory costs more on the general and memory types.
    const types = [shaped("c16", 16, 32, 0.64), shaped("m16", 16, 64, 0.96), shaped("r16", 16, 128, 1.28), shaped("c4", 4, 8, 0.16), shaped("m4", 4, 16, 0.24), shaped("r4", 4, 32, 0.32)];
    const cpuHeavy = () => pods(6, "a", { cpu: "2", memory: "2Gi" });
    const memoryHeavy = () => pods(6, "b", { cpu: "1", memory: "6Gi" });

    it("mixes cpu-heavy and memory-heavy pods of several claims onto fewer, cheaper nodes", () => {
      // First fit in cpu order fills a c16 with the six cpu-heavy pods and three memory-heavy ones,
      // then puts the other three on a c4 and an m4 (1.04/h); pooled, three fit the c16 and three an r4.
      const r = schedule(input({ pods: [...cpuHeavy(), ...memoryHeavy()], nodePools: [option(nodePool("default"), types)] }));
      expect(r.unschedulable).toEqual([]);
      const nodes = r.newNodeClaims.map((c) => ({ type: c.instanceTypes[0]!.name, pods: c.pods.map((p) => p.metadata.name).sort() }));
      expect(nodes).toEqual([
        { type: "c16", pods: ["a-0", "a-1", "a-2", "a-3", "a-4", "a-5", "b-3", "b-4", "b-5"] },
        { type: "r4", pods: ["b-0", "b-1", "b-2"] },
      ]);
      expect(r.newNodeClaims.reduce((sum, c) => sum + claimPrice(c), 0)).toBeCloseTo(0.96, 9);
    });

    it("takes free pods off a claim whose other pods must stay, which then shrinks to a smaller type", () => {
      // Two pods that repel each other on a hostname open a claim each; first fit adds the four
      // memory-heavy pods to the first (a c16, or split 0.56/h), pooled they share one r4.
      const apart = {
        labels: { app: "h" },
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "h" } } }] } },
      };
      const r = schedule(input({ pods: [...pods(2, "h", { cpu: "3", memory: "1Gi", ...apart }), ...pods(4, "b", { cpu: "1", memory: "6Gi" })], nodePools: [option(nodePool("default"), types)] }));
      expect(r.unschedulable).toEqual([]);
      const nodes = r.newNodeClaims.map((c) => ({ type: c.instanceTypes[0]!.name, pods: c.pods.map((p) => p.metadata.name).sort() }));
      expect(nodes).toEqual([
        { type: "r4", pods: ["b-0", "b-1", "b-2", "b-3"] },
        { type: "c4", pods: ["h-0"] },
        { type: "c4", pods: ["h-1"] },
      ]);
      expect(r.newNodeClaims.reduce((sum, c) => sum + claimPrice(c), 0)).toBeCloseTo(0.64, 9);
    });

    it("leaves pods that another pod's zonal spread counts on nodes pinned to the zone they were counted in", () => {
      // As above, but the memory-heavy pods are what the repelling pods' zonal spread counts: moved
      // to a new node that may launch in any zone, they would no longer be where they were counted.
      const everyZone = (name: string, cpu: number, memoryGi: number, price: number) =>
        instanceType(name, { cpu: String(cpu), memory: `${memoryGi}Gi`, price, capacityTypes: ["on-demand"] });
      const zonal = [everyZone("c16", 16, 32, 0.64), everyZone("c4", 4, 8, 0.16), everyZone("m4", 4, 16, 0.24), everyZone("r4", 4, 32, 0.32)];
      const apart = {
        labels: { app: "h" },
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "h" } } }] } },
        topologySpreadConstraints: [{ maxSkew: 4, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule" as const, labelSelector: { matchLabels: { app: "web" } } }],
      };
      const r = schedule(input({ pods: [...pods(2, "h", { cpu: "3", memory: "1Gi", ...apart }), ...pods(4, "b", { cpu: "1", memory: "6Gi", labels: { app: "web" } })], nodePools: [option(nodePool("default"), zonal)] }));
      expect(r.unschedulable).toEqual([]);
      const counted = r.newNodeClaims.filter((c) => c.pods.some((p) => p.metadata.labels?.app === "web"));
      expect(counted.length).toBeGreaterThan(0);
      for (const c of counted) expect(c.requirements.find((q) => q.key === "topology.kubernetes.io/zone")?.values).toHaveLength(1);
    });
  });
});
