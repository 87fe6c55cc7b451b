/**
 * Invariants of schedule() over random small clusters: every pod is accounted for once, every
 * claim's pods fit each instance type it lists (with DaemonSet overhead), every listed type is
 * compatible with the claim's requirements, labels agree with requirements, spreads and
 * anti-affinity hold across the result, and the output is deterministic.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Pod } from "../../lib/api/kubernetes.ts";
import { Requirements } from "../../lib/requirements/index.ts";
import { podRequests } from "../../lib/scheduling/pod-requests.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import type { SchedulingResult } from "../../lib/scheduling/types.ts";
import { daemonSet, existingNode, HOSTNAME, input, instanceType, nodePool, option, pod, ZONE, ZONES } from "../support/builders.ts";

const kinds = ["plain", "zone-spread", "host-anti", "zone-affinity", "selector"] as const;
const podArb = fc.record({
  kind: fc.constantFrom(...kinds),
  app: fc.constantFrom("a", "b", "c"),
  cpu: fc.integer({ min: 1, max: 40 }).map((n) => `${n * 100}m`),
  memory: fc.integer({ min: 1, max: 24 }).map((n) => `${n * 256}Mi`),
  zone: fc.constantFrom(...ZONES),
});

type PodSpecArb = { kind: string; app: string; cpu: string; memory: string; zone: string };

function build(specs: PodSpecArb[]): Pod[] {
  return specs.map((s, i) => {
    const labels = { app: s.app };
    const sel = { matchLabels: labels };
    const base = { name: `p${i}`, cpu: s.cpu, memory: s.memory, labels };
    switch (s.kind) {
      case "zone-spread":
        return pod({ ...base, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: sel }] });
      case "host-anti":
        return pod({ ...base, labels: { app: `anti-${s.app}` }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME, labelSelector: { matchLabels: { app: `anti-${s.app}` } } }] } } });
      case "zone-affinity":
        return pod({ ...base, labels: { app: `aff-${s.app}` }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: { app: `aff-${s.app}` } } }] } } });
      case "selector":
        return pod({ ...base, nodeSelector: { [ZONE]: s.zone } });
      default:
        return pod(base);
    }
  });
}

const catalog = [1, 2, 4, 8].flatMap((n) => [
  instanceType(`m${n}`, { cpu: String(n), memory: `${4 * n}Gi`, price: 0.05 * n }),
  instanceType(`c${n}`, { cpu: String(n), memory: `${2 * n}Gi`, price: 0.04 * n, zones: [ZONES[0]!, ZONES[1]!] }),
]);

function check(r: SchedulingResult, pods: Pod[], existingZones: Record<string, string> = {}): void {
  const seen = [...r.newNodeClaims.flatMap((c) => c.pods), ...r.existingNodes.flatMap((e) => e.pods), ...r.unschedulable.map((u) => u.pod)];
  expect(seen.map((p) => p.metadata.name).sort()).toEqual(pods.map((p) => p.metadata.name).sort());
  const zoneOf = new Map<string, string | undefined>();
  const hostOf = new Map<string, string>();
  r.newNodeClaims.forEach((c, i) => {
    expect(c.instanceTypes.length).toBeGreaterThan(0);
    const reqs = Requirements.fromNodeSelector(c.requirements);
    const total: Record<string, number> = { ...c.daemonSetRequests };
    for (const p of c.pods) for (const [k, v] of Object.entries(podRequests(p))) total[k] = (total[k] ?? 0) + v;
    for (const t of c.instanceTypes) {
      for (const [k, v] of Object.entries(total)) expect(v).toBeLessThanOrEqual(t.allocatable[k] ?? 0);
      expect(Requirements.fromNodeSelector(t.requirements).isCompatible(reqs, () => true)).toBe(true);
      expect(t.offerings.some((o) => o.available && reqs.allows(ZONE, o.zone))).toBe(true);
    }
    for (const [k, v] of Object.entries(c.labels)) expect(reqs.allows(k, v)).toBe(true);
    for (const p of c.pods) {
      zoneOf.set(p.metadata.name, c.labels[ZONE]);
      hostOf.set(p.metadata.name, `claim-${i}`);
      for (const [k, v] of Object.entries(p.spec.nodeSelector ?? {})) expect(c.labels[k]).toBe(v);
    }
  });
  // Pods placed on existing nodes count toward spreads and affinities in those nodes' zones.
  r.existingNodes.forEach((e) => {
    for (const p of e.pods) {
      zoneOf.set(p.metadata.name, existingZones[e.name]);
      hostOf.set(p.metadata.name, e.name);
    }
  });
  const placed = [...r.newNodeClaims.flatMap((c) => c.pods), ...r.existingNodes.flatMap((e) => e.pods)];
  for (const app of ["a", "b", "c"]) {
    const spread = placed.filter((p) => p.metadata.labels?.app === app && p.spec.topologySpreadConstraints);
    if (spread.length) {
      const all = placed.filter((p) => p.metadata.labels?.app === app);
      const per = ZONES.map((z) => all.filter((p) => zoneOf.get(p.metadata.name) === z).length);
      // Pods without the spread may share the label; the spread pods themselves never exceed skew 1 when alone.
      if (all.length === spread.length) expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
    const anti = placed.filter((p) => p.metadata.labels?.app === `anti-${app}`);
    expect(new Set(anti.map((p) => hostOf.get(p.metadata.name))).size).toBe(anti.length);
    const aff = placed.filter((p) => p.metadata.labels?.app === `aff-${app}`);
    expect(new Set(aff.map((p) => zoneOf.get(p.metadata.name))).size).toBeLessThanOrEqual(1);
  }
}

describe("schedule() invariants", () => {
  it("holds on random pod mixes, with and without DaemonSets and existing nodes", () => {
    fc.assert(
      fc.property(fc.array(podArb, { minLength: 1, maxLength: 40 }), fc.boolean(), fc.boolean(), (specs, withDaemon, withNode) => {
        const pods = build(specs);
        const inp = input({
          pods,
          nodePools: [option(nodePool("default"), catalog)],
          daemonSets: withDaemon ? [daemonSet("agent", { cpu: "200m", memory: "256Mi" })] : [],
          existingNodes: withNode ? [existingNode("n1", { labels: { [ZONE]: ZONES[2]! }, cpu: "2", memory: "4Gi" })] : [],
        });
        const r = schedule(inp);
        check(r, pods, withNode ? { n1: ZONES[2]! } : {});
        expect(JSON.stringify(schedule(inp))).toBe(JSON.stringify(r));
      }),
      { numRuns: 60 },
    );
  });
});
