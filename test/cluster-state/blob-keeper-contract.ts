/**
 * The keeper publishing to and starting from a blob store (S3 when CLUSTER_STATE_BUCKET is set),
 * run against each blob adapter: cold starts, generation races, cleanup of old objects, torn
 * writes.
 */
import { expect, it } from "vitest";
import type { SnapshotBlobStore } from "../../lib/ports/blob.ts";
import { BLOB_MANIFEST_FORMAT, blobManifestOf, type BlobManifest } from "../../lib/cluster-state/blob-snapshot.ts";
import { ClusterStateCache } from "../../lib/cluster-state/cache.ts";
import { ClusterStateKeeper, listUnfinishedPods, type KeeperPorts } from "../../lib/cluster-state/keeper.ts";
import { SimulatedCluster } from "../../lib/cluster/in-memory/in-memory-cluster.ts";
import type { Pod } from "../../lib/api/kubernetes.ts";
import type { Store } from "../../lib/ports/store.ts";
import type { Log } from "../../lib/ports/telemetry.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { podRequesting, readyNode } from "../support/in-memory-cluster.ts";

export interface BlobHarness {
  blobs: SnapshotBlobStore;
  /** Every stored key, sorted (relative to the store's prefix). */
  keys(): Promise<string[]>;
}

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };
const NOW = Date.UTC(2026, 0, 1);

function bound(name: string, node: string): Pod {
  return podRequesting(name, "100m", { nodeName: node });
}

async function freshView(cluster: SimulatedCluster) {
  const { pods, resourceVersion } = await listUnfinishedPods(cluster);
  return ClusterStateCache.fromPods(pods, resourceVersion ?? "").summaries();
}

function countingCluster(cluster: SimulatedCluster): { ports: KeeperPorts["cluster"]; calls: { list: number } } {
  const calls = { list: 0 };
  return {
    calls,
    ports: {
      listActivePods: (o) => (calls.list++, cluster.listActivePods(o)),
      podChangesSince: (rv, o) => cluster.podChangesSince(rv, o),
    },
  };
}

async function manifestOf(store: Store): Promise<BlobManifest> {
  const manifest = blobManifestOf(await store.getClusterState());
  if (!manifest) throw new Error("the store holds no blob manifest");
  return manifest;
}

