/**
 * Events as Karpenter tells them, through the real handlers on the simulated cluster and cloud
 * with the state in DynamoDB Local: the consolidator's Unconsolidatable goes to the NodeClaim as
 * well as the Node once the NodeClaim has an object (the mirror), and to no NodeClaim before; the
 * provisioner's Nominated events pass Karpenter's rate limiter (bursts of 10), and the dedupe
 * claims keep the next run from telling the same pods again.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { LABEL_MANAGED_BY } from "../../lib/api/labels.ts";
import { NOMINATION_RATE_LIMIT, type RawObject } from "../../lib/ports/cluster.ts";
import type { JournalEntry } from "../../lib/ports/journal.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { addWebWorkload, auditPayloadForUnschedulable, callBatcher, callConsolidator, callLifecycle, CLUSTER, deliverNextMessages, provisionedWorld, useDynamoDbStores, useInstalledRuntime } from "../support/world.ts";

async function newestEntry(w: SimulatedWorld, flow: JournalEntry["flow"]): Promise<JournalEntry> {
  const entry = (await w.ports.store.listJournal({ fromMs: 0, toMs: w.ports.clock.now() }, w.ports.clock.now())).find((e) => e.flow === flow);
  if (!entry) throw new Error(`no ${flow} entry`);
  return entry;
}

describe("Karpenter's events on NodeClaims and pods", () => {
  const freshStore = useDynamoDbStores(CLUSTER);
  const install = useInstalledRuntime();

  it("tells a NodeClaim what its Node is told once the NodeClaim has an object, and none before", async () => {
    const world = await provisionedWorld(install, 3, await freshStore());
    await world.cluster.advance(60_000);
    await callConsolidator();
    const onNodes = world.cluster.events({ source: "tenon", reason: "Unconsolidatable" }).filter((e) => e.involvedObject.kind === "Node");
    expect(onNodes.length).toBeGreaterThan(0);
    expect(world.cluster.events({ source: "tenon" }).filter((e) => e.involvedObject.kind === "NodeClaim")).toEqual([]);

    // The CRD installed, the lifecycle tick mirrors; past the 15-minute dedupe, the next pass tells both.
    world.cluster.installNodeClaimCrd();
    await callLifecycle();
    await world.cluster.advance(16 * 60_000);
    await callConsolidator();
    const claimEvents = world.cluster.events({ source: "tenon", reason: "Unconsolidatable" }).filter((e) => e.involvedObject.kind === "NodeClaim");
    const objects = world.cluster.nodeClaimObjects().map((o) => o.metadata as { name: string; uid: string });
    expect(claimEvents.map((e) => e.involvedObject.name).sort()).toEqual(objects.map((o) => o.name).sort());
    for (const event of claimEvents) {
      expect(event.involvedObject).toMatchObject({ apiVersion: "karpenter.sh/v1", uid: objects.find((o) => o.name === event.involvedObject.name)!.uid });
    }
  }, 120_000);

  it("lets Nominated through Karpenter's limiter (bursts of 10, 5 a second) and does not repeat them on the next run", async () => {
    const store = await freshStore();
    const world = simulatedWorld({ clusterName: CLUSTER, store });
    addWebWorkload(world, 25);
    install(fixedRuntime(world.ports));
    await world.cluster.advance(3_000);
    await callBatcher(auditPayloadForUnschedulable(world));
    await deliverNextMessages(world);
    const nominated = () => world.cluster.events({ source: "tenon", reason: "Nominated" });
    // The bucket starts full (10) and refills at 5 a second of the run's (virtual) time.
    const told = nominated().length;
    expect(told).toBeGreaterThanOrEqual(NOMINATION_RATE_LIMIT.burst);
    expect(told).toBeLessThan(25);
    const first = await newestEntry(world, "provisioner");
    expect(first.omitted?.rateLimitedEvents).toBe(25 - told);

    // A second run a few seconds later plans the same pods on the NodeClaims in flight: every
    // pod's claim is still held (those the limiter dropped too), so no pod is told twice.
    await world.cluster.advance(5_000);
    await callBatcher(auditPayloadForUnschedulable(world));
    await deliverNextMessages(world);
    const second = await newestEntry(world, "provisioner");
    expect(second.atMs).toBeGreaterThan(first.atMs);
    expect(second.omitted?.deduplicatedEvents).toBeGreaterThan(0);
    const names = nominated().map((e) => e.involvedObject.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeLessThan(told + NOMINATION_RATE_LIMIT.burst);
  }, 120_000);

  it("tells the NodeClaim of a failed launch attempt InsufficientCapacityError when its object exists", async () => {
    const world = simulatedWorld({ clusterName: CLUSTER, store: await freshStore(), ids: { suffix: () => "aaaaa", uid: () => randomUUID() } });
    addWebWorkload(world, 1);
    world.cluster.installNodeClaimCrd();
    // The object is there already (a relaunch of a record an earlier run left Pending has one).
    await world.cluster.createNodeClaimObject({ apiVersion: "karpenter.sh/v1", kind: "NodeClaim", metadata: { name: "default-aaaaa", labels: { [LABEL_MANAGED_BY]: CLUSTER } }, spec: {} } as RawObject);
    world.simCloud!.faults.failOfferingsWhere(() => true, "InsufficientInstanceCapacity");
    install(fixedRuntime(world.ports));
    await world.cluster.advance(3_000);
    await callBatcher(auditPayloadForUnschedulable(world));
    await deliverNextMessages(world);
    const uid = (world.cluster.getNodeClaimObject("default-aaaaa")!.metadata as { uid: string }).uid;
    const ice = world.cluster.events({ source: "tenon", reason: "InsufficientCapacityError" });
    expect(ice.length).toBeGreaterThan(0);
    expect(ice.every((e) => e.involvedObject.kind === "NodeClaim" && e.involvedObject.name === "default-aaaaa" && e.involvedObject.uid === uid && e.type === "Warning")).toBe(true);
    expect(world.cluster.events({ source: "tenon", reason: "LaunchFailed" })).toHaveLength(1);
  }, 60_000);
});
