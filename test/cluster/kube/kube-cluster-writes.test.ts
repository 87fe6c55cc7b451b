/**
 * KubeCluster writes against the fake API server, for what a real one can't be made to do on
 * demand: another writer slipping in between a read and a write, a 403 mid-run. Everything else
 * the adapter writes runs against a real kube-apiserver (test/cluster/kube/real-apiserver-cluster.test.ts).
 */
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

describe("KubeCluster node writes", () => {
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
