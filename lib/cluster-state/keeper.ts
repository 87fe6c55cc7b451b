/**
 * Keeps the bound-pod cache current for one Lambda container (docs/kubernetes.md, "Keeping
 * cluster state current"). In order of cost:
 *  1. memory: the container is warm and holds a cache; replay the pod changes since its
 *     resourceVersion (a short watch): cost follows churn, not cluster size;
 *  2. snapshot: a cold container loads the last published snapshot (the Store's manifest, and
 *     the blob it names when a blob store is configured) and replays the changes since its
 *     resourceVersion;
 *  3. list: no usable snapshot, or the API server no longer has the history (410 Gone): list
 *     every unfinished pod once, and publish the result so other cold containers start from it.
 * The lifecycle tick calls `publish` every minute after bringing its own cache current, so a
 * snapshot is normally young enough for step 2.
 */
import { DEFAULT_PAGE_SIZE, listAllWithVersion, type ClusterReader } from "../ports/cluster.ts";
import type { SnapshotBlobStore } from "../ports/blob.ts";
import type { ClusterState, Store } from "../ports/store.ts";
import type { Log } from "../ports/telemetry.ts";
import type { Pod } from "../api/kubernetes.ts";
import { ClusterStateCache, fateKey, type PodFate, type PodFates } from "./cache.ts";
import { blobKeyFor, blobManifestOf, encodeBlobSnapshot, loadBlobSnapshot } from "./blob-snapshot.ts";
import { decodeSnapshot, encodeSnapshot, snapshotGeneration } from "./snapshot.ts";
import { nodeReaderOf, nodeStateOf } from "./nodes.ts";

export type ClusterStateSource = "memory" | "snapshot" | "list";

export interface ClusterStateReport {
  source: ClusterStateSource;
  /** Pod changes replayed (0 after a list). */
  changes: number;
  boundPods: number;
  resourceVersion: string;
  /** Why a cheaper source was not used, when one was not. */
  fellBackBecause?: string;
}

export interface KeeperPorts {
  cluster: Pick<ClusterReader, "listActivePods" | "podChangesSince">;
  store: Pick<Store, "getClusterState" | "putClusterState">;
  log: Log;
}

export interface CurrentState {
  cache: ClusterStateCache;
  fates: PodFates;
  report: ClusterStateReport;
}

export interface KeeperOptions {
  /** How long a catch-up watch waits for the server (lib/cluster/kube default: 2 s). */
  catchUpSeconds?: number;
  /** Where the snapshot's summaries go (S3); absent: into the Store's pages as well. */
  blobs?: SnapshotBlobStore;
}

/** Restarts of a full list whose continue token expired, as `listAll` allows. */
const LIST_RESTARTS = 2;
/** Manifest reads when the object it named was replaced meanwhile. */
const SNAPSHOT_READ_ATTEMPTS = 3;
/** A scheduled tick may fire a little early; it still counts as due. */
const PUBLISH_SLACK_MS = 10_000;

export class ClusterStateKeeper {
  private cache: ClusterStateCache | undefined;
  /** When this container last published (or relisted, which publishes). */
  private lastPublishedAtMs: number | undefined;
  private lock: Promise<void> = Promise.resolve();

  private readonly catchUpSeconds: number | undefined;
  private readonly blobs: SnapshotBlobStore | undefined;

  constructor(options: KeeperOptions = {}) {
    this.catchUpSeconds = options.catchUpSeconds;
    this.blobs = options.blobs;
  }

  /** The cache brought up to date by the cheapest source that works. */
  async current(ports: KeeperPorts, nowMs: number): Promise<CurrentState>;
  /** With `allowList: false`, undefined instead of listing every pod. */
  async current(ports: KeeperPorts, nowMs: number, options: { allowList: boolean }): Promise<CurrentState | undefined>;
  async current(ports: KeeperPorts, nowMs: number, options: { allowList: boolean } = { allowList: true }): Promise<CurrentState | undefined> {
    return this.exclusive(() => this.bringCurrent(ports, nowMs, options));
  }

