/**
 * Karpenter's metrics through the real handlers on the simulated world: counted by name and
 * dimensions (NodePool, reason, capacity type) when the executor applies the actions that do the
 * thing, and the consolidator tick's gauges (cost per hour, usage, limits, allowed disruptions,
 * eligible nodes, pods by phase) from what it observed.
 */
import { describe, expect, it } from "vitest";
import type { EC2NodeClass } from "../../lib/api/types.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { KARPENTER_METRIC as K, type MetricDimensions } from "../../lib/ports/telemetry.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";
import { CLUSTER, ON_DEMAND_ONLY, runningPods, useInstalledRuntime } from "../support/world.ts";
import { deployment, run, runningInstances, settle } from "./disruption-support.ts";

const install = useInstalledRuntime();

async function world(): Promise<SimulatedWorld> {
  const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
  const pool = nodePoolObject("default", ON_DEMAND_ONLY);
  (pool.spec as Record<string, unknown>)["limits"] = { cpu: "100" };
  w.cluster.putCustomObject("NodePool", pool);
  w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(CLUSTER));
  install(fixedRuntime(w.ports));
  return w;
}

/** The value of the last point recorded under `name` with these dimensions (a gauge's current value). */
function last(w: SimulatedWorld, name: string, dimensions: MetricDimensions): number | undefined {
  return w.telemetry.points(name, dimensions).at(-1)?.value;
}

/** What the running instances cost per hour, priced from the catalog the NodePool's instance types come from. */
async function hourlyCost(w: SimulatedWorld): Promise<number> {
  const types = await w.cloud.instanceTypes(nodeClassObject(CLUSTER) as unknown as EC2NodeClass);
  let sum = 0;
  for (const i of await runningInstances(w)) {
    const offering = types.find((t) => t.name === i.instanceType)!.offerings.find((o) => o.zone === i.zone && o.capacityType === i.capacityType)!;
    sum += offering.price;
  }
  return sum;
}

describe("Karpenter's metrics", () => {
  it("counts NodeClaims and nodes created, disrupted and terminated by NodePool, reason and capacity type, and the decision that disrupted them", async () => {
    const w = await world();
    const pool = { nodepool: "default" };
    const onDemand = { ...pool, capacity_type: "on-demand" };
    w.cluster.addWorkload(deployment("web", 4, "500m"));
    await settle(w);
    w.cluster.addWorkload(deployment("batch", 3, "1", ["web"]));
    await settle(w);
    const launched = (await runningInstances(w)).length;
    expect(launched).toBeGreaterThan(1);
    expect(w.telemetry.total(K.nodeClaimsCreated, { ...onDemand, reason: "provisioning" })).toBe(launched);
    expect(w.telemetry.total(K.nodesCreated, pool)).toBe(launched);
    expect(w.telemetry.total(K.nodeClaimsDisrupted)).toBe(0);
    // The provisioner's simulation: how long it took, in seconds, and how many pods waited for it.
    expect(w.telemetry.points(K.schedulingDuration).length).toBeGreaterThan(0);
    expect(w.telemetry.points(K.schedulingDuration).every((p) => p.unit === "Seconds")).toBe(true);
    expect(Math.max(...w.telemetry.points(K.schedulerQueueDepth).map((p) => p.value))).toBeGreaterThanOrEqual(3);

    w.cluster.scaleWorkload("default", "batch", 0);
    await run(w, 150_000);

    expect(w.telemetry.total(K.disruptionDecisions, { decision: "delete", reason: "Empty", consolidation_type: "empty" })).toBe(1);
    expect(w.telemetry.total(K.disruptionDecisions)).toBe(1);
    expect(w.telemetry.total(K.nodeClaimsDisrupted, { ...onDemand, reason: "Empty" })).toBe(1);
    expect(w.telemetry.total(K.nodeClaimsTerminated, onDemand)).toBe(1);
    expect(w.telemetry.total(K.nodesTerminated, pool)).toBe(1);
    // No replacement was launched for an empty node.
    expect(w.telemetry.total(K.nodeClaimsCreated)).toBe(launched);
    // The tick that decided saw one empty node it could take.
    expect(w.telemetry.points(K.disruptionEligibleNodes, { reason: "Empty" }).some((p) => p.value === 1)).toBe(true);
  });

  it("reports each NodePool's cost per hour, usage, limits, allowed disruptions and pods by phase from the consolidator's tick", async () => {
    const w = await world();
    w.cluster.addWorkload(deployment("web", 3, "1", ["web"]));
    await run(w, 180_000);
    const nodes = w.cluster.nodes();
    expect(nodes.length).toBeGreaterThan(1);

    const cost = last(w, K.nodePoolsCost, { nodepool: "default" });
    expect(cost).toBeCloseTo(await hourlyCost(w), 6);
    expect(cost).toBeGreaterThan(0);
    expect(last(w, K.nodePoolsUsage, { nodepool: "default", resource_type: "nodes" })).toBe(nodes.length);
    const cores = nodes.reduce((n, node) => n + Number(node.status?.capacity?.["cpu"] ?? 0), 0);
    expect(last(w, K.nodePoolsUsage, { nodepool: "default", resource_type: "cpu" })).toBe(cores);
    expect(last(w, K.nodePoolsLimit, { nodepool: "default", resource_type: "cpu" })).toBe(100);
    // The default budget is 10% of the NodePool's nodes, rounded up.
    expect(last(w, K.nodePoolsAllowedDisruptions, { nodepool: "default", reason: "Underutilized" })).toBe(Math.ceil(nodes.length / 10));
    expect(last(w, K.podsState, { nodepool: "default", phase: "Running" })).toBe(runningPods(w).length);
    expect(w.telemetry.points(K.nodePoolsCost).every((p) => p.unit === "None")).toBe(true);
  });
});
