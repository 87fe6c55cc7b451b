/**
 * The one executor, on the in-memory cluster and store: units end at a conflict, a lost lease stops
 * the list and withdraws what it wrote, re-applying a list is harmless; and the recorder applies
 * nothing, which is what shadow mode and the decision journal rely on.
 */
import { describe, expect, it } from "vitest";
import type { Action } from "../../lib/actions/actions.ts";
import { PortExecutor, RecordingExecutor } from "../../lib/actions/executor.ts";
import { runLifecycle } from "../../lib/lifecycle/lifecycle.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { simulatedWorld } from "../../lib/wiring/in-memory.ts";
import { claimContent } from "../support/records.ts";

function world() {
  const w = simulatedWorld({ store: createMemoryStore({ clusterName: "tenon-sim" }) });
  w.cluster.addNode({ metadata: { name: "n1", labels: {} }, spec: { providerID: "aws:///us-east-1a/i-1" }, status: { conditions: [{ type: "Ready", status: "True" }] } } as never);
  return w;
}

describe("the executor", () => {
  it("skips the rest of a unit whose record write conflicts, and goes on with the next unit", async () => {
    const w = world();
    const { record } = await w.ports.store.createNodeClaim(claimContent("default-aaaaa", "Launched"), 0);
    const stale = { ...record, version: record.version + 5 };
    const actions: Action[] = [
      { kind: "update-nodeclaim", record: stale, content: claimContent("default-aaaaa", "Registered"), reason: "test", unit: "a" },
      { kind: "cordon-node", node: "n1", reason: "test", unit: "a" },
      { kind: "label-node", node: "n1", labels: { team: "x" }, reason: "test", unit: "b" },
    ];
    const applied = await new PortExecutor(w.ports).execute(actions);
    expect(applied.map((a) => a.outcome.status)).toEqual(["conflict", "skipped", "done"]);
    expect(w.cluster.node("n1")!.spec.unschedulable).toBeFalsy();
    expect(w.cluster.node("n1")!.metadata.labels).toMatchObject({ team: "x" });
  });

  it("stops at a lease it no longer holds and withdraws the records the list wrote", async () => {
    const w = world();
    const held = await w.ports.store.acquireLease("provisioner", "run-1", 60_000, 0);
    const actions: Action[] = [
      { kind: "write-nodeclaim", content: claimContent("default-aaaaa"), reason: "test" },
      { kind: "renew-lease", lease: "provisioner", holder: "run-1", token: held!.token + 1, ttlMs: 60_000, withdraw: true, reason: "test" },
      { kind: "cordon-node", node: "n1", reason: "test" },
    ];
    const applied = await new PortExecutor(w.ports).execute(actions);
    expect(applied.map((a) => a.outcome.status)).toEqual(["done", "skipped", "skipped"]);
    expect(await w.ports.store.listNodeClaims()).toEqual([]);
    expect(w.cluster.node("n1")!.spec.unschedulable).toBeFalsy();
  });

  it("applies a cordon and a taint twice without a second taint", async () => {
    const w = world();
    const actions: Action[] = [
      { kind: "cordon-node", node: "n1", reason: "test" },
      { kind: "taint-node", node: "n1", taint: { key: "karpenter.sh/disrupted", effect: "NoSchedule" }, reason: "test" },
    ];
    await new PortExecutor(w.ports).execute(actions);
    await new PortExecutor(w.ports).execute(actions);
    expect(w.cluster.node("n1")!.spec.taints).toEqual([{ key: "karpenter.sh/disrupted", effect: "NoSchedule" }]);
  });

  it("as a recorder, keeps the lifecycle tick's decision and changes nothing, clean-up included", async () => {
    const w = world();
    const deletions: string[] = [];
    w.cloud.cleanupLaunchTemplates = async () => (deletions.push("templates"), []);
    w.cloud.cleanupInstanceProfiles = async () => (deletions.push("profiles"), []);
    const { record } = await w.ports.store.createNodeClaim(claimContent("default-aaaaa", "Launched"), 0);
    await w.ports.store.updateNodeClaim(record.name, record.version, { ...claimContent("default-aaaaa", "Launched"), nodeClaim: { ...claimContent("default-aaaaa").nodeClaim, status: { providerID: "aws:///us-east-1a/i-1" } } }, 0);
    const recorder = new RecordingExecutor();
    const report = await runLifecycle(w.ports, recorder);
    // No instance i-1 exists in the cloud: the tick decides to remove the record and its Node.
    expect(recorder.recorded.filter((a) => a.unit === "remove-vanished:default-aaaaa").map((a) => a.kind)).toEqual(["remove-node-finalizer", "delete-node", "delete-nodeclaim"]);
    expect(report.forgotten).toEqual([]);
    expect(w.cluster.node("n1")).toBeDefined();
    expect((await w.ports.store.getNodeClaim("default-aaaaa"))!.phase).toBe("Launched");
    expect(recorder.recorded.map((a) => a.kind)).toEqual(expect.arrayContaining(["delete-launch-templates", "delete-instance-profiles", "publish-cluster-state"]));
    expect(deletions).toEqual([]);
  });
});
