/**
 * The Events a consolidator pass leaves on nodes it could not take: a large cluster's nodes take
 * turns (each Event costs a dedupe claim, a conditional write, even when deduplicated), so one tick
 * considers about NODE_EVENTS_PER_TICK of them and every node gets its turn within a few minutes.
 */
import { describe, expect, it } from "vitest";
import { disruptionPass } from "../../lib/disruption/decide.ts";
import { NODE_EVENTS_PER_TICK, passEvents } from "../../lib/disruption/events.ts";
import { pod } from "../support/builders.ts";
import { AT, cluster, pool } from "./builders.ts";

/** `n` nodes each holding a pod, in a WhenEmpty NodePool: every one is Unconsolidatable, for the same reason. */
function busyNodes(n: number) {
  return cluster({
    pools: [pool("default", { consolidationPolicy: "WhenEmpty" })],
    nodes: Array.from({ length: n }, (_, i) => ({ name: `node-${i}`, type: "big-8x", pods: [pod({ name: `p-${i}`, cpu: "1" })] })),
  });
}

function told(at: number, objects: ReturnType<typeof busyNodes>): string[] {
  return passEvents(disruptionPass(objects, at)).flatMap((a) => (a.kind === "record-event" && a.event.reason === "Unconsolidatable" && a.event.involvedObject.kind === "Node" ? [a.event.involvedObject.name] : []));
}

describe("Unconsolidatable events per tick", () => {
  it("tells every node each tick while there are few", () => {
    const objects = busyNodes(30);
    expect(told(AT, objects)).toHaveLength(30);
  });

  it("tells each NodeClaim what its Node is told, as Karpenter does, deduplicated by the NodeClaim's own uid", () => {
    const events = passEvents(disruptionPass(busyNodes(3), AT)).flatMap((a) => (a.kind === "record-event" ? [a.event] : []));
    const onNodes = events.filter((e) => e.involvedObject.kind === "Node");
    const onClaims = events.filter((e) => e.involvedObject.kind === "NodeClaim");
    expect(onClaims.map((e) => e.reason)).toEqual(onNodes.map((e) => e.reason));
    expect(onClaims.map((e) => e.reason)).toEqual(["Unconsolidatable", "Unconsolidatable", "Unconsolidatable"]);
    expect(onClaims.map((e) => e.message)).toEqual(onNodes.map((e) => e.message));
    expect(onClaims.every((e) => e.involvedObject.apiVersion === "karpenter.sh/v1" && e.involvedObject.uid === undefined && e.dedupe?.timeoutMs === 15 * 60_000)).toBe(true);
    expect(new Set(onClaims.map((e) => e.dedupe!.values[0])).size).toBe(3);
    expect(onClaims.map((e) => e.dedupe!.values[0])).not.toEqual(onNodes.map((e) => e.dedupe!.values[0]));
  });

  it("spreads a large cluster's nodes over turns: a tick tells about its share, and every node gets a turn", () => {
    const objects = busyNodes(350);
    const turns = Math.ceil(350 / NODE_EVENTS_PER_TICK);
    const start = Math.floor(AT / 60_000) * 60_000;
    const seen: string[] = [];
    for (let minute = 0; minute < turns; minute++) {
      const names = told(start + minute * 60_000, objects);
      expect(names.length).toBeLessThan(2 * NODE_EVENTS_PER_TICK);
      seen.push(...names);
    }
    expect(seen).toHaveLength(350);
    expect(new Set(seen).size).toBe(350);
  });
});
