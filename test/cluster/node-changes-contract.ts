/** One behaviour for every Cluster adapter: catching up on node changes from a node list's resourceVersion. */
import { expect } from "vitest";
import type { Node } from "../../lib/api/kubernetes.ts";
import type { Cluster } from "../../lib/ports/cluster.ts";

export interface NodeChangesHarness {
  cluster: Cluster;
  addNode(node: Node): void;
  /** Forget history, as etcd compaction does. */
  compact(): void;
}

const node = (name: string, pool: string): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels: { "karpenter.sh/nodepool": pool } },
  spec: { providerID: `aws:///us-east-1a/i-${name}` },
  status: { allocatable: { cpu: "4", memory: "16Gi", pods: "110" } },
});

export async function checkNodeChanges(h: NodeChangesHarness): Promise<void> {
  h.addNode(node("a", "default"));
  h.addNode(node("b", "gpu"));
  const listed = await h.cluster.listNodes();
  expect(listed.items.map((n) => n.metadata.name)).toEqual(["a", "b"]);
  const since = listed.resourceVersion!;
  expect(since).toBeTruthy();

  h.addNode(node("c", "default"));
  await h.cluster.patchNodeMetadata("a", { labels: { team: "x" } });
  const b = (await h.cluster.getNode("b"))!;
  expect((await h.cluster.replaceNodeTaints("b", [{ key: "k", effect: "NoSchedule" }], b.metadata.resourceVersion!)).outcome).toBe("written");
  expect(await h.cluster.deleteNode("a")).toBe("deleted");

  const changes = await h.cluster.nodeChangesSince(since, { timeoutSeconds: 1 });
  if (changes.outcome !== "changes") throw new Error("expected changes");
  expect(changes.changes.map((c) => [c.type, c.node.metadata.name])).toEqual([
    ["ADDED", "c"],
    ["MODIFIED", "a"],
    ["MODIFIED", "b"],
    ["DELETED", "a"],
  ]);
  expect(changes.changes[1]!.node.metadata.labels).toMatchObject({ team: "x" });
  expect(changes.changes[2]!.node.spec.taints).toEqual([{ key: "k", effect: "NoSchedule" }]);
  expect(Number(changes.resourceVersion)).toBeGreaterThan(Number(since));

  const nothingNew = await h.cluster.nodeChangesSince(changes.resourceVersion, { timeoutSeconds: 1 });
  expect(nothingNew).toEqual({ outcome: "changes", changes: [], resourceVersion: changes.resourceVersion });

  const gpuOnly = await h.cluster.nodeChangesSince(since, { timeoutSeconds: 1, labelSelector: "karpenter.sh/nodepool=gpu" });
  expect(gpuOnly.outcome === "changes" && gpuOnly.changes.map((c) => [c.type, c.node.metadata.name])).toEqual([["MODIFIED", "b"]]);

  h.compact();
  expect(await h.cluster.nodeChangesSince(since, { timeoutSeconds: 1 })).toEqual({ outcome: "expired" });
}
