/**
 * The interruption handler on a simulated cluster: what it leaves behind for a Node Tenon launched,
 * and what duplicated messages (one after the other, or at the same time) add: nothing.
 */
import { describe, expect, it } from "vitest";
import type { Pod } from "../../lib/api/kubernetes.ts";
import { handleInterruption, interruptionBatch } from "../../lib/interruption/interruption.ts";
import type { ClassifiedInterruption } from "../../lib/ports/interruption.ts";
import { cloudInstance, interruptedWorld } from "../support/interruption.ts";

const spot = cloudInstance("i-0aa", "spot");
const warning: ClassifiedInterruption = {
  ok: true, eventId: "e-1", kind: "spot-interruption", action: "mark-unavailable+cordon-and-drain", instanceIds: ["i-0aa"], timeMs: 0, detail: "instance-action terminate",
};
const web = (name: string): Pod => ({
  metadata: { name, namespace: "default", labels: { app: "web" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web" }] },
  spec: { nodeName: "node-i-0aa", containers: [{ name: "app" }] },
});

async function world() {
  const w = await interruptedWorld([spot]);
  for (const name of ["web-1", "web-2"]) w.cluster.addPod(web(name));
  return w;
}

/** Everything the handler may change, to compare before and after a duplicate. */
async function state(w: Awaited<ReturnType<typeof world>>) {
  return {
    events: w.cluster.events({ source: "tenon" }).length,
    queued: w.queue.history().length,
    record: (await w.ports.store.getNodeClaim("nc-i-0aa"))?.version,
    node: w.cluster.node("node-i-0aa"),
    pods: w.cluster.pods().map((p) => p.metadata.name).sort(),
  };
}

describe("the interruption handler", () => {
  it("starts the termination, wakes the provisioner and evicts the first pods; a redelivered message adds nothing", async () => {
    const w = await world();
    const report = await handleInterruption(w.ports, warning);
    expect(report).toMatchObject({ terminating: ["node-i-0aa"], evictionsRequested: 2, wokeProvisioner: true, markedUnavailable: 1 });
    expect((await w.ports.store.getNodeClaim("nc-i-0aa"))?.phase).toBe("Terminating");
    expect(w.cluster.node("node-i-0aa")?.metadata.deletionTimestamp).toBeDefined();
    expect(w.cluster.pods()).toEqual([]);
    expect(w.queue.history().map((m) => [m.message.reason, m.dueAtMs])).toEqual([["interruption", w.ports.clock.now()]]);

    const before = await state(w);
    const again = await handleInterruption(w.ports, warning);
    expect(again).toMatchObject({ terminating: [], evictionsRequested: 0, wokeProvisioner: false });
    expect(await state(w)).toEqual(before);
  });

  it("handles the same message twice at once (one SQS batch) as once: one termination, one set of Events, one wake-up", async () => {
    const w = await world();
    // The API server is slow to delete the Node: the second handler looks again before it is marked.
    const remove = w.cluster.deleteNode.bind(w.cluster);
    w.cluster.deleteNode = async (name) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return remove(name);
    };
    const handle = interruptionBatch(w.ports);
    const reports = await Promise.all([handle(warning), handle({ ...warning, eventId: "e-1-copy" })]);
    expect(reports.flatMap((r) => r.terminating)).toEqual(["node-i-0aa"]);
    expect(w.cluster.events({ source: "tenon", reason: "TerminatingOnInterruption" })).toHaveLength(1);
    expect(w.cluster.events({ source: "tenon", reason: "SpotInterrupted" })).toHaveLength(1);
    expect(w.queue.history()).toHaveLength(1);
  });
});
