/**
 * One behaviour for every Cluster adapter (lib/ports/cluster.ts): reads, node writes (patches,
 * taints with their resourceVersion guard, cordon, labels, finalizers), custom-object status,
 * events, evictions under PodDisruptionBudgets (429 as "blocked") and deletes. `clusterContract`
 * takes a factory, so any adapter (the in-memory cluster, the kube adapter over the fake API
 * server, the kube adapter over a real kube-apiserver) runs the same suite.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Node, Pod, PodDisruptionBudget, VolumeAttachment } from "../../lib/api/kubernetes.ts";
import { listAll, updateNodeTaints, type Cluster, type ClusterEvent, type RawObject } from "../../lib/ports/cluster.ts";

export interface ClusterHarness {
  cluster: Cluster;
  addNode(node: Node): void;
  addPod(pod: Pod): void;
  addPodDisruptionBudget(budget: PodDisruptionBudget): void;
  addNodePool(object: RawObject & { metadata: { name: string } }): void;
  /** As the attach/detach controller creates one. */
  addVolumeAttachment(attachment: VolumeAttachment): void;
  /** The pod as the cluster now has it (undefined once deleted or evicted). */
  pod(namespace: string, name: string): Pod | undefined;
  /** The events recorded through `recordEvent`, oldest first. */
  events(): ClusterEvent[];
  close?(): Promise<void>;
}

const node = (name: string, labels: Record<string, string> = {}): Node =>
  ({
    apiVersion: "v1", kind: "Node",
    metadata: { name, labels },
    spec: { providerID: `aws:///us-east-1a/i-${name}` },
    status: { allocatable: { cpu: "4", memory: "16Gi", pods: "110" }, conditions: [{ type: "Ready", status: "True" }] },
  }) as Node;

