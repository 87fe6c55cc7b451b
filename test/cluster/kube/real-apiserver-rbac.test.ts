/**
 * The ClusterRoles in docs/kubernetes.md, applied to a real kube-apiserver (RBAC authorizer): the
 * adapter, authenticated as a user whose only rights come from those roles, can do everything the
 * functions do; a request outside them is denied by the server, not by us; and a user in group
 * `tenon` alone (the consolidator's and drift checker's access entry) cannot evict or delete.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeCluster } from "../../../lib/cluster/kube/kube-cluster.ts";
import { ec2NodeClass, nodePool } from "../../api/samples.ts";
import { apiServerUnavailable, applyDocumentedRbac, startRealApiServer, TOKENS, type RealApiServer } from "../../support/apiserver.ts";

const skip = await apiServerUnavailable();

describe.skipIf(Boolean(skip))("documented RBAC on a real kube-apiserver", () => {
  let server: RealApiServer;
  let tenon: KubeCluster;

  beforeAll(async () => {
    server = await startRealApiServer();
    await server.installKarpenterCrds();
    await applyDocumentedRbac(server);
    for (const name of ["n1", "n2"]) await server.must("POST", "/api/v1/nodes", { body: { metadata: { name }, spec: { providerID: `aws:///us-east-1a/i-${name}` } } });
    for (const [name, nodeName] of [["p1", "n1"], ["p2", "n2"], ["pending", undefined]] as const) {
      await server.must("POST", "/api/v1/namespaces/default/pods", {
        body: { metadata: { name, labels: { app: "web" } }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: "app", image: "app:1" }] } },
      });
    }
    await server.must("POST", "/apis/storage.k8s.io/v1/volumeattachments", {
      body: { metadata: { name: "csi-n1-data" }, spec: { attacher: "ebs.csi.aws.com", nodeName: "n1", source: { persistentVolumeName: "pv-data" } } },
    });
    await server.must("POST", "/apis/karpenter.sh/v1/nodepools", { body: nodePool() });
    await server.must("POST", "/apis/karpenter.k8s.aws/v1/ec2nodeclasses", { body: ec2NodeClass() });
    tenon = server.kubeCluster(TOKENS.tenon);
  }, 20 * 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("lets the functions' user make every call the adapter makes", async () => {
    const condition = { type: "Ready", status: "True" as const, reason: "Ready", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" };
    expect((await tenon.listPendingPods()).items.map((p) => p.metadata.name)).toEqual(["pending"]);
    expect((await tenon.listActivePods({ labelSelector: "app=web" })).items).toHaveLength(3);
    expect((await tenon.listPodsOnNode("n1")).items.map((p) => p.metadata.name)).toEqual(["p1"]);
    const nodes = await tenon.listNodes();
    expect(nodes.items.map((n) => n.metadata.name)).toEqual(["n1", "n2"]);
    expect((await tenon.podChangesSince(nodes.resourceVersion!, { timeoutSeconds: 1 })).outcome).toBe("changes");
    expect((await tenon.nodeChangesSince(nodes.resourceVersion!, { timeoutSeconds: 1 })).outcome).toBe("changes");
    const n = await tenon.getNode("n1");
    await tenon.listDaemonSets();
    await tenon.listPodDisruptionBudgets();
    await tenon.listPersistentVolumeClaims();
    await tenon.listPersistentVolumes();
    await tenon.listStorageClasses();
    expect((await tenon.listVolumeAttachments()).items.map((a) => [a.metadata.name, a.spec.nodeName, a.spec.source.persistentVolumeName])).toEqual([["csi-n1-data", "n1", "pv-data"]]);
    expect((await tenon.listCustomObjects("NodePool")).items).toHaveLength(1);
    expect((await tenon.listCustomObjects("EC2NodeClass")).items).toHaveLength(1);
    expect(await tenon.patchNodeMetadata("n1", { labels: { a: "b" } })).toBeDefined();
    expect(await tenon.setNodeUnschedulable("n1", true)).toBeDefined();
    expect((await tenon.replaceNodeTaints("n1", [], (await tenon.getNode("n1"))!.metadata.resourceVersion!)).outcome).toBe("written");
    expect(n).toBeDefined();
    expect(await tenon.addNodeFinalizer("n1", "karpenter.sh/termination")).toBeDefined();
    expect(await tenon.removeNodeFinalizer("n1", "karpenter.sh/termination")).toBeDefined();
    expect(await tenon.setCustomObjectConditions("NodePool", "default", [condition])).toBe("written");
    expect(await tenon.setCustomObjectConditions("EC2NodeClass", "default", [condition])).toBe("written");
    await tenon.recordEvent({ involvedObject: { kind: "Pod", name: "p1", namespace: "default" }, type: "Normal", reason: "Nominated", message: "m" });
    expect(await tenon.evictPod("default", "p1")).toEqual({ outcome: "evicted" });
    expect(await tenon.deletePodGracefully("default", "pending")).toBe("deleted");
    expect(await tenon.deleteNode("n1")).toBe("deleted");
  });

  it("lets group tenon alone (consolidator, drift) read, taint and record events, and refuses it evictions, pod deletes and node deletes", async () => {
    const planner = server.kubeCluster(TOKENS.planner);
    const asPlanner = { token: TOKENS.planner };
    expect((await planner.listPodsOnNode("n2")).items.map((p) => p.metadata.name)).toEqual(["p2"]);
    await planner.listPodDisruptionBudgets();
    const n2 = (await planner.getNode("n2"))!;
    const taint = { key: "karpenter.sh/disrupted", effect: "NoSchedule" as const };
    expect((await planner.replaceNodeTaints("n2", [taint], n2.metadata.resourceVersion!)).outcome).toBe("written");
    await planner.recordEvent({ involvedObject: { kind: "Node", name: "n2" }, type: "Normal", reason: "DisruptionBlocked", message: "m" });
    expect((await server.request("POST", "/api/v1/namespaces/default/pods/p2/eviction", { ...asPlanner, body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "p2", namespace: "default" } } })).status).toBe(403);
    expect((await server.request("DELETE", "/api/v1/namespaces/default/pods/p2", asPlanner)).status).toBe(403);
    expect((await server.request("DELETE", "/api/v1/nodes/n2", asPlanner)).status).toBe(403);
    // All still there, as the lifecycle function's termination path will find them.
    expect((await tenon.listPodsOnNode("n2")).items.map((p) => p.metadata.name)).toEqual(["p2"]);
    expect((await tenon.getNode("n2"))?.spec.taints).toEqual([taint]);
  });

  it("denies the functions' user what the role leaves out", async () => {
    const asTenon = { token: TOKENS.tenon };
    // Pods are read, evicted and (when a terminationGracePeriod runs out) deleted, never created.
    expect((await server.request("POST", "/api/v1/namespaces/default/pods", { ...asTenon, body: { apiVersion: "v1", kind: "Pod", metadata: { name: "x" }, spec: { containers: [{ name: "c", image: "i" }] } } })).status).toBe(403);
    expect((await server.request("GET", "/api/v1/secrets", asTenon)).status).toBe(403);
    // VolumeAttachments are listed, never written (the attach/detach controller owns them).
    expect((await server.request("DELETE", "/apis/storage.k8s.io/v1/volumeattachments/csi-n1-data", asTenon)).status).toBe(403);
    // NodePools are read and their status written; their spec belongs to the user.
    expect((await server.request("PATCH", "/apis/karpenter.sh/v1/nodepools/default", { ...asTenon, body: { spec: { weight: 5 } }, contentType: "application/merge-patch+json" })).status).toBe(403);
    // An unknown token is refused by the server, and the adapter says what it was attempting.
    const intruder = server.kubeCluster("not-a-token");
    await expect(intruder.listNodes()).rejects.toThrow(/list Nodes: HTTP 401/);
  });
});
