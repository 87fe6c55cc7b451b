/**
 * The bound pods of the cluster as of one resourceVersion, kept as summaries (summary.ts) and
 * brought forward by applying pod changes in the order the API server sent them. Pure: the I/O
 * (list, watch catch-up, snapshot) is in keeper.ts.
 *
 * Applying changes in order converges on the cluster's state whatever the starting point, as long
 * as the changes start at or before the state's resourceVersion: a pod listed already bound and then
 * replayed (ADDED unbound, MODIFIED bound) ends bound exactly once, since pods are keyed by
 * namespace/name and the last change wins; DELETED removes; a change that leaves a pod unbound or
 * finished removes it too.
 */
import type { Pod } from "../api/kubernetes.ts";
import { podKey } from "../api/kubernetes.ts";
import type { PodChange } from "../ports/cluster.ts";
import type { NodeView } from "./nodes.ts";
import { podFromSummary, summarizeBoundPod, summaryKey, type BoundPodSummary } from "./summary.ts";

/** Where a pod stood after the newest change this catch-up saw of it. */
export interface PodFate {
  uid?: string;
  /** Unbound, unfinished and not deleted: still waiting for a node. */
  pending: boolean;
}

/**
 * What a catch-up learned about individual pods, so a pending list read just before it can drop
 * pods that got bound, finished or deleted since. Keyed by `fateKey` (namespace/name, plus the
 * uid when known, so a deleted pod and its re-created namesake have separate fates). `complete`
 * means every unfinished pod of the cluster is in `pods` (the catch-up was a full list): a pod
 * absent from it no longer exists.
 */
export interface PodFates {
  pods: Map<string, PodFate>;
  complete: boolean;
}

export function fateKey(pod: Pod): string {
  return `${podKey(pod)}#${pod.metadata.uid ?? ""}`;
}

export class ClusterStateCache {
  /**
   * The node view travelling with this cache: set from a snapshot that carried one (a cold
   * container's seed for its NodeState), and by observe after each node catch-up, so what is
   * published carries nodes as current as the pods. Its resourceVersion is its own.
   */
  nodes: NodeView | undefined;

  private constructor(
    private readonly byKey: Map<string, BoundPodSummary>,
    private rv: string,
  ) {}

  /** From a full list of unfinished pods taken at `resourceVersion`; pods that hold no capacity are left out. */
  static fromPods(pods: Iterable<Pod>, resourceVersion: string): ClusterStateCache {
    const cache = new ClusterStateCache(new Map(), resourceVersion);
    for (const pod of pods) {
      const summary = summarizeBoundPod(pod);
      if (summary) cache.byKey.set(summaryKey(summary), summary);
    }
    return cache;
  }

  static fromSummaries(summaries: Iterable<BoundPodSummary>, resourceVersion: string): ClusterStateCache {
    return new ClusterStateCache(new Map([...summaries].map((s) => [summaryKey(s), s])), resourceVersion);
  }

  /** The resourceVersion the cache reflects: ask for changes after it. */
  get resourceVersion(): string {
    return this.rv;
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): BoundPodSummary | undefined {
    return this.byKey.get(key);
  }

  /** Applies `changes` in order and moves to `resourceVersion`; returns each touched pod's final fate. */
  apply(changes: readonly PodChange[], resourceVersion: string): Map<string, PodFate> {
    const fates = new Map<string, PodFate>();
    for (const change of changes) {
      const key = podKey(change.pod);
      const summary = change.type === "DELETED" ? undefined : summarizeBoundPod(change.pod);
      if (summary) this.byKey.set(key, summary);
      else this.byKey.delete(key);
      const fate: PodFate = { pending: change.type !== "DELETED" && !summary && isUnfinished(change.pod) };
      if (change.pod.metadata.uid) fate.uid = change.pod.metadata.uid;
      fates.set(fateKey(change.pod), fate);
    }
    this.rv = resourceVersion;
    return fates;
  }

  /** Summaries sorted by namespace/name, so equal caches list equally. */
  summaries(): BoundPodSummary[] {
    return [...this.byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
  }

  /** Minimal Pods for the scheduler (podFromSummary), in namespace/name order. */
  boundPods(): Pod[] {
    return this.summaries().map(podFromSummary);
  }
}

function isUnfinished(pod: Pod): boolean {
  const phase = pod.status?.phase ?? "";
  return phase !== "Succeeded" && phase !== "Failed";
}

/**
 * The pending pods (read just before the catch-up) that are still pending after it: a pod the
 * catch-up saw bound, finished or deleted is dropped, and so is one the cache holds bound. Identity
 * is namespace/name plus the uid, so a pod deleted and re-created under the same name is not
 * confused with its predecessor (the predecessor is dropped; the newcomer is the next run's).
 */
export function stillPending(pending: readonly Pod[], cache: ClusterStateCache, fates: PodFates): Pod[] {
  return pending.filter((pod) => {
    const uid = pod.metadata.uid;
    const bound = cache.get(podKey(pod));
    if (bound && (uid === undefined || bound.uid === undefined || bound.uid === uid)) return false;
    const fate = fates.pods.get(fateKey(pod));
    if (fate) return fate.pending;
    return !fates.complete;
  });
}
