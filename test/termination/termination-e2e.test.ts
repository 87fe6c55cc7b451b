/**
 * `kubectl delete node` end to end through the real lifecycle handler, on the in-memory cluster
 * and cloud: the Node Tenon holds is tainted and drained under a PodDisruptionBudget, its instance
 * terminated, its finalizer removed and its record deleted; a tick dying mid-drain is resumed by
 * the next.
 */
import { describe, expect, it } from "vitest";
import type { LifecycleReport } from "../../lib/lifecycle/lifecycle.ts";
import { auditPayloadForUnschedulable, callBatcher, callLifecycle, deliverNextMessages, provisionedWorld, runningPods, useInstalledRuntime } from "../support/world.ts";

const install = useInstalledRuntime();

const provisioned = (replicas: number) => provisionedWorld(install, replicas);

describe("termination through the lifecycle tick", () => {
  it("drains a deleted Node under its PDB, terminates the instance, then drops the finalizer and the record, resuming after a crash", async () => {
    const w = await provisioned(6);
    // At most one web pod down at a time.
    w.cluster.addPodDisruptionBudget({ metadata: { name: "web", namespace: "default" }, spec: { selector: { matchLabels: { app: "web" } }, maxUnavailable: 1 } });
    const node = w.cluster.nodes().sort((a, b) => runningPods(w).filter((p) => p.spec.nodeName === b.metadata.name).length - runningPods(w).filter((p) => p.spec.nodeName === a.metadata.name).length)[0]!;
    const name = node.metadata.name;
    const onNode = runningPods(w).filter((p) => p.spec.nodeName === name).map((p) => p.metadata.name);
    expect(onNode.length).toBeGreaterThan(1);
    const instanceId = node.spec.providerID!.split("/").pop()!;
    const [record] = (await w.ports.store.listNodeClaims()).filter((r) => r.nodeClaim.status?.providerID === node.spec.providerID);
    expect(record).toBeDefined();

    // kubectl delete node: the finalizer keeps it, marked for deletion.
    expect(await w.cluster.deleteNode(name)).toBe("deleted");
    expect(w.cluster.node(name)?.metadata.deletionTimestamp).toBeDefined();

    // The second eviction of the first drain tick dies, as a Lambda would.
    const evict = w.cluster.evictPod.bind(w.cluster);
    let evictions = 0;
    let refused = 0;
    w.cluster.evictPod = async (namespace: string, pod: string) => {
      if (++evictions === 2) throw new Error("Lambda timed out mid-drain");
      const result = await evict(namespace, pod);
      if (result.outcome === "blocked") refused++;
      return result;
    };
    await expect(callLifecycle()).rejects.toThrow(/mid-drain/);
    expect(w.cluster.node(name)?.spec.taints).toContainEqual(expect.objectContaining({ key: "karpenter.sh/disrupted", effect: "NoSchedule" }));
    expect((await w.cloud.list()).find((i) => i.instanceId === instanceId)?.state).toBe("running");

    const reports: LifecycleReport[] = [];
    for (let tick = 0; tick < 90 && w.cluster.node(name); tick++) {
      await w.cluster.advance(10_000);
      // Evicted pods' replacements get capacity the usual way (batcher, provisioner).
      const unschedulable = auditPayloadForUnschedulable(w);
      if (unschedulable) await callBatcher(unschedulable);
      if (w.queue.pending().length > 0) await deliverNextMessages(w);
      reports.push((await callLifecycle()) as LifecycleReport);
      // The PDB holds throughout: never more than one web pod missing.
      expect(w.cluster.pods().filter((p) => p.metadata.labels?.app === "web" && p.status?.phase === "Running").length).toBeGreaterThanOrEqual(5);
    }
    expect(w.cluster.node(name)).toBeUndefined();
    expect(refused).toBeGreaterThan(0);
    // Every pod that was on it was evicted; replacements run elsewhere.
    for (const pod of onNode) expect(w.cluster.pod("default", pod)).toBeUndefined();
    expect(["shutting-down", "terminated", undefined]).toContain((await w.cloud.list()).find((i) => i.instanceId === instanceId)?.state);
    expect((await w.ports.store.listNodeClaims()).map((r) => r.name)).not.toContain(record!.name);
    expect(reports.flatMap((r) => r.termination?.instancesTerminated ?? [])).toEqual([instanceId]);
    // Instance termination came only after the last pod had gone.
    const terminatedAt = reports.findIndex((r) => (r.termination?.instancesTerminated ?? []).length > 0);
    expect(reports.slice(0, terminatedAt).some((r) => (r.termination?.evictionsRequested ?? 0) > 0)).toBe(true);
    expect(reports.slice(terminatedAt).every((r) => (r.termination?.evictionsRequested ?? 0) === 0)).toBe(true);
  });
});
