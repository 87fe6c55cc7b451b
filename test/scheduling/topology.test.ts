import { describe, expect, it } from "vitest";
import type { TopologySpreadConstraint } from "../../lib/api/kubernetes.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { CAPACITY_TYPE, existingNode, HOSTNAME, input, nodePool, option, pods, ZONE, ZONES } from "../support/builders.ts";
import { podsPerZone } from "../support/scheduling.ts";

const spread = (topologyKey: string, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey,
  whenUnsatisfiable: "DoNotSchedule",
  labelSelector: { matchLabels: { app: "web" } },
  ...extra,
});
const web = (n: number, c: Partial<TopologySpreadConstraint> = {}, key = ZONE, more: object = {}) =>
  pods(n, "web", { cpu: "1", labels: { app: "web" }, topologySpreadConstraints: [spread(key, c)], ...more });

describe("topology spread", () => {
  it("balances pods across zones within maxSkew", () => {
    const r = schedule(input({ pods: web(7) }));
    expect(r.unschedulable).toEqual([]);
    const counts = Object.values(podsPerZone(r));
    expect(counts.sort()).toEqual([2, 2, 3]);
    expect(Object.keys(podsPerZone(r)).sort()).toEqual([...ZONES]);
  });

  it("counts matching pods already bound to nodes", () => {
    const bound = pods(2, "old", { cpu: "1", labels: { app: "web" } });
    const node = existingNode("n-a", { labels: { [ZONE]: ZONES[0]! }, cpu: "2", pods: bound });
    const r = schedule(input({ pods: web(2), existingNodes: [node] }));
    expect(podsPerZone(r)).toEqual({ [ZONES[1]!]: 1, [ZONES[2]!]: 1 });
  });

  it("puts each pod on its own node for a hostname spread with maxSkew 1", () => {
    const r = schedule(input({ pods: web(4, {}, HOSTNAME) }));
    expect(r.newNodeClaims.map((c) => c.pods.length)).toEqual([1, 1, 1, 1]);
  });

  it("allows two per node with maxSkew 2 on hostname", () => {
    const r = schedule(input({ pods: web(4, { maxSkew: 2 }, HOSTNAME) }));
    expect(r.newNodeClaims.map((c) => c.pods.length).sort()).toEqual([2, 2]);
  });

  it("treats the global minimum as zero while fewer than minDomains domains are eligible", () => {
    const zonesAB = { nodeSelector: undefined, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: "In" as const, values: [ZONES[0]!, ZONES[1]!] }] }] } } } };
    const withMin = schedule(input({ pods: web(4, { minDomains: 3 }, ZONE, zonesAB) }));
    expect(withMin.unschedulable).toHaveLength(2);
    expect(withMin.unschedulable[0]!.reason).toMatch(/topology spread on topology.kubernetes.io\/zone \(maxSkew 1\)/);
    const without = schedule(input({ pods: web(4, {}, ZONE, zonesAB) }));
    expect(without.unschedulable).toEqual([]);
    expect(podsPerZone(without)).toEqual({ [ZONES[0]!]: 2, [ZONES[1]!]: 2 });
  });

  it("honours nodeAffinityPolicy: Ignore counts domains the pod can't reach; ScheduleAnyway relaxes", () => {
    const onlyA = { nodeSelector: { [ZONE]: ZONES[0]! } };
    const honor = schedule(input({ pods: web(3, {}, ZONE, onlyA) }));
    expect(honor.unschedulable).toEqual([]);
    const ignore = schedule(input({ pods: web(3, { nodeAffinityPolicy: "Ignore" }, ZONE, onlyA) }));
    expect(ignore.unschedulable).toHaveLength(2);
    const anyway = schedule(input({ pods: web(3, { nodeAffinityPolicy: "Ignore", whenUnsatisfiable: "ScheduleAnyway" }, ZONE, onlyA) }));
    expect(anyway.unschedulable).toEqual([]);
  });

  it("honours nodeTaintsPolicy: with Honor, domains only on untolerated nodes don't count", () => {
    const np = option(nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: [ZONES[0]!, ZONES[1]!] }] }));
    const tainted = existingNode("tainted-c", { labels: { [ZONE]: ZONES[2]! }, taints: [{ key: "dedicated", effect: "NoSchedule" }] });
    const ignore = schedule(input({ pods: web(4), nodePools: [np], existingNodes: [tainted] }));
    expect(ignore.unschedulable).toHaveLength(2);
    const honor = schedule(input({ pods: web(4, { nodeTaintsPolicy: "Honor" }), nodePools: [np], existingNodes: [tainted] }));
    expect(honor.unschedulable).toEqual([]);
    expect(podsPerZone(honor)).toEqual({ [ZONES[0]!]: 2, [ZONES[1]!]: 2 });
  });

  it("judges skew over the zones the pod requires, not the zone it merely prefers", () => {
    const preferA = { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: ZONE, operator: "In" as const, values: [ZONES[0]!] }] } }] } } };
    const r = schedule(input({ pods: web(3, {}, ZONE, preferA) }));
    expect(r.unschedulable).toEqual([]);
    expect(podsPerZone(r)).toEqual({ [ZONES[0]!]: 1, [ZONES[1]!]: 1, [ZONES[2]!]: 1 });
  });

  it("spreads on capacity type", () => {
    const r = schedule(input({ pods: web(4, {}, CAPACITY_TYPE) }));
    const perType: Record<string, number> = {};
    for (const c of r.newNodeClaims) perType[c.labels[CAPACITY_TYPE]!] = (perType[c.labels[CAPACITY_TYPE]!] ?? 0) + c.pods.length;
    expect(perType).toEqual({ spot: 2, "on-demand": 2 });
  });

  it("spreads on a custom label the NodePool defines", () => {
    const np = option(nodePool("default", { requirements: [{ key: "example.com/spread", operator: "In", values: ["1", "2", "3", "4"] }] }));
    const r = schedule(input({ pods: web(8, {}, "example.com/spread"), nodePools: [np] }));
    const per: Record<string, number> = {};
    for (const c of r.newNodeClaims) per[c.labels["example.com/spread"]!] = (per[c.labels["example.com/spread"]!] ?? 0) + c.pods.length;
    expect(per).toEqual({ "1": 2, "2": 2, "3": 2, "4": 2 });
  });

  it("counts separately per matchLabelKeys value", () => {
    const mk = (hash: string, n: number) =>
      pods(n, `web-${hash}`, { cpu: "1", labels: { app: "web", "pod-template-hash": hash }, topologySpreadConstraints: [spread(ZONE, { matchLabelKeys: ["pod-template-hash"] })] });
    // Old revision already sits in zone a; the new revision starts its own count.
    const node = existingNode("n-a", { labels: { [ZONE]: ZONES[0]! }, cpu: "3", pods: mk("old", 3) });
    const r = schedule(input({ pods: mk("new", 3), existingNodes: [node], nodePools: [option(nodePool("default"))] }));
    expect(podsPerZone(r)).toEqual({ [ZONES[0]!]: 1, [ZONES[1]!]: 1, [ZONES[2]!]: 1 });
    // Without matchLabelKeys the old pods count, and zone a gets nothing new.
    const plain = pods(3, "x", { cpu: "1", labels: { app: "web" }, topologySpreadConstraints: [spread(ZONE)] });
    const r2 = schedule(input({ pods: plain, existingNodes: [existingNode("n-a", { labels: { [ZONE]: ZONES[0]! }, cpu: "3", pods: pods(3, "o", { cpu: "1", labels: { app: "web" } }) })] }));
    expect(podsPerZone(r2)[ZONES[0]!]).toBeUndefined();
    expect(r2.unschedulable).toEqual([]);
  });
});
