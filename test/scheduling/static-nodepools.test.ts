/**
 * Static NodePools (`spec.replicas`): Karpenter keeps their node count itself and never makes
 * NodeClaims from them for pending pods. Their existing nodes still take pods.
 */
import { describe, expect, it } from "vitest";
import type { NodePool } from "../../lib/api/types.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { existingNode, input, nodePool, option, pods } from "../support/builders.ts";
import { placementOf, reasonOf } from "../support/scheduling.ts";

function staticPool(name: string, replicas: number): NodePool {
  const np = nodePool(name);
  return { ...np, spec: { ...np.spec, replicas } };
}

describe("static NodePools", () => {
  it("makes no claim from a pool with replicas: 2, and says so in the reason", () => {
    const r = schedule(input({ pods: pods(3, "web", { cpu: "1" }), nodePools: [option(staticPool("fixed", 2))] }));
    expect(r.newNodeClaims).toEqual([]);
    expect(r.unschedulable.map((u) => u.pod.metadata.name).sort()).toEqual(["web-0", "web-1", "web-2"]);
    expect(reasonOf(r, "web-0")).toBe("NodePool fixed is static (spec.replicas): not provisioned for pending pods");
  });

  it("provisions from the dynamic pool even when the static one weighs more", () => {
    const fixed = staticPool("fixed", 2);
    const heavy = { ...fixed, spec: { ...fixed.spec, weight: 100 } };
    const r = schedule(input({ pods: pods(2, "web", { cpu: "1" }), nodePools: [option(heavy), option(nodePool("dynamic"))] }));
    expect(r.newNodeClaims.map((c) => c.nodePoolName)).toEqual(["dynamic"]);
  });

  it("still places pods on the existing nodes of a static pool", () => {
    const node = existingNode("fixed-node", { cpu: "4", nodePoolName: "fixed", labels: { "karpenter.sh/nodepool": "fixed" } });
    const r = schedule(input({ pods: pods(2, "web", { cpu: "1" }), nodePools: [option(staticPool("fixed", 1))], existingNodes: [node] }));
    expect(r.newNodeClaims).toEqual([]);
    expect(placementOf(r)).toEqual({ "web-0": "fixed-node", "web-1": "fixed-node" });
  });
});
