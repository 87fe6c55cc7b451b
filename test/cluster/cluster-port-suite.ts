/**
 * What every `Cluster` adapter must do, as one suite that takes a harness factory: reads with
 * field and label selectors, paging, changes since a resourceVersion, patches, status writes,
 * events, evictions under PodDisruptionBudgets, deletes. test/kube/real-apiserver-cluster.test.ts
 * runs it against a real kube-apiserver; any other adapter can run it with its own harness.
 *
 * The harness seeds objects the way the cluster's other actors would (users, kubelets, the
 * disruption controller), since the port itself only reads them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Node, Pod, PodDisruptionBudget } from "../../lib/api/kubernetes.ts";
import { ec2NodeClass, nodePool } from "../api/samples.ts";
import {
  failedSchedulingEvent,
  incompatibleWithNodePool,
  listAll,
  nominatedEvent,
  type Cluster,
  type CustomObjectKind,
  type RawObject,
} from "../../lib/ports/cluster.ts";

export interface SeenEvent {
  reason: string;
  type: string;
  message: string;
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string };
}

export interface ClusterPortHarness {
  cluster: Cluster;
  /** A node as its kubelet registers it. */
  createNode(node: Node): Promise<void>;
  /** A pod as a user creates it, then its status as a kubelet would report it (phase, Ready). */
  createPod(pod: Pod): Promise<void>;
  getPod(namespace: string, name: string): Promise<(Pod & { metadata: { deletionTimestamp?: string } }) | undefined>;
  /** A PDB with the status the disruption controller would compute: `disruptionsAllowed` now. */
  createPodDisruptionBudget(pdb: PodDisruptionBudget, disruptionsAllowed: number): Promise<void>;
  createCustomObject(kind: CustomObjectKind, object: RawObject): Promise<void>;
  getCustomObject(kind: CustomObjectKind, name: string): Promise<RawObject | undefined>;
  events(namespace: string): Promise<SeenEvent[]>;
  /**
   * A cluster (possibly another instance) and a resourceVersion whose history it no longer keeps,
   * as after etcd compaction once the watch cache's window has moved past it.
   */
  compactedHistory(): Promise<{ cluster: Cluster; resourceVersion: string }>;
  close(): Promise<void>;
}

const node = (name: string, labels: Record<string, string> = {}, finalizers?: string[]): Node => ({
  metadata: { name, labels, ...(finalizers ? { finalizers } : {}) },
  spec: { providerID: `aws:///us-east-1a/i-${name}` },
});

const pod = (name: string, fields: { namespace?: string; nodeName?: string; phase?: string; labels?: Record<string, string> } = {}): Pod => ({
  metadata: { name, namespace: fields.namespace ?? "default", labels: fields.labels ?? {} },
  spec: { ...(fields.nodeName ? { nodeName: fields.nodeName } : {}), containers: [{ name: "app", image: "app:1" }] },
  status: { phase: fields.phase ?? (fields.nodeName ? "Running" : "Pending") },
});

const names = (items: Array<{ metadata: { name: string } }>) => items.map((i) => i.metadata.name).sort();

