/**
 * Shadow mode through the real handlers, on the simulated cluster and cloud: the provisioner, the
 * consolidator and the lifecycle tick decide and journal exactly what a live run decides, and
 * make no write to the cluster or the cloud (every call through the ports is counted) and no
 * NodeClaim or command record.
 */
import { describe, expect, it } from "vitest";
import { terminatingContent } from "../../lib/actions/records.ts";
import type { JournalEntry } from "../../lib/ports/journal.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { addWebWorkload, auditPayloadForUnschedulable, callBatcher, callConsolidator, callLifecycle, callProvisioner, CLUSTER, deliverNextMessages, provisionedWorld, scheduledTick, useInstalledRuntime } from "../support/world.ts";

const install = useInstalledRuntime();

/** Port methods that only read; every other call is a write. */
const READS = /^(get|list|instanceTypes$|resolveNodeClass$|nodeChangesSince$|podChangesSince$|constructor$)/;

/** The cluster and cloud ports of `w`, with every write call through them counted in the returned list. */
function countWrites(w: SimulatedWorld): string[] {
  const writes: string[] = [];
  const counted = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, prop) {
        const value = Reflect.get(t, prop, t) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (!READS.test(String(prop))) writes.push(String(prop));
          return (value as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });
  w.ports.cluster = counted(w.ports.cluster);
  w.ports.cloud = counted(w.ports.cloud);
  return writes;
}

async function newestEntry(w: SimulatedWorld, flow: JournalEntry["flow"]): Promise<JournalEntry> {
  const entries = await w.ports.store.listJournal({ fromMs: 0, toMs: w.ports.clock.now() }, w.ports.clock.now());
  const entry = entries.find((e) => e.flow === flow);
  if (!entry) throw new Error(`no ${flow} entry in the journal`);
  return entry;
}

/** An entry's actions with the random or time-made parts of names (NodeClaim suffixes, command ids, uids) masked, to compare two runs. */
function decided(entry: JournalEntry, leave: (kind: string) => boolean = () => false): string[] {
  const mask = (text: string) => text.replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "<uid>").replace(/disruption command \S+/g, "disruption command <id>").replace(/\b([a-z0-9]+)-[a-z]{5}\b/g, "$1-<x>");
  return entry.actions.filter((a) => !leave(a.kind)).map((a) => mask(`${a.kind} | ${a.target} | ${a.reason}`));
}

describe("shadow mode", () => {
  it("provisioner: journals the NodeClaims it would launch and writes nothing to the cluster, the cloud or the records", async () => {
    const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
    addWebWorkload(w, 6);
    const writes = countWrites(w);
    w.ports.mode = "shadow";
    install(fixedRuntime(w.ports));
    await w.cluster.advance(3_000);
    await callBatcher(auditPayloadForUnschedulable(w));
    await deliverNextMessages(w);

    expect(writes).toEqual([]);
    expect(await w.ports.store.listNodeClaims()).toEqual([]);
    expect(await w.cloud.list()).toEqual([]);
    const shadow = await newestEntry(w, "provisioner");
    expect(shadow.mode).toBe("shadow");
    expect(shadow.actions.map((a) => a.kind)).toEqual(expect.arrayContaining(["write-nodeclaim", "launch-nodeclaim"]));
    expect(shadow.actions.every((a) => a.outcome === "recorded")).toBe(true);
    expect(shadow.groups).toEqual([expect.objectContaining({ namespace: "default", owner: expect.stringMatching(/^ReplicaSet\/web-/), pods: 6, placed: [expect.objectContaining({ new: true, pods: 6 })] })]);
    expect(shadow.nodeClaims?.[0]).toMatchObject({ nodePool: "default", pods: 6, pricePerHour: expect.any(Number) });
    expect(shadow.omitted?.podEvents).toBe(6);

    // The same world, live, at the same moment: the same decision, and this time it acts.
    w.ports.mode = "live";
    await w.cluster.advance(1_000);
    await callProvisioner(scheduledTick);
    const live = await newestEntry(w, "provisioner");
    expect(live.mode).toBe("live");
    expect(decided(live)).toEqual(decided(shadow));
    expect(writes).toContain("create");
    expect(await w.ports.store.listNodeClaims()).toHaveLength(shadow.nodeClaims!.length);
  });

  it("consolidator: journals the command it would start and neither taints, evicts, launches nor writes the command", async () => {
    const w = await provisionedWorld(install, 4);
    w.cluster.scaleWorkload("default", "web", 0);
    await w.cluster.advance(30_000);
    const writes = countWrites(w);
    const nodes = w.cluster.nodes().map((n) => n.metadata.name).sort();
    w.ports.mode = "shadow";
    await callConsolidator();

    expect(writes).toEqual([]);
    expect(await w.ports.store.listDisruptionCommands()).toEqual([]);
    expect(w.cluster.nodes().map((n) => n.metadata.name).sort()).toEqual(nodes);
    const shadow = await newestEntry(w, "consolidation");
    expect(shadow.actions.find((a) => a.kind === "write-command")).toMatchObject({ outcome: "recorded", detail: expect.stringMatching(/^delete .*\(Empty, emptiness, saves /) });

    w.ports.mode = "live";
    await w.cluster.advance(1_000);
    await callConsolidator();
    const live = await newestEntry(w, "consolidation");
    expect(decided(live)).toEqual(decided(shadow));
    expect((await w.ports.store.listDisruptionCommands()).map((c) => c.reason)).toEqual(["Empty"]);
  });

  it("lifecycle: journals the drain of a NodeClaim marked for deletion and performs none of it", async () => {
    const w = await provisionedWorld(install, 2);
    const [record] = await w.ports.store.listNodeClaims();
    await w.ports.store.updateNodeClaim(record!.name, record!.version, terminatingContent(record!, "Deleted", "deleted by the test", w.ports.clock.now()), w.ports.clock.now());
    const writes = countWrites(w);
    const node = record!.nodeClaim.status!.nodeName!;
    w.ports.mode = "shadow";
    await w.cluster.advance(1_000);
    await callLifecycle();

    expect(writes).toEqual([]);
    expect(w.cluster.node(node)?.spec.taints ?? []).not.toContainEqual(expect.objectContaining({ key: "karpenter.sh/disrupted" }));
    expect(w.cluster.node(node)?.metadata.deletionTimestamp).toBeUndefined();
    const shadow = await newestEntry(w, "lifecycle");
    expect(shadow.actions.some((a) => a.target.includes(`Node ${node}`) && a.outcome === "recorded")).toBe(true);

    w.ports.mode = "live";
    await w.cluster.advance(1_000);
    await callLifecycle();
    const live = await newestEntry(w, "lifecycle");
    // The clean-up lease the shadow tick took keeps the live tick from cleaning up: compare the rest.
    const cleanUp = (kind: string) => kind === "delete-launch-templates" || kind === "delete-instance-profiles";
    expect(decided(live, cleanUp)).toEqual(decided(shadow, cleanUp));
    expect(writes.length).toBeGreaterThan(0);
  });
});
