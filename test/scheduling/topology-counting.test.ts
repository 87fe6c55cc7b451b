/**
 * Pods without a constraint of their own still count for other pods' spreads and anti-affinity
 * when selected. A claim holding such a pod must therefore be in one known domain: otherwise the
 * pod is counted nowhere, yet the node launches in some zone and kube-scheduler counts it there.
 */
import { describe, expect, it } from "vitest";
import type { Pod } from "../../lib/api/kubernetes.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import type { SchedulingResult } from "../../lib/scheduling/types.ts";
import { input, instanceType, nodePool, option, pods, ZONE, ZONES } from "../support/builders.ts";

const big = instanceType("big", { cpu: "16", memory: "64Gi", price: 1 });
const pool = option(nodePool("default"), [big]);

/** Zone of every pod on a new claim; undefined when its claim isn't pinned to one zone. */
function zoneOfPods(r: SchedulingResult): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const c of r.newNodeClaims) {
    const zone = c.requirements.find((q) => q.key === ZONE);
    const single = zone?.operator === "In" && zone.values?.length === 1 ? zone.values[0] : undefined;
    for (const p of c.pods) out.set(p.metadata.name, single);
  }
  return out;
}

describe("pods counted for topology without a constraint of their own", () => {
  // The unconstrained pods ask for more cpu, so they are placed first, onto a claim that nothing
  // else pins to a zone; the spread pods come after and see the zone counts.
  const plain = () => pods(4, "plain", { cpu: "2", labels: { app: "web" } });
  const spreading = (): Pod[] =>
    pods(3, "spread", {
      cpu: "1",
      labels: { app: "web" },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } } }],
    });

  it("keep a DoNotSchedule zone spread of other pods within maxSkew, counting every matching pod", () => {
    const r = schedule(input({ pods: [...plain(), ...spreading()], nodePools: [pool] }));
    expect(r.unschedulable).toEqual([]);
    const zones = zoneOfPods(r);
    for (const [name, zone] of zones) expect(zone, `${name} is on a claim not pinned to a zone`).toBeDefined();
    const counts = new Map(ZONES.map((z) => [z, 0]));
    for (const zone of zones.values()) counts.set(zone!, counts.get(zone!)! + 1);
    const min = Math.min(...counts.values());
    // The spread pods come last, so each zone that got one must be within maxSkew of the minimum at the end.
    for (const [name, zone] of zones) {
      if (name.startsWith("spread")) expect(counts.get(zone!)! - min, `zone counts ${JSON.stringify([...counts])}`).toBeLessThanOrEqual(1);
    }
  });

  it("keep other pods' required zone anti-affinity: they avoid the zone the selected pods end up in", () => {
    const loner: Pod = pods(1, "loner", {
      cpu: "1",
      labels: { app: "loner" },
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: { app: "web" } } }] } },
    })[0]!;
    const r = schedule(input({ pods: [...plain(), loner], nodePools: [pool] }));
    expect(r.unschedulable).toEqual([]);
    const zones = zoneOfPods(r);
    const webZones = new Set([...zones].filter(([n]) => n.startsWith("plain")).map(([, z]) => z));
    expect(webZones.has(undefined)).toBe(false);
    expect(zones.get("loner-0")).toBeDefined();
    expect(webZones.has(zones.get("loner-0"))).toBe(false);
  });

  it("leave claims of pods that no topology group selects open to every zone", () => {
    const r = schedule(input({ pods: pods(4, "free", { cpu: "2", labels: { app: "free" } }), nodePools: [pool] }));
    expect([...zoneOfPods(r).values()]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
