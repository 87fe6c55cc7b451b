import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { failedSchedulingEvent, incompatibleWithNodePool, nominatedEvent, updateNodeTaints } from "../../../lib/ports/cluster.ts";
import type { Pod } from "../../../lib/api/kubernetes.ts";
import { KubeApiError } from "../../../lib/cluster/kube/clients.ts";
import { startFakeApiServer, type FakeApiServer } from "../../../lib/cluster/kube/fake-apiserver.ts";
import { clusterAgainst, node, pod } from "../../support/kube.ts";

let server: FakeApiServer;
beforeEach(async () => {
  server = await startFakeApiServer();
});
afterEach(async () => {
  await server.close();
});

const patches = () => server.requests.filter((r) => r.method === "PATCH");

describe("KubeCluster node writes", () => {
  it("merge-patches labels and annotations, removing a key with null and keeping the rest", async () => {
    server.put("/nodes", node("n1", { labels: { keep: "1", drop: "x" } }));
    const result = await clusterAgainst(server).patchNodeMetadata("n1", {
      labels: { "karpenter.sh/initialized": "true", drop: null },
      annotations: { note: "hi" },
    });

    expect(result?.metadata.labels).toEqual({ keep: "1", "karpenter.sh/initialized": "true" });
    expect(server.get("/nodes", "n1")!.metadata).toMatchObject({ annotations: { note: "hi" } });
    const [req] = patches();
    expect(req).toMatchObject({ path: "/api/v1/nodes/n1", contentType: "application/merge-patch+json" });
    expect(req!.body).toEqual({ metadata: { labels: { "karpenter.sh/initialized": "true", drop: null }, annotations: { note: "hi" } } });
  });

  it("cordons with a strategic merge patch of spec.unschedulable", async () => {
    server.put("/nodes", node("n1"));
    const result = await clusterAgainst(server).setNodeUnschedulable("n1", true);
    expect(result?.spec.unschedulable).toBe(true);
    expect(patches()[0]).toMatchObject({ contentType: "application/strategic-merge-patch+json", body: { spec: { unschedulable: true } } });
  });

  it("adds and removes one finalizer without disturbing another controller's", async () => {
    server.put("/nodes", node("n1", { finalizers: ["other.io/keep"] }));
    const cluster = clusterAgainst(server);
    await cluster.addNodeFinalizer("n1", "karpenter.sh/termination");
    expect(server.get("/nodes", "n1")!.metadata).toMatchObject({ finalizers: ["other.io/keep", "karpenter.sh/termination"] });
    await cluster.removeNodeFinalizer("n1", "karpenter.sh/termination");
    expect(server.get("/nodes", "n1")!.metadata).toMatchObject({ finalizers: ["other.io/keep"] });
    expect(patches().map((r) => r.contentType)).toEqual(["application/strategic-merge-patch+json", "application/strategic-merge-patch+json"]);
    expect(patches()[1]!.body).toEqual({ metadata: { "$deleteFromPrimitiveList/finalizers": ["karpenter.sh/termination"] } });
  });

  it("replaces taints with a JSON patch guarded by a resourceVersion test, and reports a conflict when it is stale", async () => {
    const stored = server.put("/nodes", node("n1"));
    const rv = (stored.metadata as { resourceVersion: string }).resourceVersion;
    const cluster = clusterAgainst(server);
    const taint = { key: "karpenter.sh/disrupted", effect: "NoSchedule" as const };

    const written = await cluster.replaceNodeTaints("n1", [taint], rv);
    expect(written.outcome).toBe("written");
    expect(server.get("/nodes", "n1")!.spec).toMatchObject({ taints: [taint] });
    expect(patches()[0]).toMatchObject({ contentType: "application/json-patch+json" });
    expect(patches()[0]!.body).toEqual([
      { op: "test", path: "/metadata/resourceVersion", value: rv },
      { op: "add", path: "/spec/taints", value: [taint] },
    ]);

    const stale = await cluster.replaceNodeTaints("n1", [], rv);
    expect(stale).toEqual({ outcome: "conflict" });
    expect(server.get("/nodes", "n1")!.spec).toMatchObject({ taints: [taint] });
    expect(await cluster.replaceNodeTaints("gone", [], "1")).toEqual({ outcome: "not-found" });
  });

  it("updateNodeTaints re-reads and retries when another writer added a taint in between, so neither taint is lost", async () => {
    server.put("/nodes", node("n1"));
    const cluster = clusterAgainst(server);
    let reads = 0;
    const racing = {
      getNode: async (name: string) => {
        const n = await cluster.getNode(name);
        // Someone else taints the node right after our first read.
        if (reads++ === 0) server.put("/nodes", node("n1", { taints: [{ key: "other", effect: "NoExecute" }] }));
        return n;
      },
      replaceNodeTaints: cluster.replaceNodeTaints.bind(cluster),
    };
    const result = await updateNodeTaints(racing, "n1", (taints) => [...taints, { key: "mine", effect: "NoSchedule" }]);

    expect(result.outcome).toBe("written");
    expect(reads).toBe(2);
    expect(server.get("/nodes", "n1")!.spec).toMatchObject({
      taints: [
        { key: "other", effect: "NoExecute" },
        { key: "mine", effect: "NoSchedule" },
      ],
    });
  });

  it("deletes a node, and treats deleting it again as already done", async () => {
    server.put("/nodes", node("n1"));
    const cluster = clusterAgainst(server);
    expect(await cluster.deleteNode("n1")).toBe("deleted");
    expect(await cluster.deleteNode("n1")).toBe("not-found");
    expect(server.requests.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual(["/api/v1/nodes/n1", "/api/v1/nodes/n1"]);
  });
});

describe("KubeCluster status, events and evictions", () => {
  it("writes NodePool conditions through the status subresource with a merge patch, leaving spec alone", async () => {
    server.put("karpenter.sh/nodepools", { apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "default" }, spec: { limits: { cpu: "10" } } });
    const condition = { type: "Ready", status: "False" as const, reason: "NodeClassNotReady", message: "x", lastTransitionTime: "2026-01-01T00:00:00Z" };
    const cluster = clusterAgainst(server);

    expect(await cluster.setCustomObjectConditions("NodePool", "default", [condition])).toBe("written");
    expect(server.get("karpenter.sh/nodepools", "default")).toMatchObject({ spec: { limits: { cpu: "10" } }, status: { conditions: [condition] } });
    expect(patches()[0]).toMatchObject({ path: "/apis/karpenter.sh/v1/nodepools/default/status", contentType: "application/merge-patch+json" });
    expect(await cluster.setCustomObjectConditions("EC2NodeClass", "missing", [condition])).toBe("not-found");
    expect(patches()[1]!.path).toBe("/apis/karpenter.k8s.aws/v1/ec2nodeclasses/missing/status");
  });

  it("records Nominated and FailedScheduling events on the pod, and a retried event is not duplicated", async () => {
    const p = { ...pod("web-1", { namespace: "shop" }), metadata: { name: "web-1", namespace: "shop", uid: "u-1" } } as Pod;
    const cluster = clusterAgainst(server);
    await cluster.recordEvent(nominatedEvent(p, "default-abc12"));
    await cluster.recordEvent(nominatedEvent(p, "default-abc12"));
    await cluster.recordEvent(failedSchedulingEvent(p, incompatibleWithNodePool("gpu", 'taint "nvidia.com/gpu" is not tolerated')));

    const posts = server.requests.filter((r) => r.method === "POST");
    expect(posts.map((r) => r.path)).toEqual(Array(3).fill("/api/v1/namespaces/shop/events"));
    const events = server.list("/events");
    expect(events).toHaveLength(2);
    expect(events.map((e) => [e.reason, e.type, e.message]).sort()).toEqual([
      ["FailedScheduling", "Warning", 'incompatible with NodePool gpu because taint "nvidia.com/gpu" is not tolerated'],
      ["Nominated", "Normal", "Pod should schedule on NodeClaim default-abc12"],
    ]);
    expect(events[0]!.involvedObject).toEqual({ apiVersion: "v1", kind: "Pod", name: "web-1", namespace: "shop", uid: "u-1" });
    expect(typeof events[0]!.firstTimestamp).toBe("string");
  });

  it("evicts through the Eviction API and reports a PDB's 429 as a blocked result naming the budget", async () => {
    server.put("/pods", pod("a", { namespace: "web", nodeName: "n1" }));
    server.put("/pods", pod("b", { namespace: "web", nodeName: "n1" }));
    server.evictionBlocker = (ns, name) => (name === "b" ? "The disruption budget web-pdb needs 2 healthy pods and has 2 currently" : undefined);
    const cluster = clusterAgainst(server);

    expect(await cluster.evictPod("web", "a", { gracePeriodSeconds: 30 })).toEqual({ outcome: "evicted" });
    const blocked = await cluster.evictPod("web", "b");
    expect(blocked.outcome).toBe("blocked");
    expect(blocked.outcome === "blocked" && blocked.message).toContain("web-pdb");
    expect(await cluster.evictPod("web", "nope")).toEqual({ outcome: "not-found" });

    expect(server.get("/pods", "a", "web")).toBeUndefined();
    expect(server.get("/pods", "b", "web")).toBeDefined();
    const first = server.requests.find((r) => r.method === "POST")!;
    expect(first.path).toBe("/api/v1/namespaces/web/pods/a/eviction");
    expect(first.body).toMatchObject({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "a", namespace: "web" }, deleteOptions: { gracePeriodSeconds: 30 } });
  });
});

describe("KubeCluster errors", () => {
  it("names the operation and passes on the API server's reason when RBAC forbids a call", async () => {
    server.put("/nodes", node("n1"));
    server.forbid = (method, path) =>
      method === "PATCH" && path === "/api/v1/nodes/n1" ? 'nodes "n1" is forbidden: User "tenon" cannot patch resource "nodes"' : undefined;
    const error = await clusterAgainst(server)
      .patchNodeMetadata("n1", { labels: { a: "b" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).message).toBe(
      'patch node n1 (application/merge-patch+json): HTTP 403: nodes "n1" is forbidden: User "tenon" cannot patch resource "nodes"',
    );
    expect((error as KubeApiError).code).toBe(403);
  });
});
