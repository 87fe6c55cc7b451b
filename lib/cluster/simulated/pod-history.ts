/**
 * The simulation's memory of pod changes, for `podChangesSince`: what a real API server's watch
 * cache offers. It keeps the newest `limit` changes; asking from before the oldest one it still
 * knows answers "expired", as a compacted etcd does.
 */
import type { Pod } from "../../k8s/types.ts";
import { compileSelector } from "../../scheduling/label-selector.ts";
import { parseLabelSelector, type PodChange, type PodChanges } from "../../ports/cluster.ts";

export const POD_HISTORY_LIMIT = 10_000;

export class PodHistory {
  private readonly entries: Array<{ revision: number; change: PodChange }> = [];
  /** Changes after this revision are still known. */
  private oldest = 0;

  constructor(private readonly limit = POD_HISTORY_LIMIT) {}

  record(type: PodChange["type"], pod: Pod): void {
    this.entries.push({ revision: Number(pod.metadata.resourceVersion), change: { type, pod } });
    if (this.entries.length > this.limit) this.drop(this.entries.length - this.limit);
  }

  /** Forgets everything up to `currentRevision`. */
  compact(currentRevision: number): void {
    this.drop(this.entries.length);
    this.oldest = currentRevision;
  }

  since(resourceVersion: string, currentRevision: string, labelSelector?: string): PodChanges {
    const since = Number(resourceVersion);
    if (!Number.isFinite(since) || since < this.oldest) return { outcome: "expired" };
    const selector = labelSelector ? compileSelector(parseLabelSelector(labelSelector)) : undefined;
    const changes = this.entries
      .filter((e) => e.revision > since && (!selector || selector.matches(e.change.pod.metadata.labels)))
      .map((e) => structuredClone(e.change));
    return { outcome: "changes", changes, resourceVersion: currentRevision };
  }

  private drop(count: number): void {
    const last = this.entries.splice(0, count).at(-1);
    if (last) this.oldest = last.revision;
  }
}
