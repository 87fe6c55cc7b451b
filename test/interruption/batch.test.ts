/**
 * Issue 17.8: a batch of interruption messages observes the node view once and reads records by
 * key; it never lists every Node or every record per message.
 */
import { describe, expect, it } from "vitest";
import { interruptionBatch } from "../../lib/interruption/interruption.ts";
import type { ClassifiedInterruption } from "../../lib/ports/interruption.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { simulatedWorld } from "../../lib/wiring/in-memory.ts";
import { claimContent } from "../support/records.ts";

describe("a batch of interruption messages", () => {
  it("lists the nodes at most once for the whole batch and never lists the records", async () => {
    const w = simulatedWorld({ store: createMemoryStore({ clusterName: "tenon-sim" }) });
    for (let i = 0; i < 5; i++) {
      w.cluster.addNode({ metadata: { name: `n${i}`, labels: {} }, spec: { providerID: `aws:///us-east-1a/i-${i}` }, status: { conditions: [{ type: "Ready", status: "True" }] } } as never);
      const { record } = await w.ports.store.createNodeClaim(claimContent(`default-${i}`, "Registered"), 0);
      await w.ports.store.updateNodeClaim(record.name, record.version, { ...claimContent(`default-${i}`, "Registered"), launch: { attempts: 1, instanceId: `i-${i}` } }, 0);
    }
    const calls = { listNodes: 0, listNodeClaims: 0 };
    const listNodes = w.cluster.listNodes.bind(w.cluster);
    w.cluster.listNodes = async (o) => (calls.listNodes++, listNodes(o));
    const listNodeClaims = w.ports.store.listNodeClaims.bind(w.ports.store);
    w.ports.store = { ...w.ports.store, listNodeClaims: async () => (calls.listNodeClaims++, listNodeClaims()) };
    const tagged = new Map(Array.from({ length: 5 }, (_, i) => [`i-${i}`, `default-${i}`]));
    w.ports.cloud = { ...w.ports.cloud, get: async (id: string) => ({ instanceId: id, nodeClaimName: tagged.get(id), instanceType: "m5.large", zone: "us-east-1a", capacityType: "spot" }) } as never;
    const handle = interruptionBatch(w.ports);
    const message = (i: number): ClassifiedInterruption => ({ ok: true, eventId: `e-${i}`, kind: "state-change", action: "cordon-and-drain", instanceIds: [`i-${i}`], timeMs: 0, detail: "state stopping" });
    const reports = await Promise.all([0, 1, 2, 3, 4].map((i) => handle(message(i))));
    expect(reports.flatMap((r) => r.terminating).sort()).toEqual(["n0", "n1", "n2", "n3", "n4"]);
    expect(calls).toEqual({ listNodes: 1, listNodeClaims: 0 });
  });
});
