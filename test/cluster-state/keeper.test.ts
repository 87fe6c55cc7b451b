import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterStateCache, stillPending } from "../../lib/cluster-state/cache.ts";
import { ClusterStateKeeper, listUnfinishedPods, type KeeperPorts } from "../../lib/cluster-state/keeper.ts";
import { decodeSnapshot, encodeSnapshot } from "../../lib/cluster-state/snapshot.ts";
import { SimulatedCluster } from "../../lib/cluster/in-memory/in-memory-cluster.ts";
import type { Pod } from "../../lib/api/kubernetes.ts";
import { podKey } from "../../lib/api/kubernetes.ts";
import { listAll } from "../../lib/ports/cluster.ts";
import type { Store } from "../../lib/ports/store.ts";
import type { Log } from "../../lib/ports/telemetry.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { podRequesting, readyNode } from "../support/in-memory-cluster.ts";

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };
const NOW = Date.UTC(2026, 0, 1);

function world(nodes = 3): { cluster: SimulatedCluster; store: Store; ports: KeeperPorts } {
  const cluster = new SimulatedCluster();
  for (let i = 0; i < nodes; i++) cluster.addNode(readyNode(`node-${i}`));
  const store = createMemoryStore();
  return { cluster, store, ports: { cluster, store, log: quiet } };
}

function countingCluster(cluster: SimulatedCluster): { ports: KeeperPorts["cluster"]; calls: { list: number; changes: number } } {
  const calls = { list: 0, changes: 0 };
  return {
    calls,
    ports: {
      listActivePods: (o) => (calls.list++, cluster.listActivePods(o)),
      podChangesSince: (rv, o) => (calls.changes++, cluster.podChangesSince(rv, o)),
    },
  };
}

/** What a fresh full list says the bound pods are. */
async function freshView(cluster: SimulatedCluster) {
  const { pods, resourceVersion } = await listUnfinishedPods(cluster);
  return ClusterStateCache.fromPods(pods, resourceVersion ?? "").summaries();
}

function bound(name: string, node: string, cpu = "100m"): Pod {
  return podRequesting(name, cpu, { nodeName: node });
}

