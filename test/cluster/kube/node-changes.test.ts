import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkNodeChanges } from "../node-changes-contract.ts";
import { startFakeApiServer, type FakeApiServer } from "../../../lib/cluster/kube/fake-apiserver.ts";
import { clusterAgainst, node, scriptedTokens } from "../../support/kube.ts";

let server: FakeApiServer;
beforeEach(async () => {
  server = await startFakeApiServer();
});
afterEach(async () => {
  await server.close();
});

describe("KubeCluster node changes", () => {
  it("replays node changes after a list's resourceVersion with a short watch on /api/v1/nodes, filters by label, and reports expired history", async () => {
    await checkNodeChanges({ cluster: clusterAgainst(server), addNode: (n) => void server.put("/nodes", n as never), compact: () => server.compactHistory() });
    const watch = server.requests.find((r) => r.query.watch === "true")!;
    expect(watch.path).toBe("/api/v1/nodes");
    expect(watch.query).toMatchObject({ allowWatchBookmarks: "true", timeoutSeconds: "1" });
    expect(watch.authorization).toBe("Bearer t0");
  });

  it("slims watched nodes as lists do: no managedFields, no images", async () => {
    const cluster = clusterAgainst(server);
    const since = (await cluster.listNodes()).resourceVersion!;
    const fat = node("n1", { labels: { zone: "a" } }) as ReturnType<typeof node> & { metadata: Record<string, unknown>; status: Record<string, unknown> };
    fat.metadata.managedFields = [{ manager: "kubelet", operation: "Update" }];
    fat.status.images = [{ names: ["registry/app:1"], sizeBytes: 123 }];
    server.put("/nodes", fat);
    const changes = await cluster.nodeChangesSince(since, { timeoutSeconds: 1 });
    if (changes.outcome !== "changes") throw new Error("expected changes");
    const seen = changes.changes[0]!.node as unknown as { metadata: Record<string, unknown>; status: Record<string, unknown> };
    expect(seen.metadata.labels).toEqual({ zone: "a" });
    expect(seen.metadata).not.toHaveProperty("managedFields");
    expect(seen.status).not.toHaveProperty("images");
    expect(seen.status.allocatable).toEqual({ cpu: "4", memory: "16Gi", pods: "110" });
  });

  it("gets a fresh token and watches again after a 401", async () => {
    server.validToken = "fresh";
    const cluster = clusterAgainst(server, scriptedTokens("stale", "fresh"));
    expect((await cluster.nodeChangesSince("1", { timeoutSeconds: 1 })).outcome).toBe("changes");
    expect(server.requests.map((r) => [r.path, r.authorization])).toEqual([
      ["/api/v1/nodes", "Bearer stale"],
      ["/api/v1/nodes", "Bearer fresh"],
    ]);
  });

  it("answers expired when the server ends the watch with 410 Gone", async () => {
    const cluster = clusterAgainst(server);
    server.put("/nodes", node("n1"));
    server.compactHistory();
    expect(await cluster.nodeChangesSince("1", { timeoutSeconds: 1 })).toEqual({ outcome: "expired" });
  });
});
