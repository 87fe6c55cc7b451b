import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkPodChanges } from "../pod-changes-contract.ts";
import { startFakeApiServer, type FakeApiServer } from "../../../lib/cluster/kube/fake-apiserver.ts";
import { clusterAgainst, scriptedTokens } from "../../support/kube.ts";

let server: FakeApiServer;
beforeEach(async () => {
  server = await startFakeApiServer();
});
afterEach(async () => {
  await server.close();
});

describe("KubeCluster pod changes", () => {
  it("replays changes after a list's resourceVersion with a short watch, filters by label, and reports expired history", async () => {
    await checkPodChanges({ cluster: clusterAgainst(server), addPod: (p) => void server.put("/pods", p as never), compact: () => server.compactHistory() });
    const watch = server.requests.find((r) => r.query.watch === "true")!;
    expect(watch.path).toBe("/api/v1/pods");
    expect(watch.query).toMatchObject({ allowWatchBookmarks: "true", timeoutSeconds: "1" });
    expect(watch.authorization).toBe("Bearer t0");
  });

  it("gets a fresh token and watches again after a 401", async () => {
    server.validToken = "fresh";
    const cluster = clusterAgainst(server, scriptedTokens("stale", "fresh"));
    const result = await cluster.podChangesSince("1", { timeoutSeconds: 1 });
    expect(result.outcome).toBe("changes");
    expect(server.requests.map((r) => r.authorization)).toEqual(["Bearer stale", "Bearer fresh"]);
  });
});