describe("cluster-state keeper", () => {
  it("a pod that finishes (Succeeded or Failed) leaves the cache and is no longer pending", () => {
    const cache = ClusterStateCache.fromPods([{ ...bound("job", "node-0"), metadata: { name: "job", namespace: "default", uid: "u1" } }], "1");
    const done: Pod = { ...bound("job", "node-0"), metadata: { name: "job", namespace: "default", uid: "u1" }, status: { phase: "Succeeded" } };
    const fates = cache.apply([{ type: "MODIFIED", pod: done }], "2");
    expect(cache.size).toBe(0);
    expect(cache.resourceVersion).toBe("2");
    expect([...fates.values()]).toEqual([{ uid: "u1", pending: false }]);
  });

  it("a warm container replays only the changes: new, bound and deleted pods, without listing", async () => {
    const { cluster, store } = world();
    const counting = countingCluster(cluster);
    const ports: KeeperPorts = { cluster: counting.ports, store, log: quiet };
    cluster.addPod(bound("a", "node-0"));
    cluster.addPod(bound("b", "node-1"));
    const keeper = new ClusterStateKeeper();
    expect((await keeper.current(ports, NOW)).report.source).toBe("list");

    cluster.deletePod("default", "a");
    cluster.addPod(bound("c", "node-2"));
    cluster.addPod(podRequesting("d", "100m"));
    const { cache, report } = await keeper.current(ports, NOW);
    expect(report).toMatchObject({ source: "memory", changes: 3 });
    expect(counting.calls.list).toBe(1);
    expect(cache.summaries().map((s) => `${s.name}@${s.node}`)).toEqual(["b@node-1", "c@node-2"]);
    expect(cache.summaries()).toEqual(await freshView(cluster));
  });

  it("two runs sharing a keeper catch up one after the other, so a slow reply can't roll the cache back", async () => {
    const { cluster, store } = world();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const slowFirstReply: KeeperPorts["cluster"] = {
      listActivePods: (o) => cluster.listActivePods(o),
      podChangesSince: async (rv, o) => {
        const reply = await cluster.podChangesSince(rv, o);
        if (first) {
          first = false;
          await gate;
        }
        return reply;
      },
    };
    const ports: KeeperPorts = { cluster: slowFirstReply, store, log: quiet };
    const keeper = new ClusterStateKeeper();
    await keeper.current(ports, NOW);
    cluster.addPod(bound("short-lived", "node-0"));
    const slow = keeper.current(ports, NOW);
    await new Promise((resolve) => setImmediate(resolve));
    cluster.deletePod("default", "short-lived");
    const fast = keeper.current(ports, NOW);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await slow;
    const { cache } = await fast;
    expect(cache.summaries()).toEqual(await freshView(cluster));
  });

  it("a cold container starts from the published snapshot and replays what changed since", async () => {
    const { cluster, store, ports } = world();
    cluster.addPod(bound("a", "node-0"));
    await new ClusterStateKeeper().publish(ports, NOW);
    cluster.addPod(bound("b", "node-1"));
    cluster.deletePod("default", "a");

    const counting = countingCluster(cluster);
    const cold = new ClusterStateKeeper();
    const { cache, report } = await cold.current({ cluster: counting.ports, store, log: quiet }, NOW);
    expect(report).toMatchObject({ source: "snapshot", changes: 2 });
    expect(counting.calls.list).toBe(0);
    expect(cache.summaries()).toEqual(await freshView(cluster));
  });

  it("lists every pod and republishes when the history has expired", async () => {
    const { cluster, store, ports } = world();
    cluster.addPod(bound("a", "node-0"));
    const keeper = new ClusterStateKeeper();
    await keeper.publish(ports, NOW);
    cluster.addPod(bound("b", "node-1"));
    cluster.compactPodHistory();

    const { cache, report } = await keeper.current(ports, NOW);
    expect(report.source).toBe("list");
    expect(report.fellBackBecause).toMatch(/expired/);
    expect(cache.summaries()).toEqual(await freshView(cluster));
    const published = decodeSnapshot((await store.getClusterState())!);
    expect("problem" in published ? published.problem : published.summaries()).toEqual(await freshView(cluster));
  });

  it("a snapshot it can't read is a reason to list, not a crash", async () => {
    const { cluster, store, ports } = world();
    cluster.addPod(bound("a", "node-0"));
    await store.putClusterState(1, [{ format: "something else" }], NOW);
    const { report } = await new ClusterStateKeeper().current(ports, NOW);
    expect(report).toMatchObject({ source: "list", fellBackBecause: expect.stringMatching(/snapshot unusable/) });
  });

  it("the snapshot round-trips through the store's pages at thousands of pods", async () => {
    const pods = Array.from({ length: 3000 }, (_, i) => ({ ...bound(`pod-${i}`, `node-${i % 60}`), metadata: { name: `pod-${i}`, namespace: `ns-${i % 7}`, uid: `uid-${i}`, labels: { app: `app-${i % 40}`, "pod-template-hash": `${(i * 7919) % 100000}` } } }));
    const cache = ClusterStateCache.fromPods(pods, "12345");
    const store = createMemoryStore();
    await store.putClusterState(12345, encodeSnapshot(cache), NOW);
    const decoded = decodeSnapshot((await store.getClusterState())!);
    expect("problem" in decoded ? decoded.problem : decoded.summaries()).toEqual(cache.summaries());
    expect("problem" in decoded ? "" : decoded.resourceVersion).toBe("12345");
  });

  it("drops pending pods that were bound or deleted after the pending read, even when a namesake replaced them", async () => {
    const { cluster, store } = world();
    const keeper = new ClusterStateKeeper();
    await keeper.current({ cluster, store, log: quiet }, NOW);
    for (const name of ["will-bind", "will-go", "stays", "recreated"]) cluster.addPod(podRequesting(name, "100m"));
    const pendingRead = await listAll((o) => cluster.listPendingPods(o));
    cluster.deletePod("default", "will-go");
    cluster.deletePod("default", "recreated");
    cluster.addPod(podRequesting("recreated", "100m"));
    cluster.deletePod("default", "will-bind");
    cluster.addPod(bound("will-bind", "node-0"));
    const { cache, fates } = await keeper.current({ cluster, store, log: quiet }, NOW);
    // The read's "recreated" is the deleted predecessor: the newcomer (not in the read) is the next run's.
    expect(stillPending(pendingRead, cache, fates).map((p) => p.metadata.name)).toEqual(["stays"]);
  });

  it("drops a pending pod that a snapshot newer than the pending read already shows bound", async () => {
    const { cluster, store, ports } = world(0);
    cluster.addPod(podRequesting("waiting", "100m"));
    const pendingRead = await listAll((o) => cluster.listPendingPods(o));
    cluster.addNode(readyNode("node-0"));
    await cluster.advance(2_000);
    expect(cluster.pod("default", "waiting")?.spec.nodeName).toBe("node-0");
    await new ClusterStateKeeper().publish(ports, NOW);
    const { cache, fates, report } = await new ClusterStateKeeper().current({ cluster, store, log: quiet }, NOW);
    expect(report).toMatchObject({ source: "snapshot", changes: 0 });
    expect(stillPending(pendingRead, cache, fates)).toEqual([]);
  });

  it("after any sequence of pod and node events, the cache equals a fresh full list (property)", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add-pending" as const), id: fc.integer({ min: 0, max: 15 }), cpu: fc.constantFrom("100m", "700m", "1500m") }),
      fc.record({ kind: fc.constant("add-bound" as const), id: fc.integer({ min: 0, max: 15 }), node: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant("delete" as const), id: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ kind: fc.constant("advance" as const) }),
      fc.record({ kind: fc.constant("delete-node" as const), node: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant("add-node" as const), node: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant("catch-up" as const) }),
      fc.record({ kind: fc.constant("publish" as const) }),
      fc.record({ kind: fc.constant("cold-start" as const) }),
      fc.record({ kind: fc.constant("compact" as const) }),
      fc.record({ kind: fc.constant("read-pending" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const { cluster, ports } = world(2);
        let keeper = new ClusterStateKeeper();
        // A pending read taken earlier (as observe takes it just before the catch-up), with events after it.
        let pendingRead: Pod[] | undefined;
        const check = async () => {
          const read = pendingRead ?? (await listAll((o) => cluster.listPendingPods(o)));
          pendingRead = undefined;
          const { cache, fates } = await keeper.current(ports, NOW);
          expect(cache.summaries()).toEqual(await freshView(cluster));
          // Still pending now, among the pods that read saw (same name and uid).
          const seen = new Set(read.map((p) => `${podKey(p)}#${p.metadata.uid}`));
          const expected = (await listAll((o) => cluster.listPendingPods(o))).filter((p) => seen.has(`${podKey(p)}#${p.metadata.uid}`));
          expect(stillPending(read, cache, fates).map(podKey)).toEqual(expected.map(podKey));
        };
        for (const o of ops) {
          const name = (id: number) => `p${id}`;
          if (o.kind === "add-pending" && !cluster.pod("default", name(o.id))) cluster.addPod(podRequesting(name(o.id), o.cpu));
          else if (o.kind === "add-bound" && !cluster.pod("default", name(o.id))) cluster.addPod(bound(name(o.id), `node-${o.node}`));
          else if (o.kind === "delete") cluster.deletePod("default", name(o.id));
          else if (o.kind === "advance") await cluster.advance(2_000);
          else if (o.kind === "delete-node") await cluster.deleteNode(`node-${o.node}`);
          else if (o.kind === "add-node" && !cluster.node(`node-${o.node}`)) cluster.addNode(readyNode(`node-${o.node}`));
          else if (o.kind === "catch-up") await check();
          else if (o.kind === "publish") await keeper.publish(ports, NOW);
          else if (o.kind === "cold-start") keeper = new ClusterStateKeeper();
          else if (o.kind === "compact") cluster.compactPodHistory();
          else if (o.kind === "read-pending") pendingRead = await listAll((l) => cluster.listPendingPods(l));
        }
        await check();
      }),
      { numRuns: 120 },
    );
  });
});
