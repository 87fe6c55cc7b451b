/**
 * The simulation's memory of pod and node changes, for `podChangesSince` / `nodeChangesSince`:
 * what a real API server's watch cache offers. It keeps the newest `limit` changes; asking from before the oldest one it still
 * knows answers "expired", as a compacted etcd does.
 */
import type { Node, Pod } from "../../api/kubernetes.ts";
import { compileSelector } from "../../scheduling/label-selector.ts";
import { parseLabelSelector, type NodeChanges, type PodChanges } from "../../ports/cluster.ts";

export const POD_HISTORY_LIMIT = 10_000;

type ChangeType = "ADDED" | "MODIFIED" | "DELETED";
type Versioned = { metadata: { resourceVersion?: string; labels?: Record<string, string> } };

/** Changes of one kind of object, by revision. */
export class ChangeHistory<T extends Versioned> {
  private readonly entries: Array<{ revision: number; type: ChangeType; object: T }> = [];
  /** Changes after this revision are still known. */
  private oldest = 0;

  constructor(private readonly limit = POD_HISTORY_LIMIT) {}

  record(type: ChangeType, object: T): void {
    this.entries.push({ revision: Number(object.metadata.resourceVersion), type, object });
    if (this.entries.length > this.limit) this.drop(this.entries.length - this.limit);
  }

  /** Forgets everything up to `currentRevision`. */
  compact(currentRevision: number): void {
    this.drop(this.entries.length);
    this.oldest = currentRevision;
  }

  since(
    resourceVersion: string,
    currentRevision: string,
    labelSelector?: string,
  ): { outcome: "changes"; changes: Array<{ type: ChangeType; object: T }>; resourceVersion: string } | { outcome: "expired" } {
    const since = Number(resourceVersion);
    if (!Number.isFinite(since) || since < this.oldest) return { outcome: "expired" };
    const selector = labelSelector ? compileSelector(parseLabelSelector(labelSelector)) : undefined;
    const changes = this.entries
      .filter((e) => e.revision > since && (!selector || selector.matches(e.object.metadata.labels)))
      .map((e) => ({ type: e.type, object: structuredClone(e.object) }));
    return { outcome: "changes", changes, resourceVersion: currentRevision };
  }

  private drop(count: number): void {
    const last = this.entries.splice(0, count).at(-1);
    if (last) this.oldest = last.revision;
  }
}

export class PodHistory extends ChangeHistory<Pod> {
  podsSince(resourceVersion: string, currentRevision: string, labelSelector?: string): PodChanges {
    const result = this.since(resourceVersion, currentRevision, labelSelector);
    if (result.outcome === "expired") return result;
    return { ...result, changes: result.changes.map((c) => ({ type: c.type, pod: c.object })) };
  }
}

export class NodeHistory extends ChangeHistory<Node> {
  nodesSince(resourceVersion: string, currentRevision: string, labelSelector?: string): NodeChanges {
    const result = this.since(resourceVersion, currentRevision, labelSelector);
    if (result.outcome === "expired") return result;
    return { ...result, changes: result.changes.map((c) => ({ type: c.type, node: c.object })) };
  }
}
