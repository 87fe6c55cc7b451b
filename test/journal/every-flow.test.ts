/**
 * Every run of every flow writes one journal entry through its real handler: the provisioner, each
 * lifecycle tick, the consolidator, the drift checker, and each interruption message (live mode,
 * simulated cluster and cloud, in-memory store).
 */
import { describe, expect, it } from "vitest";
import { simulatedInterruptionEvent } from "../../lib/cloud/in-memory/events.ts";
import type { JournalEntry } from "../../lib/ports/journal.ts";
import type { SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { callConsolidator, callDrift, callInterruption, callLifecycle, provisionedWorld, useInstalledRuntime } from "../support/world.ts";

const install = useInstalledRuntime();

async function journal(w: SimulatedWorld): Promise<JournalEntry[]> {
  return w.ports.store.listJournal({ fromMs: 0, toMs: w.ports.clock.now(), limit: 1_000 }, w.ports.clock.now());
}

function perFlow(entries: readonly JournalEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) out[e.flow] = (out[e.flow] ?? 0) + 1;
  return out;
}

describe("the journal", () => {
  it("gets one entry per run of every flow, naming what it acted on", async () => {
    const w = await provisionedWorld(install, 3);
    // provisionedWorld: one provisioner run, then two minutes of lifecycle ticks every 10 s.
    expect(perFlow(await journal(w))).toEqual({ provisioner: 1, lifecycle: 12 });
    const [provisioned] = (await journal(w)).filter((e) => e.flow === "provisioner");
    expect(provisioned!.summary).toMatch(/^batch window closed, 1 NodeClaim\(s\) created, 1 launched, 0 failed, 0 pod\(s\) unschedulable$/);
    expect(provisioned!.actions.filter((a) => a.kind === "launch-nodeclaim").map((a) => a.detail)).toEqual(["launched"]);

    await w.cluster.advance(1_000);
    await callLifecycle();
    await callConsolidator();
    await callDrift();
    const [node] = w.cluster.nodes();
    const instanceId = node!.spec.providerID!.split("/").pop()!;
    await callInterruption([{ id: "m-1", body: simulatedInterruptionEvent("spot-interruption", instanceId, w.ports.clock) }]);

    const entries = await journal(w);
    expect(perFlow(entries)).toEqual({ provisioner: 1, lifecycle: 13, consolidation: 1, drift: 1, interruption: 1 });
    const interruption = entries.find((e) => e.flow === "interruption")!;
    expect(interruption.trigger).toMatch(/^spot-interruption /);
    expect(interruption.summary).toBe(`1 node(s) put on the termination path: ${node!.metadata.name}`);
    expect(interruption.actions).toContainEqual(expect.objectContaining({ kind: "taint-node", target: expect.stringContaining(node!.metadata.name), outcome: "done" }));
    const about = await w.ports.store.listJournal({ fromMs: 0, toMs: w.ports.clock.now(), subject: { kind: "node", name: node!.metadata.name } }, w.ports.clock.now());
    expect(about.map((e) => e.flow)).toContain("interruption");
  });
});