  /**
   * One catch-up at a time: a Lambda container runs one invocation at a time, but the local loop
   * and tests may share a keeper between concurrent runs, and two replays into one cache at once
   * could leave it at the older resourceVersion's state.
   */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private async bringCurrent(ports: KeeperPorts, nowMs: number, options: { allowList: boolean }): Promise<CurrentState | undefined> {
    let fellBackBecause: string | undefined;
    if (this.cache) {
      const caught = await this.catchUp(ports, this.cache, "memory");
      if (caught) return caught;
      fellBackBecause = `history after resourceVersion ${this.cache.resourceVersion} has expired`;
      this.cache = undefined;
    }
    const decoded = await this.loadSnapshot(ports);
    if (decoded) {
      if ("problem" in decoded) {
        ports.log.warn("the published cluster state is unusable; listing every pod", { problem: decoded.problem });
        fellBackBecause ??= `snapshot unusable: ${decoded.problem}`;
      } else {
        const caught = await this.catchUp(ports, decoded, "snapshot");
        if (caught) {
          this.cache = decoded;
          if (fellBackBecause) caught.report.fellBackBecause = fellBackBecause;
          return caught;
        }
        fellBackBecause ??= `history after the snapshot's resourceVersion ${decoded.resourceVersion} has expired`;
      }
    } else {
      fellBackBecause ??= "no snapshot published yet";
    }
    if (!options.allowList) return undefined;
    return this.relist(ports, nowMs, fellBackBecause);
  }

  /**
   * Publishes the cache (bringing it current first); false when the store already has a newer one.
   * With `allowList: false` (the lifecycle tick, whose timeout is too short for a full list at
   * 50,000 pods) it publishes nothing when only a full list would do, and leaves that to the
   * provisioner's next run; `report` is then undefined.
   */
  async publish(ports: KeeperPorts, nowMs: number, options: { allowList: boolean } = { allowList: true }): Promise<{ published: boolean; report: ClusterStateReport | undefined }> {
    return this.exclusive(async () => {
      const state = await this.bringCurrent(ports, nowMs, options);
      if (!state) return { published: false, report: undefined };
      const { cache, report } = state;
      // A relist has just published.
      if (report.source === "list") return { published: false, report };
      await this.bringNodesCurrent(ports, cache);
      const published = await this.writeSnapshot(ports, cache, nowMs);
      this.lastPublishedAtMs = nowMs;
      return { published, report };
    });
  }

  /**
   * Brings the node view this keeper shares with observe (nodes.ts) current and puts it in the
   * cache, so the snapshot carries it; the lifecycle never runs observe, and publishes. A cluster
   * port without node reads, or a failure, publishes the pods alone (cold starts then list nodes).
   */
  private async bringNodesCurrent(ports: KeeperPorts, cache: ClusterStateCache): Promise<void> {
    const cluster = nodeReaderOf(ports.cluster);
    if (!cluster) return;
    try {
      const { view } = await nodeStateOf(this).current({ cluster }, async () => cache.nodes);
      cache.nodes = view;
    } catch (error) {
      ports.log.warn("could not bring the node view current; publishing the pods without it", { error: (error as Error).message });
    }
  }

  /** True when this container has not published within `intervalMs` (with a little slack for early ticks). */
  publishDue(nowMs: number, intervalMs: number): boolean {
    return this.lastPublishedAtMs === undefined || nowMs - this.lastPublishedAtMs + PUBLISH_SLACK_MS >= intervalMs;
  }

  /** Drops the in-memory cache (the next call starts from the snapshot). */
  forget(): void {
    this.cache = undefined;
  }

  /**
   * The published snapshot, undefined when there is none. An object deleted under a reader means
   * two newer generations were published meanwhile: read the manifest again rather than list.
   */
  private async loadSnapshot(ports: KeeperPorts): Promise<ClusterStateCache | { problem: string } | undefined> {
    let stored = await ports.store.getClusterState();
    for (let attempt = 1; ; attempt++) {
      if (!stored) return undefined;
      const decoded = await this.decodeStored(stored);
      if (!("problem" in decoded) || attempt >= SNAPSHOT_READ_ATTEMPTS || !blobManifestOf(stored)) return decoded;
      const again = await ports.store.getClusterState();
      if (again?.generation === stored.generation) return decoded;
      stored = again;
    }
  }

  /** Either format decodes, so setting or clearing the bucket needs no migration. */
  private async decodeStored(stored: ClusterState): Promise<ClusterStateCache | { problem: string }> {
    const manifest = blobManifestOf(stored);
    if (!manifest) return decodeSnapshot(stored);
    const loaded = await loadBlobSnapshot(stored, manifest, this.blobs);
    return "problem" in loaded ? loaded : decodeSnapshot({ ...stored, entries: loaded.entries });
  }

