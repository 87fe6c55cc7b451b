import { describe, expect, it } from "vitest";
import { ClusterStateKeeper } from "../../lib/cluster-state/keeper.ts";
import { decodeSnapshot } from "../../lib/cluster-state/snapshot.ts";
import { runLifecycle } from "../../lib/lifecycle/lifecycle.ts";
import { simulatedWorld } from "../../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { podRequesting, readyNode } from "../support/in-memory-cluster.ts";

async function publishedPods(store: ReturnType<typeof createMemoryStore>): Promise<string[] | undefined> {
  const state = await store.getClusterState();
  if (!state) return undefined;
  const decoded = decodeSnapshot(state);
  if ("problem" in decoded) throw new Error(decoded.problem);
  return decoded.summaries().map((s) => s.name);
}

function world(publishMs: number) {
  const store = createMemoryStore();
  const w = simulatedWorld({ store, settings: { clusterStatePublishMs: publishMs } });
  w.cluster.addNode(readyNode("node-a"));
  w.cluster.addPod(podRequesting("a", "100m", { nodeName: "node-a" }));
  let lists = 0;
  const list = w.cluster.listActivePods.bind(w.cluster);
  w.cluster.listActivePods = (options) => (lists++, list(options));
  return { store, w, lists: () => lists };
}

describe("the lifecycle tick publishes the cluster state", () => {
  it("never lists every pod: with no snapshot to start from it publishes nothing", async () => {
    const { store, w, lists } = world(60_000);
    await runLifecycle(w.ports);
    expect(lists()).toBe(0);
    expect(await publishedPods(store)).toBeUndefined();
  });

  it("brings the provisioner's snapshot forward, and again only once the publish interval has passed", async () => {
    const { store, w, lists } = world(120_000);
    // The provisioner's first run lists and publishes.
    await new ClusterStateKeeper().current(w.ports, w.ports.clock.now());
    w.cluster.addPod(podRequesting("b", "100m", { nodeName: "node-a" }));
    await runLifecycle(w.ports);
    expect(await publishedPods(store)).toEqual(["a", "b"]);

    w.cluster.addPod(podRequesting("c", "100m", { nodeName: "node-a" }));
    await w.cluster.advance(60_000);
    await runLifecycle(w.ports);
    expect(await publishedPods(store)).toEqual(["a", "b"]);

    await w.cluster.advance(60_000);
    await runLifecycle(w.ports);
    expect(await publishedPods(store)).toEqual(["a", "b", "c"]);
    expect(lists()).toBe(1);
  });
});
