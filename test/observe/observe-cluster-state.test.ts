import { describe, expect, it } from "vitest";
import { observe } from "../../lib/observe/observe.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { podRequesting, readyNode } from "../support/in-memory-cluster.ts";

function countListing(w: SimulatedWorld): { lists: number } {
  const counter = { lists: 0 };
  const list = w.cluster.listActivePods.bind(w.cluster);
  w.cluster.listActivePods = (options) => {
    counter.lists++;
    return list(options);
  };
  return counter;
}

const names = (pods: ReadonlyArray<{ metadata: { name: string } }>) => pods.map((p) => p.metadata.name).sort();

describe("observe with the cluster-state cache", () => {
  it("a warm run lists no pods: it replays the changes and sees new and deleted bound pods", async () => {
    const w = simulatedWorld({ store: createMemoryStore() });
    const counter = countListing(w);
    w.cluster.addNode(readyNode("node-a"));
    w.cluster.addPod(podRequesting("old", "100m", { nodeName: "node-a" }));
    w.cluster.addPod(podRequesting("gone", "100m", { nodeName: "node-a" }));
    const first = await observe(w.ports, w.ports.clock.now());
    expect(first.clusterState.source).toBe("list");
    expect(names(first.boundPods)).toEqual(["gone", "old"]);

    w.cluster.deletePod("default", "gone");
    w.cluster.addPod(podRequesting("new", "100m", { nodeName: "node-a" }));
    const second = await observe(w.ports, w.ports.clock.now());
    expect(counter.lists).toBe(1);
    expect(second.clusterState).toMatchObject({ source: "memory", changes: 2 });
    expect(names(second.boundPods)).toEqual(["new", "old"]);
  });

  it("a pod bound between the pending read and the catch-up is counted once, where it is bound", async () => {
    const w = simulatedWorld({ store: createMemoryStore() });
    w.cluster.addPod(podRequesting("waiting", "500m"));
    await w.cluster.advance(2_000);
    expect(w.cluster.pod("default", "waiting")?.status?.conditions?.some((c) => c.reason === "Unschedulable")).toBe(true);

    const readPending = w.cluster.listPendingPods.bind(w.cluster);
    w.cluster.listPendingPods = async (options) => {
      const page = await readPending(options);
      // Capacity appears and kube-scheduler binds the pod right after our read.
      w.cluster.addNode(readyNode("node-a"));
      await w.cluster.advance(2_000);
      return page;
    };
    const observation = await observe(w.ports, w.ports.clock.now());
    expect(w.cluster.pod("default", "waiting")?.spec.nodeName).toBe("node-a");
    expect(names(observation.provisionablePods)).toEqual([]);
    expect(names(observation.boundPods)).toEqual(["waiting"]);
  });

  it("a cold container starts from the snapshot the lifecycle tick published", async () => {
    const store = createMemoryStore();
    const w = simulatedWorld({ store });
    w.cluster.addNode(readyNode("node-a"));
    w.cluster.addPod(podRequesting("a", "100m", { nodeName: "node-a" }));
    await w.ports.clusterState!.publish(w.ports, w.ports.clock.now());
    w.cluster.addPod(podRequesting("b", "100m", { nodeName: "node-a" }));

    const counter = countListing(w);
    const { clusterState: _warm, ...coldPorts } = w.ports;
    const observation = await observe(coldPorts, w.ports.clock.now());
    expect(counter.lists).toBe(0);
    expect(observation.clusterState).toMatchObject({ source: "snapshot", changes: 1 });
    expect(names(observation.boundPods)).toEqual(["a", "b"]);
  });
});
