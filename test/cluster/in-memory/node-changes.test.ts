import { describe, expect, it } from "vitest";
import { simulatedCluster } from "../../support/in-memory-cluster.ts";
import { checkNodeChanges } from "../node-changes-contract.ts";

describe("simulated cluster node changes", () => {
  it("replays node changes after a list's resourceVersion, filters by label, and reports expired history", async () => {
    const sim = simulatedCluster();
    await checkNodeChanges({ cluster: sim, addNode: (n) => void sim.addNode(n), compact: () => sim.compactNodeHistory() });
  });

  it("keeps node history apart from pod history: compacting pods leaves node changes replayable", async () => {
    const sim = simulatedCluster();
    const since = (await sim.listNodes()).resourceVersion!;
    sim.addNode({ metadata: { name: "n1" }, spec: {} });
    sim.compactPodHistory();
    const changes = await sim.nodeChangesSince(since);
    expect(changes.outcome === "changes" && changes.changes.map((c) => c.node.metadata.name)).toEqual(["n1"]);
    expect(await sim.podChangesSince(since)).toEqual({ outcome: "expired" });
  });
});
