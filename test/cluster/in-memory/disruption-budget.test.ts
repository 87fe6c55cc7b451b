import { describe, expect, it } from "vitest";
import { desiredHealthy, evictionVerdict } from "../../../lib/cluster/in-memory/disruption-budget.ts";
import type { Pod, PodDisruptionBudget } from "../../../lib/api/kubernetes.ts";

const pod = (name: string, running = true, labels: Record<string, string> = { app: "web" }, namespace = "shop"): Pod => ({
  metadata: { name, namespace, labels },
  spec: { containers: [], ...(running ? { nodeName: "n1" } : {}) },
  status: { phase: running ? "Running" : "Pending" },
});
const budget = (spec: PodDisruptionBudget["spec"], namespace = "shop"): PodDisruptionBudget => ({
  metadata: { name: "web-pdb", namespace },
  spec: { selector: { matchLabels: { app: "web" } }, ...spec },
});

describe("PodDisruptionBudget verdicts", () => {
  it("rounds percentages up, for minAvailable and for maxUnavailable", () => {
    expect(desiredHealthy(budget({ minAvailable: "50%" }), 3)).toBe(2);
    expect(desiredHealthy(budget({ maxUnavailable: "34%" }), 3)).toBe(1);
    expect(desiredHealthy(budget({ maxUnavailable: 1 }), 3)).toBe(2);
  });

  it("allows evicting a healthy pod only while more than the desired number are healthy", () => {
    const pods = [pod("a"), pod("b"), pod("c")];
    expect(evictionVerdict(pods[0]!, pods, [budget({ minAvailable: 2 })])).toEqual({ allowed: true });
    const blocked = evictionVerdict(pods[0]!, pods, [budget({ minAvailable: 3 })]);
    expect(blocked.allowed).toBe(false);
    expect(blocked.message).toBe("The disruption budget web-pdb needs 3 healthy pods and has 3 currently");
  });

  it("lets an unhealthy pod go when the budget is met, or always under AlwaysAllow", () => {
    const pods = [pod("a"), pod("b"), pod("pending", false)];
    expect(evictionVerdict(pods[2]!, pods, [budget({ minAvailable: 2 })]).allowed).toBe(true);
    expect(evictionVerdict(pods[2]!, pods, [budget({ minAvailable: 3 })]).allowed).toBe(false);
    expect(evictionVerdict(pods[2]!, pods, [budget({ minAvailable: 3, unhealthyPodEvictionPolicy: "AlwaysAllow" })]).allowed).toBe(true);
  });

  it("ignores budgets of other namespaces and budgets whose selector does not match", () => {
    const pods = [pod("a")];
    expect(evictionVerdict(pods[0]!, pods, [budget({ minAvailable: 1 }, "other")]).allowed).toBe(true);
    const otherApp = { ...budget({ minAvailable: 1 }), spec: { selector: { matchLabels: { app: "db" } }, minAvailable: 1 } };
    expect(evictionVerdict(pods[0]!, pods, [otherApp]).allowed).toBe(true);
  });
});

describe("PodDisruptionBudget expected pods", () => {
  it("counts a controller's desired replicas, so a pod evicted and not yet replaced still counts as missing", () => {
    const owned = (name: string): Pod => ({ ...pod(name), metadata: { ...pod(name).metadata, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-1", controller: true }] } });
    const pods = [owned("b")];
    const scale = [{ namespace: "shop", podLabels: { app: "web" }, replicas: 2 }];
    // Without the scale only one pod is expected and maxUnavailable 1 would allow it.
    expect(evictionVerdict(pods[0]!, pods, [budget({ maxUnavailable: 1 })]).allowed).toBe(true);
    expect(evictionVerdict(pods[0]!, pods, [budget({ maxUnavailable: 1 })], scale)).toEqual({
      allowed: false,
      message: "The disruption budget web-pdb needs 1 healthy pods and has 1 currently",
    });
  });
});
