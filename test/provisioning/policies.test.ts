/**
 * PREFERENCE_POLICY and MIN_VALUES_POLICY, Karpenter's settings, as the provisioner's: read from
 * the function's settings and applied to its scheduling. In-memory cloud and cluster.
 */
import { describe, expect, it } from "vitest";
import type { Settings } from "../../lib/ports/settings.ts";
import { runProvisioner } from "../../lib/provisioning/provisioner.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { simulatedWorld } from "../../lib/wiring/in-memory.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";
import { podRequesting } from "../support/in-memory-cluster.ts";

const CLUSTER = "tenon-sim";
const ON_DEMAND = { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] };

/** The instance types of the NodeClaims one provisioner run launches for `pods`, or the run's unschedulable count. */
async function provision(settings: Partial<Settings>, requirements: unknown[], pods: ReturnType<typeof podRequesting>[]) {
  const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }), settings });
  w.cluster.putCustomObject("NodePool", nodePoolObject("default", [ON_DEMAND, ...requirements]));
  w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(CLUSTER));
  for (const p of pods) w.cluster.addPod(p);
  await w.cluster.advance(2_000);
  const report = await runProvisioner(w.ports, "tick");
  const records = await w.ports.store.listNodeClaims();
  const types = records.map((r) => r.nodeClaim.spec.requirements.find((q) => q.key === "node.kubernetes.io/instance-type")?.values ?? []);
  return { launched: report.launched, unschedulable: report.unschedulable, types };
}

// A small pod that would rather run on a large, dearer instance type: honouring the preference costs money.
const prefersLarge = podRequesting("web", "250m", {
  affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m6i.8xlarge"] }] } }] } },
});

describe("PREFERENCE_POLICY", () => {
  it("Respect (the default) honours a preference that can be met", async () => {
    const r = await provision({}, [], [prefersLarge]);
    expect(r.types).toEqual([["m6i.8xlarge"]]);
  });

  it("Ignore schedules as if the pod had no preferences", async () => {
    const r = await provision({ preferencePolicy: "Ignore" }, [], [prefersLarge]);
    expect(r.launched).toBe(1);
    expect(r.types[0]).not.toContain("m6i.8xlarge");
    expect(r.types[0]!.length).toBeGreaterThan(1);
  });
});

describe("MIN_VALUES_POLICY", () => {
  // Only one instance family, but the NodePool asks for at least three.
  const oneFamily = { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m6i", "c6i", "m7i"], minValues: 3 };
  const pod = podRequesting("api", "250m", { nodeSelector: { "karpenter.k8s.aws/instance-family": "m6i" } });

  it("Strict (the default) launches nothing when minValues can't be met", async () => {
    const r = await provision({}, [oneFamily], [pod]);
    expect(r.launched).toBe(0);
    expect(r.unschedulable).toBe(1);
  });

  it("BestEffort launches with what there is", async () => {
    const r = await provision({ minValuesPolicy: "BestEffort" }, [oneFamily], [pod]);
    expect(r.launched).toBe(1);
    expect(r.types[0]!.every((t) => t.startsWith("m6i."))).toBe(true);
  });
});
