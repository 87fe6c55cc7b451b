import { describe, expect, it } from "vitest";
import { ClusterStateKeeper } from "../../lib/cluster-state/keeper.ts";
import { observe } from "../../lib/observe/observe.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { readyNode } from "../support/in-memory-cluster.ts";

function countNodeLists(w: SimulatedWorld): { lists: number } {
  const counter = { lists: 0 };
  const list = w.cluster.listNodes.bind(w.cluster);
  w.cluster.listNodes = (options) => {
    counter.lists++;
    return list(options);
  };
  return counter;
}

const names = (nodes: ReadonlyArray<{ metadata: { name: string } }>) => nodes.map((n) => n.metadata.name);

describe("observe takes nodes from the cluster-state cache", () => {
  it("lists nodes once per container; a warm run replays node changes instead", async () => {
    const w = simulatedWorld({ store: createMemoryStore() });
    const counter = countNodeLists(w);
    w.cluster.addNode(readyNode("a"));
    w.cluster.addNode(readyNode("b"));
    const first = await observe(w.ports, w.ports.clock.now());
    expect(first.nodeState).toMatchObject({ source: "list", nodes: 2 });
    expect(names(first.nodes)).toEqual(["a", "b"]);

    w.cluster.addNode(readyNode("c"));
    await w.cluster.patchNodeMetadata("a", { labels: { team: "x" } });
    await w.cluster.deleteNode("b");
    const second = await observe(w.ports, w.ports.clock.now());
    expect(counter.lists).toBe(1);
    expect(second.nodeState).toMatchObject({ source: "memory", changes: 3, nodes: 2 });
    expect(names(second.nodes)).toEqual(["a", "c"]);
    expect(second.nodes[0]!.metadata.labels).toMatchObject({ team: "x" });
  });

  it("a container with its own keeper keeps its own node view (and lists once)", async () => {
    const w = simulatedWorld({ store: createMemoryStore() });
    w.cluster.addNode(readyNode("a"));
    await observe(w.ports, w.ports.clock.now());
    const counter = countNodeLists(w);
    const other = { ...w.ports, clusterState: new ClusterStateKeeper() };
    const cold = await observe(other, w.ports.clock.now());
    expect(counter.lists).toBe(1);
    expect(names(cold.nodes)).toEqual(["a"]);
  });

  it("the cache the keeper publishes from carries the node view observe brought current", async () => {
    const w = simulatedWorld({ store: createMemoryStore() });
    w.cluster.addNode(readyNode("a"));
    const keeper = w.ports.clusterState!;
    const warm = await observe(w.ports, w.ports.clock.now());
    // The cache the keeper holds carries the node view observe brought current.
    const cached = await keeper.current(w.ports, w.ports.clock.now());
    expect(cached.cache.nodes?.nodes()).toEqual(warm.nodes);
  });

  it("a cold container starts its node view from the snapshot the lifecycle published, and lists no nodes", async () => {
    const w = simulatedWorld({ store: createMemoryStore() });
    w.cluster.addNode(readyNode("a"));
    // The lifecycle's publish brings its own node view current and puts it in the snapshot.
    expect((await w.ports.clusterState!.publish(w.ports, w.ports.clock.now())).published).toBe(false); // the first one relists pods
    w.cluster.addNode(readyNode("b"));
    expect((await w.ports.clusterState!.publish(w.ports, w.ports.clock.now())).published).toBe(true);
    w.cluster.addNode(readyNode("c"));

    const counter = countNodeLists(w);
    const { clusterState: _warm, ...coldPorts } = w.ports;
    const cold = await observe(coldPorts, w.ports.clock.now());
    expect(counter.lists).toBe(0);
    expect(cold.nodeState).toMatchObject({ source: "snapshot", changes: 1, nodes: 3 });
    expect(names(cold.nodes)).toEqual(["a", "b", "c"]);
  });
});