  /** Publishes `cache` as the next generation; false when the store already has one at least as new. */
  private async writeSnapshot(ports: KeeperPorts, cache: ClusterStateCache, nowMs: number): Promise<boolean> {
    const generation = snapshotGeneration(cache.resourceVersion, nowMs);
    const blobs = this.blobs;
    if (!blobs) return ports.store.putClusterState(generation, encodeSnapshot(cache), nowMs);
    // Read first: a PUT of megabytes is wasted when a newer generation is already published.
    const current = await ports.store.getClusterState();
    if (current && current.generation >= generation) return false;
    const previous = blobManifestOf(current);
    const key = blobKeyFor(generation);
    const { body, manifest } = encodeBlobSnapshot(encodeSnapshot(cache), cache.resourceVersion, key, previous?.key);
    await blobs.put(key, body);
    let published: boolean;
    try {
      published = await ports.store.putClusterState(generation, [manifest], nowMs);
    } catch (error) {
      await this.deleteBlob(ports, blobs, key);
      throw error;
    }
    if (!published) {
      // A newer generation won the race; nobody will ever read this object.
      await this.deleteBlob(ports, blobs, key);
      return false;
    }
    // Keep the previous generation's object for readers still on it; drop the one before.
    if (previous?.previousKey !== undefined && previous.previousKey !== key) await this.deleteBlob(ports, blobs, previous.previousKey);
    return true;
  }

  /** A failed delete only leaves garbage behind (the bucket's lifecycle rule expires it). */
  private async deleteBlob(ports: KeeperPorts, blobs: SnapshotBlobStore, key: string): Promise<void> {
    try {
      await blobs.delete(key);
    } catch (error) {
      ports.log.warn("could not delete an old cluster-state object", { object: `${blobs.location}${key}`, error: (error as Error).message });
    }
  }

  private async catchUp(ports: KeeperPorts, cache: ClusterStateCache, source: ClusterStateSource): Promise<CurrentState | undefined> {
    const options = this.catchUpSeconds === undefined ? undefined : { timeoutSeconds: this.catchUpSeconds };
    const since = await ports.cluster.podChangesSince(cache.resourceVersion, options);
    if (since.outcome === "expired") return undefined;
    const pods = cache.apply(since.changes, since.resourceVersion);
    return {
      cache,
      fates: { pods, complete: false },
      report: { source, changes: since.changes.length, boundPods: cache.size, resourceVersion: cache.resourceVersion },
    };
  }

  private async relist(ports: KeeperPorts, nowMs: number, fellBackBecause: string): Promise<CurrentState> {
    const { pods, resourceVersion } = await listUnfinishedPods(ports.cluster);
    const cache = ClusterStateCache.fromPods(pods, resourceVersion ?? "");
    const fates = new Map<string, PodFate>();
    for (const pod of pods) {
      const fate: PodFate = { pending: !pod.spec.nodeName };
      if (pod.metadata.uid) fate.uid = pod.metadata.uid;
      fates.set(fateKey(pod), fate);
    }
    ports.log.info("listed every unfinished pod to rebuild the cluster state", { pods: pods.length, boundPods: cache.size, because: fellBackBecause });
    if (resourceVersion) {
      this.cache = cache;
      try {
        await this.writeSnapshot(ports, cache, nowMs);
        this.lastPublishedAtMs = nowMs;
      } catch (error) {
        // The run can go on with what it listed; the next publisher tries again.
        ports.log.warn("could not publish the cluster state", { error: (error as Error).message });
      }
    } else {
      ports.log.warn("the pod list carried no resourceVersion; the cluster state cannot be kept between runs");
    }
    return { cache, fates: { pods: fates, complete: true }, report: { source: "list", changes: 0, boundPods: cache.size, resourceVersion: cache.resourceVersion, fellBackBecause } };
  }
}

/**
 * Every unfinished pod with the resourceVersion of the list's first page: the API server serves
 * all pages of one list from that snapshot, so changes after it are exactly what the list missed.
 */
export async function listUnfinishedPods(cluster: Pick<ClusterReader, "listActivePods">, pageSize = DEFAULT_PAGE_SIZE): Promise<{ pods: Pod[]; resourceVersion: string | undefined }> {
  const { items, resourceVersion } = await listAllWithVersion((o) => cluster.listActivePods(o), pageSize, LIST_RESTARTS);
  return { pods: items, resourceVersion };
}