const pod = (name: string, nodeName: string, labels: Record<string, string> = { app: "web" }): Pod =>
  ({
    apiVersion: "v1", kind: "Pod",
    metadata: { name, namespace: "shop", labels, uid: `uid-${name}` },
    spec: { nodeName, containers: [{ name: "app", image: "app:1", resources: { requests: { cpu: "100m" } } }] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  }) as Pod;

const budget = (minAvailable: number): PodDisruptionBudget =>
  ({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web-pdb", namespace: "shop" }, spec: { minAvailable, selector: { matchLabels: { app: "web" } } } }) as PodDisruptionBudget;

export function clusterContract(adapter: string, make: () => Promise<ClusterHarness>): void {
  describe(`the Cluster port: ${adapter}`, () => {
    let h: ClusterHarness | undefined;
    const start = async () => (h = await make());
    afterEach(async () => {
      await h?.close?.();
      h = undefined;
    });

    it("reads nodes by name and page by page", async () => {
      const { cluster, addNode } = await start();
      for (const name of ["a", "b", "c"]) addNode(node(name, { "karpenter.sh/nodepool": "default" }));
      expect((await cluster.getNode("b"))?.metadata.name).toBe("b");
      expect(await cluster.getNode("nope")).toBeUndefined();
      const first = await cluster.listNodes({ limit: 2 });
      expect(first.items).toHaveLength(2);
      expect(first.continue).toBeTruthy();
      expect((await listAll((o) => cluster.listNodes(o), 2)).map((n) => n.metadata.name).sort()).toEqual(["a", "b", "c"]);
    });

    it("lists VolumeAttachments page by page, with the node and the persistent volume of each", async () => {
      const { cluster, addVolumeAttachment } = await start();
      const attachment = (name: string, nodeName: string, pv?: string): VolumeAttachment => ({
        apiVersion: "storage.k8s.io/v1",
        kind: "VolumeAttachment",
        metadata: { name },
        spec: { attacher: "ebs.csi.aws.com", nodeName, source: pv ? { persistentVolumeName: pv } : { inlineVolumeSpec: { csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-1" } } } },
      });
      addVolumeAttachment(attachment("csi-a", "n1", "pv-a"));
      addVolumeAttachment(attachment("csi-b", "n2", "pv-b"));
      addVolumeAttachment(attachment("csi-c", "n1"));
      const first = await cluster.listVolumeAttachments({ limit: 2 });
      expect(first.items).toHaveLength(2);
      expect(first.continue).toBeTruthy();
      const all = await listAll((o) => cluster.listVolumeAttachments(o), 2);
      expect(all.map((a) => [a.metadata.name, a.spec.nodeName, a.spec.source.persistentVolumeName]).sort()).toEqual([
        ["csi-a", "n1", "pv-a"],
        ["csi-b", "n2", "pv-b"],
        ["csi-c", "n1", undefined],
      ]);
    });

    it("reads the pods on a node", async () => {
      const { cluster, addNode, addPod } = await start();
      addNode(node("n1"));
      addNode(node("n2"));
      addPod(pod("a", "n1"));
      addPod(pod("b", "n2"));
      expect((await listAll((o) => cluster.listPodsOnNode("n1", o))).map((p) => p.metadata.name)).toEqual(["a"]);
    });

    it("merges label patches, cordons, and adds and removes finalizers, each idempotent", async () => {
      const { cluster, addNode } = await start();
      addNode(node("n1", { keep: "yes" }));
      await cluster.patchNodeMetadata("n1", { labels: { "karpenter.sh/registered": "true" } });
      await cluster.patchNodeMetadata("n1", { labels: { "karpenter.sh/registered": "true" } });
      await cluster.setNodeUnschedulable("n1", true);
      await cluster.setNodeUnschedulable("n1", true);
      await cluster.addNodeFinalizer("n1", "karpenter.sh/termination");
      await cluster.addNodeFinalizer("n1", "karpenter.sh/termination");
      let n1 = (await cluster.getNode("n1"))!;
      expect(n1.metadata.labels).toMatchObject({ keep: "yes", "karpenter.sh/registered": "true" });
      expect(n1.spec.unschedulable).toBe(true);
      expect(n1.metadata.finalizers).toEqual(["karpenter.sh/termination"]);
      await cluster.removeNodeFinalizer("n1", "karpenter.sh/termination");
      n1 = (await cluster.getNode("n1"))!;
      expect(n1.metadata.finalizers ?? []).toEqual([]);
      expect(await cluster.patchNodeMetadata("gone", { labels: { a: "b" } })).toBeUndefined();
    });

    it("keeps a deleted node with a finalizer, marked with a deletionTimestamp, until the finalizer goes", async () => {
      const { cluster, addNode } = await start();
      addNode(node("n1"));
      await cluster.addNodeFinalizer("n1", "karpenter.sh/termination");
      expect(await cluster.deleteNode("n1")).toBe("deleted");
      const deleting = await cluster.getNode("n1");
      expect(deleting?.metadata.deletionTimestamp).toBeTruthy();
      expect(deleting?.metadata.finalizers).toEqual(["karpenter.sh/termination"]);
      await cluster.removeNodeFinalizer("n1", "karpenter.sh/termination");
      for (let i = 0; i < 50 && (await cluster.getNode("n1")); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await cluster.getNode("n1")).toBeUndefined();
    });

    it("replaces taints only at the resourceVersion read, so a concurrent writer is not overwritten", async () => {
      const { cluster, addNode } = await start();
      addNode(node("n1"));
      const read = (await cluster.getNode("n1"))!;
      const taint = { key: "karpenter.sh/disrupted", effect: "NoSchedule" as const };
      expect((await cluster.replaceNodeTaints("n1", [taint], read.metadata.resourceVersion!)).outcome).toBe("written");
      expect((await cluster.replaceNodeTaints("n1", [], read.metadata.resourceVersion!)).outcome).toBe("conflict");
      expect((await cluster.getNode("n1"))!.spec.taints).toEqual([taint]);
      await updateNodeTaints(cluster, "n1", (taints) => taints.filter((t) => t.key !== taint.key));
      expect((await cluster.getNode("n1"))!.spec.taints ?? []).toEqual([]);
      expect((await cluster.replaceNodeTaints("gone", [], "1")).outcome).toBe("not-found");
    });

    it("writes a NodePool's status conditions", async () => {
      const { cluster, addNodePool } = await start();
      addNodePool({ apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "default" }, spec: {} });
      const condition = { type: "Ready", status: "True" as const, reason: "Ready", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" };
      expect(await cluster.setCustomObjectConditions("NodePool", "default", [condition])).toBe("written");
      expect(await cluster.setCustomObjectConditions("NodePool", "gone", [condition])).toBe("not-found");
      const [stored] = await listAll((o) => cluster.listCustomObjects("NodePool", o));
      expect(stored).toMatchObject({ status: { conditions: [expect.objectContaining({ type: "Ready", status: "True" })] } });
    });

    it("records events on nodes and pods", async () => {
      const { cluster, events } = await start();
      await cluster.recordEvent({ involvedObject: { apiVersion: "v1", kind: "Node", name: "n1" }, type: "Warning", reason: "SpotInterrupted", message: "going away" });
      expect(events().map((e) => [e.involvedObject.kind, e.involvedObject.name, e.reason, e.type])).toEqual([["Node", "n1", "SpotInterrupted", "Warning"]]);
    });

    it("evicts while the PodDisruptionBudget allows it, then answers blocked (429), and not-found for a pod that is gone", async () => {
      const { cluster, addNode, addPod, addPodDisruptionBudget, pod: current } = await start();
      addNode(node("n1"));
      for (const name of ["a", "b", "c"]) addPod(pod(name, "n1"));
      addPodDisruptionBudget(budget(2));
      expect(await cluster.evictPod("shop", "a")).toEqual({ outcome: "evicted" });
      expect(current("shop", "a")).toBeUndefined();
      const blocked = await cluster.evictPod("shop", "b");
      expect(blocked.outcome).toBe("blocked");
      expect(current("shop", "b")).toBeDefined();
      expect(await cluster.evictPod("shop", "a")).toEqual({ outcome: "not-found" });
    });

    it("deletes a pod outright even while the PodDisruptionBudget allows no eviction; deleting again is not an error", async () => {
      const { cluster, addNode, addPod, addPodDisruptionBudget, pod: current } = await start();
      addNode(node("n1"));
      for (const name of ["a", "b"]) addPod(pod(name, "n1"));
      addPodDisruptionBudget(budget(2));
      expect((await cluster.evictPod("shop", "a")).outcome).toBe("blocked");
      expect(await cluster.deletePodGracefully("shop", "a")).toBe("deleted");
      expect(current("shop", "a")).toBeUndefined();
      expect(await cluster.deletePodGracefully("shop", "a")).toBe("not-found");
    });

    it("deletes a node once; deleting again is not an error", async () => {
      const { cluster, addNode } = await start();
      addNode(node("n1"));
      expect(await cluster.deleteNode("n1")).toBe("deleted");
      expect(await cluster.deleteNode("n1")).toBe("not-found");
      expect(await cluster.getNode("n1")).toBeUndefined();
    });
  });
}
