/**
 * Kubernetes Events with Karpenter's reasons through the real handlers on the simulated cluster,
 * deduplicated as Karpenter's recorder does (same reason and object: once per timeout) across
 * separate runs: the dedupe claims live in the store, not in a process. The simulated API server
 * aggregates a repeated event into a count, as Kubernetes does, so a repeat shows as count 2.
 */
import { describe, expect, it } from "vitest";
import type { Workload } from "../../lib/api/kubernetes.ts";
import type { RecordedEvent } from "../../lib/cluster/in-memory/in-memory-cluster.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";
import { callConsolidator, callProvisioner, CLUSTER, ON_DEMAND_ONLY, scheduledTick, useInstalledRuntime } from "../support/world.ts";
import { deployment, settle } from "./disruption-support.ts";

const install = useInstalledRuntime();

function world(poolExtra: Record<string, unknown> = {}): SimulatedWorld {
  const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
  w.cluster.putCustomObject("NodePool", nodePoolObject("default", ON_DEMAND_ONLY, poolExtra));
  w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(CLUSTER));
  install(fixedRuntime(w.ports));
  return w;
}

function tenonEvents(w: SimulatedWorld, reason: string, kind?: string): RecordedEvent[] {
  return w.cluster.events({ source: "tenon", reason }).filter((e) => kind === undefined || e.involvedObject.kind === kind);
}

/** Calls `call` once a minute for `minutes` minutes of the world's clock. */
async function everyMinute(w: SimulatedWorld, minutes: number, call: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < minutes; i++) {
    await w.cluster.advance(60_000);
    await call();
  }
}

const WHEN_EMPTY = { consolidationPolicy: "WhenEmpty", consolidateAfter: "0s" };

describe("Karpenter's events, deduplicated across runs", () => {
  it("tells a pod no NodePool fits why, once per 5 minutes however often the provisioner runs", async () => {
    const w = world();
    const huge: Workload = deployment("huge", 1, "500");
    w.cluster.addWorkload(huge);
    await w.cluster.advance(3_000);
    await callProvisioner(scheduledTick);
    const [first] = tenonEvents(w, "FailedScheduling");
    expect(first).toMatchObject({ type: "Warning", involvedObject: { kind: "Pod", namespace: "default" }, count: 1 });
    expect(first!.message).toMatch(/NodePool default/);

    // Four more runs within 5 minutes: the same pod is not told again.
    await everyMinute(w, 4, () => callProvisioner(scheduledTick));
    expect(tenonEvents(w, "FailedScheduling")).toMatchObject([{ count: 1 }]);
    // Past the timeout it is told again (the API server aggregates the repeat).
    await everyMinute(w, 2, () => callProvisioner(scheduledTick));
    expect(tenonEvents(w, "FailedScheduling")).toMatchObject([{ count: 2 }]);
  });

  it("says once per 15 minutes why a node is not consolidated, and that a do-not-disrupt pod blocks another", async () => {
    const w = world({ disruption: WHEN_EMPTY });
    w.cluster.addWorkload(deployment("web", 1, "1", ["web", "pinned"]));
    w.cluster.addWorkload(deployment("pinned", 1, "1", ["web", "pinned"], { annotations: { "karpenter.sh/do-not-disrupt": "true" } }));
    await settle(w);
    expect(w.cluster.nodes()).toHaveLength(2);
    const webNode = w.cluster.pods().find((p) => p.metadata.labels?.app === "web")!.spec.nodeName!;
    const pinnedNode = w.cluster.pods().find((p) => p.metadata.labels?.app === "pinned")!.spec.nodeName!;

    await everyMinute(w, 10, () => callConsolidator());
    const unconsolidatable = tenonEvents(w, "Unconsolidatable", "Node");
    expect(unconsolidatable.map((e) => ({ node: e.involvedObject.name, count: e.count }))).toEqual([{ node: webNode, count: 1 }]);
    expect(unconsolidatable[0]!.message).toMatch(/consolidationPolicy: WhenEmpty/);
    const blocked = tenonEvents(w, "DisruptionBlocked", "Node");
    expect(blocked.map((e) => e.involvedObject.name)).toEqual([pinnedNode]);
    expect(blocked[0]!.message).toMatch(/^Cannot disrupt Node: .*do-not-disrupt/);
    // Every two minutes at most, over ten ticks.
    expect(blocked[0]!.count).toBeLessThanOrEqual(5);
    expect(blocked[0]!.count).toBeGreaterThanOrEqual(4);

    await everyMinute(w, 6, () => callConsolidator());
    expect(tenonEvents(w, "Unconsolidatable", "Node").map((e) => e.count)).toEqual([2]);
    // The journal lists the two Events published and counts the skipped ones instead of listing them.
    const entries = await w.ports.store.listJournal({ fromMs: 0, toMs: w.ports.clock.now(), subject: { kind: "node", name: webNode }, limit: 100 }, w.ports.clock.now());
    const listed = entries.flatMap((e) => e.actions.filter((x) => x.target.startsWith(`event Unconsolidatable on Node ${webNode}`)));
    expect(listed).toHaveLength(2);
    expect(entries.reduce((n, e) => n + (e.omitted?.deduplicatedEvents ?? 0), 0)).toBeGreaterThanOrEqual(14);
  });

  it("says on the NodePool, once a minute, that its budget allows no disruption for each reason", async () => {
    const w = world({ disruption: { ...WHEN_EMPTY, budgets: [{ nodes: "0" }] } });
    w.cluster.addWorkload(deployment("web", 1, "1"));
    await settle(w);
    w.cluster.scaleWorkload("default", "web", 0);
    await everyMinute(w, 3, () => callConsolidator());
    const blocked = tenonEvents(w, "DisruptionBlocked", "NodePool");
    expect(blocked.map((e) => ({ message: e.message, count: e.count }))).toEqual(
      ["Empty", "Underutilized", "Drifted"].map((reason) => ({ message: `No allowed disruptions for disruption reason ${reason} due to blocking budget`, count: 3 })),
    );
    // And the empty node stays.
    expect(w.cluster.nodes()).toHaveLength(1);
  });
});
