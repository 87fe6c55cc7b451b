/**
 * Pods alike in everything but their size share one list of candidate bins (plan.ts). A claim
 * leaves that list only when it fails for a reason no size changes. A topology failure after a
 * zone was picked by price for one pod's size is not such a reason: a smaller pod alike may pick
 * another zone on the same claim.
 */
import { describe, expect, it } from "vitest";
import type { InstanceType } from "../../lib/ports/instance-type.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { existingNode, input, instanceType, nodePool, option, pod, ZONE, ZONES } from "../support/builders.ts";

const [A, B, C] = ZONES as [string, string, string];

/** On-demand offerings in each zone at the given prices. */
function priced(name: string, cpu: string, prices: Record<string, number>): InstanceType {
  return instanceType(name, {
    cpu,
    memory: "64Gi",
    price: 1,
    offerings: Object.entries(prices).map(([zone, price]) => ({ zone, capacityType: "on-demand", price, available: true })),
  });
}

describe("pods alike but for their size", () => {
  it("a claim one pod can't use in the zone its size prices best stays open to a smaller pod alike", () => {
    // The large type is cheapest in zone A, the small one outside it.
    const big = priced("big", "8", { [A]: 1.0, [B]: 1.2, [C]: 1.1 });
    const small = priced("small", "4500m", { [A]: 0.5, [B]: 0.45, [C]: 0.4 });
    // A pod the spreading pods repel, on a full node in zone A.
    const repelling = pod({ name: "q", cpu: "1", labels: { app: "q" } });
    const node = existingNode("n-a", { cpu: "1", labels: { [ZONE]: A }, pods: [repelling] });
    // The first pod opens a claim free to launch in any zone.
    const opener = pod({ name: "opener", cpu: "3" });
    const alike = (name: string, cpu: string) =>
      pod({
        name,
        cpu,
        labels: { app: "p" },
        topologySpreadConstraints: [{ maxSkew: 5, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "p" } } }],
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: { app: "q" } } }] } },
      });
    // With the opener, the large pod needs the big type, cheapest in zone A, where q repels it;
    // the small pod fits the small type, cheaper outside zone A.
    const r = schedule(input({ pods: [opener, alike("large", "2"), alike("small", "1")], nodePools: [option(nodePool("default"), [big, small])], existingNodes: [node] }));
    const claimOf = (name: string) => r.newNodeClaims.findIndex((c) => c.pods.some((p) => p.metadata.name === name));
    expect(claimOf("small")).toBe(claimOf("opener"));
    expect(claimOf("large")).not.toBe(claimOf("opener"));
    expect(r.newNodeClaims[claimOf("small")]!.requirements.find((q) => q.key === ZONE)?.values).not.toContain(A);
  });
});
