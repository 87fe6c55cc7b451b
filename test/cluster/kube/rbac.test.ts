import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeApiServer, type FakeApiServer } from "../../../lib/cluster/kube/fake-apiserver.ts";
import { allows, attributesOf, documentedRules, grantedKeys, rbacKey } from "../../support/rbac.ts";
import { clusterAgainst, node, pod } from "../../support/kube.ts";

describe("documented RBAC", () => {
  let server: FakeApiServer;
  beforeAll(async () => {
    server = await startFakeApiServer();
    server.put("/nodes", node("n1"));
    server.put("/pods", pod("p1", { nodeName: "n1" }));
    server.put("karpenter.sh/nodepools", { metadata: { name: "default" }, spec: {} });
    server.put("karpenter.k8s.aws/ec2nodeclasses", { metadata: { name: "default" }, spec: {} });
    const c = clusterAgainst(server);
    const condition = { type: "Ready", status: "True" as const, reason: "Ready", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" };
    // Every port method once.
    await c.listPendingPods();
    await c.listActivePods({ labelSelector: "app=web" });
    await c.listPodsOnNode("n1");
    await c.podChangesSince("1", { timeoutSeconds: 1 });
    await c.listNodes();
    await c.nodeChangesSince("1", { timeoutSeconds: 1 });
    const n = await c.getNode("n1");
    await c.listDaemonSets();
    await c.listPodDisruptionBudgets();
    await c.listPersistentVolumeClaims();
    await c.listPersistentVolumes();
    await c.listStorageClasses();
    await c.listVolumeAttachments();
    await c.listCustomObjects("NodePool");
    await c.listCustomObjects("EC2NodeClass");
    await c.patchNodeMetadata("n1", { labels: { a: "b" } });
    await c.setNodeUnschedulable("n1", true);
    await c.replaceNodeTaints("n1", [], n!.metadata.resourceVersion!);
    await c.addNodeFinalizer("n1", "karpenter.sh/termination");
    await c.removeNodeFinalizer("n1", "karpenter.sh/termination");
    await c.setCustomObjectConditions("NodePool", "default", [condition]);
    await c.setCustomObjectConditions("EC2NodeClass", "default", [condition]);
    await c.recordEvent({ involvedObject: { kind: "Pod", name: "p1", namespace: "default" }, type: "Normal", reason: "Nominated", message: "m" });
    await c.evictPod("default", "p1");
    await c.deletePodGracefully("default", "p1");
    await c.listNodeClaimObjects({ labelSelector: "tenon.sh/managed-by=c" });
    await c.listLeases("karpenter-leader-election");
    await c.createNodeClaimObject({ apiVersion: "karpenter.sh/v1", kind: "NodeClaim", metadata: { name: "default-abcde" }, spec: {} });
    await c.patchNodeClaimObjectMetadata("default-abcde", { labels: { a: "b" } });
    await c.patchNodeClaimObjectStatus("default-abcde", { providerID: "aws:///us-east-1a/i-1" });
    await c.deleteNodeClaimObject("default-abcde", "uid-default-abcde");
    await c.deleteNode("n1");
  });
  afterAll(async () => {
    await server.close();
  });

  it("allows every request the adapter makes", () => {
    const rules = documentedRules();
    const denied = server.requests.map(attributesOf).filter((a) => !allows(rules, a));
    expect(denied).toEqual([]);
  });

  it("grants nothing the adapter does not use", () => {
    const used = new Set(server.requests.map((r) => rbacKey(attributesOf(r))));
    const unused = grantedKeys(documentedRules()).filter((k) => !used.has(k));
    expect(unused).toEqual([]);
  });
});
