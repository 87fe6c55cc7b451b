import { describe, it } from "vitest";
import { simulatedCluster } from "../../support/in-memory-cluster.ts";
import { checkPodChanges } from "../pod-changes-contract.ts";

describe("simulated cluster pod changes", () => {
  it("replays changes after a list's resourceVersion, filters by label, and reports expired history", async () => {
    const sim = simulatedCluster();
    await checkPodChanges({ cluster: sim, addPod: (p) => void sim.addPod(p), compact: () => sim.compactPodHistory() });
  });
});