export function blobKeeperContract(make: () => Promise<BlobHarness>): void {
  async function world() {
    const { blobs, keys } = await make();
    const cluster = new SimulatedCluster();
    for (let i = 0; i < 3; i++) cluster.addNode(readyNode(`node-${i}`));
    const store = createMemoryStore();
    const ports: KeeperPorts = { cluster, store, log: quiet };
    return { blobs, keys, cluster, store, ports, keeper: () => new ClusterStateKeeper({ blobs }) };
  }

  it("publishes the summaries as one object and only a small manifest to the store; a cold container starts from it", async () => {
    const { cluster, store, ports, keeper, keys } = await world();
    for (let i = 0; i < 200; i++) cluster.addPod(bound(`pod-${i}`, `node-${i % 3}`));
    // With nothing published yet, the keeper lists every pod, and that list is what it publishes.
    expect((await keeper().publish(ports, NOW)).report).toMatchObject({ source: "list" });

    const stored = (await store.getClusterState())!;
    expect(stored.entries).toHaveLength(1);
    expect(JSON.stringify(stored.entries).length).toBeLessThan(1024);
    const manifest = await manifestOf(store);
    expect(manifest.format).toBe(BLOB_MANIFEST_FORMAT);
    expect(manifest.resourceVersion).toBe((await cluster.listActivePods({ limit: 1 })).resourceVersion);
    expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.key).toMatch(new RegExp(`^0*${stored.generation}-[0-9a-f]{16}\\.json$`));
    expect(await keys()).toEqual([manifest.key]);

    cluster.addPod(bound("late", "node-0"));
    cluster.deletePod("default", "pod-0");
    const counting = countingCluster(cluster);
    const { cache, report } = await keeper().current({ ...ports, cluster: counting.ports }, NOW);
    expect(report).toMatchObject({ source: "snapshot", changes: 2 });
    expect(counting.calls.list).toBe(0);
    expect(cache.summaries()).toEqual(await freshView(cluster));
  });

  it("keeps the current and the previous generation's objects and deletes older ones", async () => {
    const { cluster, store, ports, keeper, keys } = await world();
    const publisher = keeper();
    await publisher.current(ports, NOW);
    const seen: BlobManifest[] = [await manifestOf(store)];
    for (let i = 0; i < 3; i++) {
      cluster.addPod(bound(`pod-${i}`, "node-0"));
      expect((await publisher.publish(ports, NOW)).published).toBe(true);
      seen.push(await manifestOf(store));
    }
    expect(seen.map((m) => m.previousKey)).toEqual([undefined, seen[0]!.key, seen[1]!.key, seen[2]!.key]);
    expect(await keys()).toEqual([seen[2]!.key, seen[3]!.key].sort());
  });

  it("an older publisher losing the race deletes its own object and leaves the newer generation readable", async () => {
    const { blobs, cluster, store, ports, keeper, keys } = await world();
    cluster.addPod(bound("a", "node-0"));
    const newer = keeper();
    // The older writer's manifest write lands after a newer generation was published.
    const racing: KeeperPorts = {
      ...ports,
      store: {
        getClusterState: () => store.getClusterState(),
        putClusterState: async (generation, entries, nowMs) => {
          cluster.addPod(bound("b", "node-1"));
          expect((await newer.publish(ports, NOW)).published).toBe(true);
          return store.putClusterState(generation, entries, nowMs);
        },
      },
    };
    const older = new ClusterStateKeeper({ blobs });
    expect((await older.publish(racing, NOW)).published).toBe(false);

    const manifest = await manifestOf(store);
    expect(await keys()).toEqual([manifest.key]);
    const { cache, report } = await keeper().current(ports, NOW);
    expect(report.source).toBe("snapshot");
    expect(cache.summaries().map((s) => s.name)).toEqual(["a", "b"]);
  });

  it("does not upload when the store already has a generation at least as new", async () => {
    const { cluster, store, ports, keeper, keys } = await world();
    cluster.addPod(bound("a", "node-0"));
    await keeper().publish(ports, NOW);
    const before = await keys();
    expect((await keeper().publish(ports, NOW)).published).toBe(false);
    expect(await keys()).toEqual(before);
    expect((await manifestOf(store)).key).toEqual(before[0]);
  });

  it("a manifest naming a missing object makes a cold container list and republish, not crash", async () => {
    const { blobs, cluster, store, ports, keeper, keys } = await world();
    cluster.addPod(bound("a", "node-0"));
    await keeper().publish(ports, NOW);
    await blobs.delete((await manifestOf(store)).key);
    cluster.addPod(bound("b", "node-1"));

    const { cache, report } = await keeper().current(ports, NOW);
    expect(report).toMatchObject({ source: "list", fellBackBecause: expect.stringMatching(/snapshot unusable: .*is missing/) });
    expect(cache.summaries()).toEqual(await freshView(cluster));
    const republished = await manifestOf(store);
    expect(await keys()).toContain(republished.key);
    expect((await keeper().current(ports, NOW)).report.source).toBe("snapshot");
  });

  it("an object whose bytes don't match the manifest's sha256 makes a cold container list, not decode it", async () => {
    const { blobs, cluster, store, ports, keeper } = await world();
    cluster.addPod(bound("a", "node-0"));
    await keeper().publish(ports, NOW);
    const manifest = await manifestOf(store);
    const torn = (await blobs.get(manifest.key))!.slice(0, Math.floor(manifest.bytes / 2));
    await blobs.put(manifest.key, torn);

    const { report } = await keeper().current(ports, NOW);
    expect(report).toMatchObject({ source: "list", fellBackBecause: expect.stringMatching(/does not match its manifest/) });
  });

  it("reads the manifest again when its object was replaced by two newer generations during the read", async () => {
    const { cluster, store, ports, keeper, keys } = await world();
    const publisher = keeper();
    cluster.addPod(bound("a", "node-0"));
    await publisher.publish(ports, NOW);
    let firstRead = true;
    const slowReader: KeeperPorts = {
      ...ports,
      store: {
        putClusterState: (g, e, n) => store.putClusterState(g, e, n),
        getClusterState: async () => {
          const state = await store.getClusterState();
          if (firstRead) {
            firstRead = false;
            for (const name of ["b", "c"]) {
              cluster.addPod(bound(name, "node-1"));
              await publisher.publish(ports, NOW);
            }
          }
          return state;
        },
      },
    };
    const { cache, report } = await keeper().current(slowReader, NOW);
    expect(report.source).toBe("snapshot");
    expect(cache.summaries().map((s) => s.name)).toEqual(["a", "b", "c"]);
    expect(await keys()).toHaveLength(2);
  });

  it("starts from a snapshot in the store's pages (published before the bucket was set) and then publishes to the blob store", async () => {
    const { cluster, store, ports, keeper, keys } = await world();
    cluster.addPod(bound("a", "node-0"));
    await new ClusterStateKeeper().publish(ports, NOW);
    expect(blobManifestOf(await store.getClusterState())).toBeUndefined();
    cluster.addPod(bound("b", "node-1"));

    const migrating = keeper();
    expect((await migrating.current(ports, NOW)).report).toMatchObject({ source: "snapshot", changes: 1 });
    expect((await migrating.publish(ports, NOW)).published).toBe(true);
    expect(await keys()).toEqual([(await manifestOf(store)).key]);
  });

  it("a container without the bucket lists rather than misread a blob manifest", async () => {
    const { cluster, ports, keeper } = await world();
    cluster.addPod(bound("a", "node-0"));
    await keeper().publish(ports, NOW);
    const { report } = await new ClusterStateKeeper().current(ports, NOW);
    expect(report).toMatchObject({ source: "list", fellBackBecause: expect.stringMatching(/no blob store is configured/) });
  });
}
