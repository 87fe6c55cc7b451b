/** One behaviour for every Cluster adapter: catching up on pod changes from a list's resourceVersion. */
import { expect } from "vitest";
import type { Pod } from "../../lib/api/kubernetes.ts";
import type { Cluster } from "../../lib/ports/cluster.ts";

export interface PodChangesHarness {
  cluster: Cluster;
  addPod(pod: Pod): void;
  /** Forget history, as etcd compaction does. */
  compact(): void;
}

const pod = (name: string, app: string): Pod => ({
  metadata: { name, namespace: "default", labels: { app } },
  spec: { nodeName: "n1", containers: [{ name: "c" }] },
  status: { phase: "Running" },
});

export async function checkPodChanges(h: PodChangesHarness): Promise<void> {
  h.addPod(pod("a", "web"));
  h.addPod(pod("b", "db"));
  const listed = await h.cluster.listActivePods();
  expect(listed.items.map((p) => p.metadata.name)).toEqual(["a", "b"]);
  const since = listed.resourceVersion!;
  expect(since).toBeTruthy();

  h.addPod(pod("c", "web"));
  expect(await h.cluster.evictPod("default", "a")).toEqual({ outcome: "evicted" });

  const changes = await h.cluster.podChangesSince(since, { timeoutSeconds: 1 });
  if (changes.outcome !== "changes") throw new Error("expected changes");
  expect(changes.changes.map((c) => [c.type, c.pod.metadata.name])).toEqual([
    ["ADDED", "c"],
    ["DELETED", "a"],
  ]);
  expect(Number(changes.resourceVersion)).toBeGreaterThan(Number(since));

  const nothingNew = await h.cluster.podChangesSince(changes.resourceVersion, { timeoutSeconds: 1 });
  expect(nothingNew).toEqual({ outcome: "changes", changes: [], resourceVersion: changes.resourceVersion });

  const dbOnly = await h.cluster.podChangesSince(since, { timeoutSeconds: 1, labelSelector: "app=db" });
  expect(dbOnly.outcome === "changes" && dbOnly.changes).toEqual([]);

  h.compact();
  expect(await h.cluster.podChangesSince(since, { timeoutSeconds: 1 })).toEqual({ outcome: "expired" });
}
