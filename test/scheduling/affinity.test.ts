import { describe, expect, it } from "vitest";
import type { PodAffinityTerm } from "../../lib/api/kubernetes.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { existingNode, HOSTNAME, input, nodePool, option, pod, pods, ZONE, ZONES } from "../support/builders.ts";
import { placementOf, podsPerZone, reasonOf } from "../support/scheduling.ts";

const term = (app: string, topologyKey: string): PodAffinityTerm => ({ topologyKey, labelSelector: { matchLabels: { app } } });

describe("pod affinity", () => {
  it("keeps a self-affine group in the zone its first pod seeds", () => {
    const r = schedule(input({ pods: pods(6, "db", { cpu: "3", labels: { app: "db" }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", ZONE)] } } }) }));
    expect(r.unschedulable).toEqual([]);
    expect(Object.keys(podsPerZone(r))).toHaveLength(1);
    expect(r.newNodeClaims.length).toBeGreaterThan(1);
  });

  it("follows a bound pod's zone", () => {
    const node = existingNode("n-b", { labels: { [ZONE]: ZONES[1]! }, cpu: "1", pods: [pod({ name: "cache", cpu: "1", labels: { app: "cache" } })] });
    const r = schedule(input({ pods: pods(2, "web", { cpu: "1", affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("cache", ZONE)] } } }), existingNodes: [node] }));
    expect(podsPerZone(r)).toEqual({ [ZONES[1]!]: 2 });
  });

  it("leaves a pod unschedulable when no pod it needs exists and it does not select itself", () => {
    const r = schedule(input({ pods: [pod({ name: "lonely", cpu: "1", affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("ghost", ZONE)] } } })] }));
    expect(reasonOf(r, "lonely")).toMatch(/pod affinity on topology.kubernetes.io\/zone/);
  });

  it("waits for the pod it needs even when that pod is placed after it", () => {
    const target = pod({ name: "target", cpu: "500m", labels: { app: "target" }, nodeSelector: { [ZONE]: ZONES[1]! } });
    const big = pod({ name: "big", cpu: "3", affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("target", ZONE)] } } });
    const r = schedule(input({ pods: [big, target] }));
    expect(r.unschedulable).toEqual([]);
    expect(podsPerZone(r)).toEqual({ [ZONES[1]!]: 2 });
  });

  it("co-locates with a pending pod placed earlier in the same run", () => {
    const leader = pod({ name: "leader", cpu: "4", labels: { app: "leader" }, nodeSelector: { [ZONE]: ZONES[2]! } });
    const follower = pod({ name: "follower", cpu: "1", affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("leader", ZONE)] } } });
    const r = schedule(input({ pods: [follower, leader] }));
    expect(podsPerZone(r)).toEqual({ [ZONES[2]!]: 2 });
  });
});

const term2 = (security: string): PodAffinityTerm => ({ topologyKey: ZONE, labelSelector: { matchLabels: { security } } });

describe("pod affinity across namespaces and node selectors (Karpenter's topology suite)", () => {
  it("an empty namespaceSelector ({matchLabels: {}}) selects pods in every namespace", () => {
    const target = pod({ name: "target", namespace: "other", cpu: "1", labels: { security: "s2" } });
    const follower = pod({
      name: "follower",
      cpu: "1",
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME, labelSelector: { matchLabels: { security: "s2" } }, namespaceSelector: { matchLabels: {} } }] } },
    });
    const r = schedule(input({ pods: [target, follower] }));
    expect(placementOf(r).follower).toBe(placementOf(r).target);
    expect(r.unschedulable).toEqual([]);
  });

  it("two self-affine pods whose node selectors can't share a zone get a node each", () => {
    const selfAffine = (name: string, zone: string) =>
      pod({ name, cpu: "1", labels: { security: "s1" }, nodeSelector: { [ZONE]: zone }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term2("s1")] } } });
    const r = schedule(input({ pods: [selfAffine("in-b", ZONES[1]!), selfAffine("in-c", ZONES[2]!)] }));
    expect(r.unschedulable).toEqual([]);
    expect(r.newNodeClaims.map((c) => c.labels[ZONE]).sort()).toEqual([ZONES[1], ZONES[2]]);
  });
});