export function clusterPortSuite(adapter: string, makeHarness: () => Promise<ClusterPortHarness>, setupTimeoutMs = 120_000): void {
  describe(`Cluster port on ${adapter}`, () => {
    let h: ClusterPortHarness;
    let c: Cluster;
    beforeAll(async () => {
      h = await makeHarness();
      c = h.cluster;
    }, setupTimeoutMs);
    afterAll(async () => {
      await h?.close();
    });

    it("lists pending pods by field selector: unbound and unfinished only, across namespaces", async () => {
      await h.createNode(node("reads-n1"));
      await h.createPod(pod("reads-pending", { namespace: "team-a" }));
      await h.createPod(pod("reads-bound", { nodeName: "reads-n1" }));
      await h.createPod(pod("reads-done", { phase: "Succeeded", nodeName: "reads-n1" }));
      await h.createPod(pod("reads-failed-unbound", { phase: "Failed" }));
      const pending = await listAll((o) => c.listPendingPods(o));
      expect(names(pending).filter((n) => n.startsWith("reads-"))).toEqual(["reads-pending"]);
      expect(names((await c.listPodsOnNode("reads-n1")).items)).toEqual(["reads-bound"]);
      expect(await c.getNode("reads-n1")).toMatchObject({ metadata: { name: "reads-n1" }, spec: { providerID: "aws:///us-east-1a/i-reads-n1" } });
      expect(await c.getNode("reads-missing")).toBeUndefined();
    });

    it("filters pods and nodes by label selector on the server", async () => {
      await h.createPod(pod("sel-web", { labels: { app: "sel-web", tier: "front" } }));
      await h.createPod(pod("sel-db", { labels: { app: "sel-db" } }));
      expect(names((await c.listActivePods({ labelSelector: "app in (sel-web,sel-db),tier" })).items)).toEqual(["sel-web"]);
      await h.createNode(node("sel-n1", { "karpenter.sh/nodepool": "default" }));
      await h.createNode(node("sel-n2", { "karpenter.sh/nodepool": "default", "karpenter.sh/initialized": "true" }));
      expect(names((await c.listNodes({ labelSelector: "karpenter.sh/nodepool,!karpenter.sh/initialized" })).items)).toEqual(["sel-n1"]);
    });

    it("pages lists with limit and continue, every item exactly once", async () => {
      for (let i = 0; i < 7; i++) await h.createPod(pod(`page-${i}`, { namespace: "paging", labels: { paging: "yes" } }));
      const first = await c.listActivePods({ limit: 3, labelSelector: "paging=yes" });
      expect(first.items).toHaveLength(3);
      expect(first.continue).toBeTruthy();
      const all = await listAll((o) => c.listActivePods({ ...o, labelSelector: "paging=yes" }), 3);
      expect(names(all)).toEqual(["page-0", "page-1", "page-2", "page-3", "page-4", "page-5", "page-6"]);
    });

    it("replays node changes after a list's resourceVersion, in order, filtered by label", async () => {
      const listed = await c.listNodes({ labelSelector: "watch=yes" });
      const since = listed.resourceVersion!;
      expect(since).toBeTruthy();
      await h.createNode(node("watch-n1", { watch: "yes" }));
      await c.patchNodeMetadata("watch-n1", { labels: { stage: "two" } });
      await h.createNode(node("watch-other", { watch: "no" }));
      await c.deleteNode("watch-n1");
      const changes = await c.nodeChangesSince(since, { timeoutSeconds: 1, labelSelector: "watch=yes" });
      if (changes.outcome !== "changes") throw new Error("expected changes");
      expect(changes.changes.map((ch) => [ch.type, ch.node.metadata.name, ch.node.metadata.labels?.["stage"]])).toEqual([
        ["ADDED", "watch-n1", undefined],
        ["MODIFIED", "watch-n1", "two"],
        ["DELETED", "watch-n1", "two"],
      ]);
      expect(BigInt(changes.resourceVersion)).toBeGreaterThan(BigInt(since));
      const nothingNew = await c.nodeChangesSince(changes.resourceVersion, { timeoutSeconds: 1, labelSelector: "watch=yes" });
      expect(nothingNew.outcome === "changes" && nothingNew.changes).toEqual([]);
    });

    it("replays pod changes after a list's resourceVersion, filtered by label", async () => {
      const since = (await c.listActivePods({ labelSelector: "app=podwatch" })).resourceVersion!;
      await h.createPod(pod("podwatch-a", { labels: { app: "podwatch" } }));
      await h.createPod(pod("podwatch-other", { labels: { app: "elsewhere" } }));
      const changes = await c.podChangesSince(since, { timeoutSeconds: 1, labelSelector: "app=podwatch" });
      if (changes.outcome !== "changes") throw new Error("expected changes");
      // Created, then its status written (as a kubelet would): both arrive, in order.
      expect(changes.changes.map((ch) => ch.pod.metadata.name)).toContain("podwatch-a");
      expect(changes.changes.every((ch) => ch.pod.metadata.name === "podwatch-a")).toBe(true);
      expect(changes.changes[0]!.type).toBe("ADDED");
    });

    it("reports changes since a compacted resourceVersion as expired, so the caller lists again", async () => {
      const old = await h.compactedHistory();
      expect(await old.cluster.nodeChangesSince(old.resourceVersion, { timeoutSeconds: 1 })).toEqual({ outcome: "expired" });
      expect(await old.cluster.podChangesSince(old.resourceVersion, { timeoutSeconds: 1 })).toEqual({ outcome: "expired" });
    });

    it("patches node labels, annotations, cordon and finalizers without touching anything else", async () => {
      await h.createNode(node("patch-n1", { keep: "me", drop: "me" }, ["example.com/other"]));
      const merged = await c.patchNodeMetadata("patch-n1", { labels: { added: "yes", drop: null }, annotations: { note: "x" } });
      expect(merged?.metadata.labels).toEqual({ keep: "me", added: "yes" });
      expect(merged?.metadata.annotations).toMatchObject({ note: "x" });
      expect((await c.setNodeUnschedulable("patch-n1", true))?.spec.unschedulable).toBe(true);
      // Finalizers are a set: order is the server's business, membership is ours.
      expect((await c.addNodeFinalizer("patch-n1", "karpenter.sh/termination"))?.metadata.finalizers?.sort()).toEqual(["example.com/other", "karpenter.sh/termination"]);
      expect((await c.addNodeFinalizer("patch-n1", "karpenter.sh/termination"))?.metadata.finalizers?.sort()).toEqual(["example.com/other", "karpenter.sh/termination"]);
      expect((await c.removeNodeFinalizer("patch-n1", "karpenter.sh/termination"))?.metadata.finalizers).toEqual(["example.com/other"]);
      expect(await c.patchNodeMetadata("patch-missing", { labels: { a: "b" } })).toBeUndefined();
      expect(await c.setNodeUnschedulable("patch-missing", true)).toBeUndefined();
    });

    it("replaces taints only when the node is still at the resourceVersion read", async () => {
      await h.createNode(node("taint-n1"));
      const read = (await c.getNode("taint-n1"))!;
      const taint = { key: "karpenter.sh/disrupted", effect: "NoSchedule" as const };
      const written = await c.replaceNodeTaints("taint-n1", [taint], read.metadata.resourceVersion!);
      expect(written.outcome === "written" && written.object.spec.taints).toEqual([taint]);
      // Someone else wrote the node since `read`: the stale write is refused, not merged.
      expect(await c.replaceNodeTaints("taint-n1", [], read.metadata.resourceVersion!)).toEqual({ outcome: "conflict" });
      expect((await c.getNode("taint-n1"))!.spec.taints).toEqual([taint]);
      expect(await c.replaceNodeTaints("taint-missing", [], "1")).toEqual({ outcome: "not-found" });
    });

    it("writes NodePool and EC2NodeClass conditions to status only", async () => {
      await h.createCustomObject("NodePool", { ...nodePool(), metadata: { name: "status-pool" }, spec: { ...nodePool().spec, weight: 7 } });
      await h.createCustomObject("EC2NodeClass", { ...ec2NodeClass(), metadata: { name: "status-class" } });
      const condition = { type: "ValidationSucceeded", status: "False" as const, reason: "Invalid", message: "bad", lastTransitionTime: "2026-01-01T00:00:00Z" };
      expect(await c.setCustomObjectConditions("NodePool", "status-pool", [condition])).toBe("written");
      const pool = await h.getCustomObject("NodePool", "status-pool");
      expect((pool?.["status"] as { conditions?: unknown[] }).conditions).toEqual([condition]);
      expect((pool?.["spec"] as { weight?: number }).weight).toBe(7);
      expect(await c.setCustomObjectConditions("EC2NodeClass", "status-class", [condition])).toBe("written");
      expect(((await h.getCustomObject("EC2NodeClass", "status-class"))?.["status"] as { conditions?: unknown[] }).conditions).toEqual([condition]);
      expect(await c.setCustomObjectConditions("NodePool", "status-missing", [condition])).toBe("not-found");
      expect(names((await c.listCustomObjects("NodePool")).items as Array<{ metadata: { name: string } }>)).toContain("status-pool");
    });

    it("merges NodePool and EC2NodeClass status fields into the status subresource, keeping the fields a patch does not name", async () => {
      await h.createCustomObject("NodePool", { ...nodePool(), metadata: { name: "status-merge" }, spec: { ...nodePool().spec, weight: 3 } });
      await h.createCustomObject("EC2NodeClass", { ...ec2NodeClass(), metadata: { name: "status-merge-class" } });
      const ready = { type: "Ready", status: "True" as const, reason: "Ready", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" };
      const status = { resources: { cpu: "4", memory: "16Gi", nodes: "2" }, nodes: 2, conditions: [ready] };
      expect(await c.patchCustomObjectStatus("NodePool", "status-merge", status)).toBe("written");
      expect(await c.patchCustomObjectStatus("NodePool", "status-merge", { nodes: 3 })).toBe("written");
      const pool = await h.getCustomObject("NodePool", "status-merge");
      expect(pool?.["status"]).toEqual({ ...status, nodes: 3 });
      expect((pool?.["spec"] as { weight?: number }).weight).toBe(3);
      const classStatus = { subnets: [{ id: "subnet-1", zone: "us-east-1a", zoneID: "use1-az1" }], securityGroups: [{ id: "sg-1", name: "nodes" }], instanceProfile: "tenon_c_123", conditions: [ready] };
      expect(await c.patchCustomObjectStatus("EC2NodeClass", "status-merge-class", classStatus)).toBe("written");
      expect((await h.getCustomObject("EC2NodeClass", "status-merge-class"))?.["status"]).toEqual(classStatus);
      expect(await c.patchCustomObjectStatus("NodePool", "status-merge-missing", { nodes: 1 })).toBe("not-found");
    });

    it("records Nominated and FailedScheduling events on the pod, a retried event only once", async () => {
      const target: Pod = { ...pod("evt-pod"), metadata: { name: "evt-pod", namespace: "default", uid: "u-evt" } };
      await c.recordEvent(nominatedEvent(target, "default-abc12"));
      await c.recordEvent(nominatedEvent(target, "default-abc12"));
      await c.recordEvent(failedSchedulingEvent(target, incompatibleWithNodePool("gpu", 'taint "nvidia.com/gpu" is not tolerated')));
      const seen = (await h.events("default")).filter((e) => e.involvedObject.name === "evt-pod");
      expect(seen.map((e) => [e.reason, e.type, e.message]).sort()).toEqual([
        ["FailedScheduling", "Warning", 'incompatible with NodePool gpu because taint "nvidia.com/gpu" is not tolerated'],
        ["Nominated", "Normal", "Pod should schedule on NodeClaim default-abc12"],
      ]);
      expect(seen[0]!.involvedObject).toMatchObject({ kind: "Pod", name: "evt-pod", namespace: "default", uid: "u-evt" });
    });

    it("evicts through the Eviction API: blocked (429) while a PDB allows no disruption, then evicted", async () => {
      await h.createNode(node("evict-n1"));
      await h.createPod(pod("guarded", { namespace: "evict", nodeName: "evict-n1", labels: { app: "guarded" } }));
      await h.createPod(pod("free", { namespace: "evict", nodeName: "evict-n1", labels: { app: "free" } }));
      await h.createPodDisruptionBudget({ metadata: { name: "guarded-pdb", namespace: "evict" }, spec: { minAvailable: 1, selector: { matchLabels: { app: "guarded" } } } }, 0);
      const blocked = await c.evictPod("evict", "guarded");
      expect(blocked.outcome).toBe("blocked");
      expect(blocked.outcome === "blocked" && blocked.message).toMatch(/disruption budget guarded-pdb/);
      expect((await h.getPod("evict", "guarded"))?.metadata.deletionTimestamp).toBeUndefined();

      expect(await c.evictPod("evict", "free")).toEqual({ outcome: "evicted" });
      const evicted = await h.getPod("evict", "free");
      // Bound pods are deleted gracefully: the kubelet would finish the job.
      expect(evicted === undefined || Boolean(evicted.metadata.deletionTimestamp)).toBe(true);
      expect(await c.evictPod("evict", "missing")).toEqual({ outcome: "not-found" });
    });

    it("lets a PDB that allows one disruption admit exactly one eviction", async () => {
      await h.createNode(node("budget-n1"));
      await h.createPod(pod("b1", { namespace: "budget", nodeName: "budget-n1", labels: { app: "b" } }));
      await h.createPod(pod("b2", { namespace: "budget", nodeName: "budget-n1", labels: { app: "b" } }));
      await h.createPodDisruptionBudget({ metadata: { name: "b-pdb", namespace: "budget" }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: "b" } } } }, 1);
      expect(await c.evictPod("budget", "b1")).toEqual({ outcome: "evicted" });
      expect((await c.evictPod("budget", "b2")).outcome).toBe("blocked");
      expect(names((await c.listPodDisruptionBudgets()).items)).toContain("b-pdb");
    });

    it("deletes a node once and reports the second delete as not-found", async () => {
      await h.createNode(node("del-n1"));
      expect(await c.deleteNode("del-n1")).toBe("deleted");
      expect(await c.getNode("del-n1")).toBeUndefined();
      expect(await c.deleteNode("del-n1")).toBe("not-found");
    });
  });
}
