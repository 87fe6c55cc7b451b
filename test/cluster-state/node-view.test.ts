import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterStateCache } from "../../lib/cluster-state/cache.ts";
import { listEveryNode, NodeState, NodeView } from "../../lib/cluster-state/nodes.ts";
import { decodeSnapshot, encodeSnapshot } from "../../lib/cluster-state/snapshot.ts";
import type { SimulatedCluster } from "../../lib/cluster/in-memory/in-memory-cluster.ts";
import { updateNodeTaints } from "../../lib/ports/cluster.ts";
import { readyNode, simulatedCluster } from "../support/in-memory-cluster.ts";

function countNodeLists(sim: SimulatedCluster): { lists: number } {
  const counter = { lists: 0 };
  const list = sim.listNodes.bind(sim);
  sim.listNodes = (options) => {
    counter.lists++;
    return list(options);
  };
  return counter;
}

const names = (nodes: ReadonlyArray<{ metadata: { name: string } }>) => nodes.map((n) => n.metadata.name);

describe("node view", () => {
  it("a warm state replays node changes without listing: new, relabelled, tainted and deleted nodes", async () => {
    const sim = simulatedCluster();
    const counter = countNodeLists(sim);
    sim.addNode(readyNode("a"));
    sim.addNode(readyNode("b"));
    const state = new NodeState();
    const first = await state.current({ cluster: sim });
    expect(first.report).toMatchObject({ source: "list", changes: 0, nodes: 2 });

    sim.addNode(readyNode("c"));
    await sim.patchNodeMetadata("a", { labels: { team: "x" } });
    await updateNodeTaints(sim, "b", () => [{ key: "k", effect: "NoSchedule" }]);
    await sim.deleteNode("c");
    const second = await state.current({ cluster: sim });
    expect(counter.lists).toBe(1);
    expect(second.report).toMatchObject({ source: "memory", changes: 4, nodes: 2 });
    expect(second.view.nodes()).toEqual((await listEveryNode(sim)).nodes);
  });

  it("a cold state starts from the snapshot's node view and replays what changed since", async () => {
    const sim = simulatedCluster();
    sim.addNode(readyNode("a"));
    const published = NodeView.fromSnapshot(JSON.parse(JSON.stringify((await new NodeState().current({ cluster: sim })).view.toSnapshot())));
    if (!(published instanceof NodeView)) throw new Error(published.problem);
    sim.addNode(readyNode("b"));
    const counter = countNodeLists(sim);
    const cold = await new NodeState().current({ cluster: sim }, async () => published);
    expect(counter.lists).toBe(0);
    expect(cold.report).toMatchObject({ source: "snapshot", changes: 1, nodes: 2 });
    expect(names(cold.view.nodes())).toEqual(["a", "b"]);
  });

  it("lists once when the history has expired, and says why", async () => {
    const sim = simulatedCluster();
    sim.addNode(readyNode("a"));
    const state = new NodeState();
    const { view } = await state.current({ cluster: sim });
    sim.addNode(readyNode("b"));
    sim.compactNodeHistory();
    const counter = countNodeLists(sim);
    // The expired view itself offered as the seed is not replayed a second time.
    const again = await state.current({ cluster: sim }, async () => view);
    expect(counter.lists).toBe(1);
    expect(again.report.source).toBe("list");
    expect(again.report.fellBackBecause).toMatch(/node history after resourceVersion \d+ has expired/);
    expect(names(again.view.nodes())).toEqual(["a", "b"]);
  });

  it("the snapshot carries the cache's node view after the pod chunks, and one without a node view still decodes", () => {
    const cache = ClusterStateCache.fromSummaries([{ namespace: "default", name: "p", node: "a" }], "10");
    const plain = decodeSnapshot({ generation: 10, entries: encodeSnapshot(cache) } as never);
    expect(plain instanceof ClusterStateCache && plain.nodes).toBeUndefined();

    cache.nodes = NodeView.fromNodes([readyNode("a"), readyNode("b")], "7");
    const entries = encodeSnapshot(cache);
    expect(entries[0]).toMatchObject({ chunks: 1, nodeChunks: 1 });
    const decoded = decodeSnapshot({ generation: 10, entries } as never);
    if (!(decoded instanceof ClusterStateCache)) throw new Error(decoded.problem);
    expect(decoded.summaries()).toEqual(cache.summaries());
    expect(decoded.nodes?.resourceVersion).toBe("7");
    expect(decoded.nodes?.nodes()).toEqual([readyNode("a"), readyNode("b")]);

    expect(decodeSnapshot({ generation: 10, entries: [entries[0], entries[1], "not gzip"] } as never)).toMatchObject({ problem: expect.stringMatching(/^the node view does not decode/) });
    expect(decodeSnapshot({ generation: 10, entries: entries.slice(0, 2) } as never)).toEqual({ problem: "expected 1 chunks and 1 node chunks, found 1" });
  });

  it("a stored node view that is not one is a problem, not a crash", () => {
    expect(NodeView.fromSnapshot(null)).toEqual({ problem: "the node snapshot is not an object" });
    expect(NodeView.fromSnapshot({ resourceVersion: "5", nodes: [{ metadata: {}, spec: {} }] })).toEqual({ problem: "node 0: metadata.name is not a non-empty string" });
  });

  it("after any sequence of node add/label/taint/delete, the view equals a fresh full list (property)", async () => {
    const id = fc.integer({ min: 0, max: 5 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), id }),
      fc.record({ kind: fc.constant("label" as const), id, value: fc.constantFrom("a", "b", null) }),
      fc.record({ kind: fc.constant("taint" as const), id, on: fc.boolean() }),
      fc.record({ kind: fc.constant("delete" as const), id }),
      fc.record({ kind: fc.constant("catch-up" as const) }),
      fc.record({ kind: fc.constant("publish" as const) }),
      fc.record({ kind: fc.constant("cold-start" as const) }),
      fc.record({ kind: fc.constant("compact" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const sim = simulatedCluster();
        let state = new NodeState();
        let published: NodeView | undefined;
        const seed = async () => published && (NodeView.fromSnapshot(JSON.parse(JSON.stringify(published.toSnapshot()))) as NodeView);
        const check = async () => {
          const { view } = await state.current({ cluster: sim }, seed);
          expect(view.nodes()).toEqual((await listEveryNode(sim)).nodes);
          return view;
        };
        for (const o of [...ops, { kind: "catch-up" as const }]) {
          const name = `n${"id" in o ? o.id : 0}`;
          if (o.kind === "add") {
            if (!(await sim.getNode(name))) sim.addNode(readyNode(name));
          } else if (o.kind === "label") await sim.patchNodeMetadata(name, { labels: { team: o.value } });
          else if (o.kind === "taint") await updateNodeTaints(sim, name, (t) => (o.on ? [...t.filter((x) => x.key !== "k"), { key: "k", effect: "NoSchedule" }] : t.filter((x) => x.key !== "k")));
          else if (o.kind === "delete") await sim.deleteNode(name);
          else if (o.kind === "catch-up") await check();
          else if (o.kind === "publish") published = NodeView.fromSnapshot(JSON.parse(JSON.stringify((await check()).toSnapshot()))) as NodeView;
          else if (o.kind === "cold-start") state = new NodeState();
          else sim.compactNodeHistory();
        }
      }),
      { numRuns: 60 },
    );
  });
});