describe("pod anti-affinity", () => {
  it("puts each pod of a hostname anti-affine group on its own node", () => {
    const r = schedule(input({ pods: pods(3, "web", { cpu: "1", labels: { app: "web" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", HOSTNAME)] } } }) }));
    expect(r.newNodeClaims.map((c) => c.pods.length)).toEqual([1, 1, 1]);
  });

  it("fills at most one pod per zone and reports the rest", () => {
    const r = schedule(input({ pods: pods(4, "web", { cpu: "1", labels: { app: "web" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", ZONE)] } } }) }));
    expect(Object.values(podsPerZone(r))).toEqual([1, 1, 1]);
    expect(r.unschedulable).toHaveLength(1);
    expect(r.unschedulable[0]!.reason).toMatch(/anti-affinity on topology.kubernetes.io\/zone/);
  });

  it("avoids the node of a bound pod it repels, and a bound pod's own anti-affinity repels it", () => {
    const bound = pod({ name: "loner", cpu: "1", labels: { app: "loner" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", HOSTNAME)] } } });
    const node = existingNode("n1", { cpu: "8", pods: [bound] });
    const webPod = pod({ name: "web-0", cpu: "1", labels: { app: "web" } });
    const r = schedule(input({ pods: [webPod], existingNodes: [node] }));
    expect(placementOf(r)["web-0"]).toBe("claim:0");
    const other = pod({ name: "other", cpu: "1", labels: { app: "other" } });
    expect(placementOf(schedule(input({ pods: [other], existingNodes: [node] }))).other).toBe("n1");
    const repelling = pod({ name: "rep", cpu: "1", affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("loner", HOSTNAME)] } } });
    expect(placementOf(schedule(input({ pods: [repelling], existingNodes: [node] }))).rep).toBe("claim:0");
  });

  it("keeps later pods away from an earlier placed pod's required anti-affinity", () => {
    const guard = pod({ name: "guard", cpu: "2", labels: { app: "guard" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", HOSTNAME)] } } });
    const webPods = pods(2, "web", { cpu: "1", labels: { app: "web" } });
    const r = schedule(input({ pods: [guard, ...webPods] }));
    const where = placementOf(r);
    expect(where["web-0"]).not.toBe(where.guard);
    expect(where["web-1"]).not.toBe(where.guard);
  });
});

describe("preferences", () => {
  it("treats preferred node affinity as required while it can be met, and relaxes it when not", () => {
    const prefer = (zone: string) => ({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: ZONE, operator: "In" as const, values: [zone] }] } }] } });
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "1", affinity: prefer(ZONES[1]!) })] }));
    expect(r.newNodeClaims[0]!.labels[ZONE]).toBe(ZONES[1]);
    const r2 = schedule(input({ pods: [pod({ name: "p", cpu: "1", affinity: prefer("nowhere") })] }));
    expect(r2.unschedulable).toEqual([]);
    const ignored = schedule(input({ pods: [pod({ name: "p", cpu: "1", affinity: prefer(ZONES[1]!) })], options: { preferencePolicy: "Ignore" } }));
    expect(ignored.newNodeClaims[0]!.labels[ZONE]).toBeUndefined();
  });

  it("falls through required OR terms before giving up a preference", () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: ZONE, operator: "In" as const, values: ["nowhere"] }] },
            { matchExpressions: [{ key: ZONE, operator: "In" as const, values: [ZONES[0]!, ZONES[1]!] }] },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: { matchExpressions: [{ key: ZONE, operator: "In" as const, values: [ZONES[1]!] }] } }],
      },
    };
    expect(schedule(input({ pods: [pod({ name: "p", cpu: "1", affinity })] })).newNodeClaims[0]!.labels[ZONE]).toBe(ZONES[1]);
  });

  it("tries the heaviest preferred node affinity term first", () => {
    const affinity = {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 1, preference: { matchExpressions: [{ key: ZONE, operator: "In" as const, values: [ZONES[0]!] }] } },
          { weight: 50, preference: { matchExpressions: [{ key: ZONE, operator: "In" as const, values: [ZONES[2]!] }] } },
        ],
      },
    };
    expect(schedule(input({ pods: [pod({ name: "p", cpu: "1", affinity })] })).newNodeClaims[0]!.labels[ZONE]).toBe(ZONES[2]);
  });

  it("relaxes preferred pod anti-affinity when it can't be met", () => {
    const anti = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term("web", ZONE) }] } };
    const r = schedule(input({ pods: pods(5, "web", { cpu: "1", labels: { app: "web" }, affinity: anti }) }));
    expect(r.unschedulable).toEqual([]);
    expect(Object.keys(podsPerZone(r)).sort()).toEqual([...ZONES]);
  });

  it("honours preferred pod affinity when it can, even over free room on an existing node elsewhere", () => {
    // Free room in zone a (the cheapest place: no launch) and zone a is also where a claim would go by
    // default (zones tie on price and sort by name); only the preference points to zone b.
    const free = existingNode("n-a", { labels: { [ZONE]: ZONES[0]! }, cpu: "4" });
    const full = existingNode("n-b", { labels: { [ZONE]: ZONES[1]! }, cpu: "1", pods: [pod({ name: "cache", cpu: "1", labels: { app: "cache" } })] });
    const aff = { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term("cache", ZONE) }] } };
    const web = () => [pod({ name: "web", cpu: "1", affinity: aff })];
    const r = schedule(input({ pods: web(), existingNodes: [free, full] }));
    expect(placementOf(r)).toEqual({ web: "claim:0" });
    expect(r.newNodeClaims[0]!.labels[ZONE]).toBe(ZONES[1]);
    // Without the preference the pod takes the free room.
    expect(placementOf(schedule(input({ pods: web(), existingNodes: [free, full], options: { preferencePolicy: "Ignore" } })))).toEqual({ web: "n-a" });
  });

  it("relaxes preferred pod affinity when nothing matches", () => {
    const aff = { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term("ghost", ZONE) }] } };
    expect(schedule(input({ pods: [pod({ name: "p", cpu: "1", affinity: aff })] })).unschedulable).toEqual([]);
  });

  it("drops ScheduleAnyway spreads up front under preference policy Ignore", () => {
    const spreadAnyway = { labels: { app: "w" }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "ScheduleAnyway" as const, labelSelector: { matchLabels: { app: "w" } } }] };
    const respected = schedule(input({ pods: pods(3, "w", { cpu: "1", ...spreadAnyway }) }));
    expect(Object.keys(podsPerZone(respected)).sort()).toEqual([...ZONES]);
    const ignored = schedule(input({ pods: pods(3, "w", { cpu: "1", ...spreadAnyway }), options: { preferencePolicy: "Ignore" } }));
    expect(ignored.newNodeClaims.length).toBeLessThan(3);
  });

  it("tolerates PreferNoSchedule taints as the last relaxation", () => {
    const soft = option(nodePool("soft", { taints: [{ key: "spare", effect: "PreferNoSchedule" }] }));
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "1" })], nodePools: [soft] }));
    expect(r.unschedulable).toEqual([]);
    // A pool without the taint wins while the preference is honoured, whatever the weights.
    const clean = option(nodePool("clean"));
    const r2 = schedule(input({ pods: [pod({ name: "p", cpu: "1" })], nodePools: [option(nodePool("soft", { weight: 100, taints: [{ key: "spare", effect: "PreferNoSchedule" }] })), clean] }));
    expect(r2.newNodeClaims[0]!.nodePoolName).toBe("clean");
  });
});
