/**
 * Dynamic Resource Allocation: Karpenter (with its default IGNORE_DRA_REQUESTS) does not schedule
 * pods that need DRA claims, neither on new nor on existing capacity, and does not count the
 * overhead of DaemonSets that need them. Tenon does the same and says why.
 */
import { describe, expect, it } from "vitest";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { daemonSet, existingNode, input, pod, pods } from "../support/builders.ts";
import { placementOf, reasonOf } from "../support/scheduling.ts";

const claims = [{ name: "gpu", resourceClaimTemplateName: "single-gpu" }];

describe("pods with DRA resource claims", () => {
  it("are not provisioned for, nor placed on an existing node with room, and the reason names the field", () => {
    const dra = pod({ name: "dra", cpu: "1", resourceClaims: claims });
    const plain = pods(1, "plain", { cpu: "1" });
    const r = schedule(input({ pods: [dra, ...plain], existingNodes: [existingNode("n1", { cpu: "1" })] }));
    expect(placementOf(r)).toEqual({ dra: "unschedulable", "plain-0": "n1" });
    expect(r.newNodeClaims).toEqual([]);
    expect(reasonOf(r, "dra")).toBe("pod has Dynamic Resource Allocation requirements (spec.resourceClaims), which Tenon does not schedule yet (as Karpenter with its default IGNORE_DRA_REQUESTS)");
  });

  it("counts a container's resources.claims too, and doesn't group the pod with one that has none", () => {
    const base = pod({ name: "c", cpu: "1" });
    const withClaim = { ...base, spec: { ...base.spec, resourceClaims: claims, containers: [{ name: "app", resources: { requests: { cpu: "1" }, claims: [{ name: "gpu" }] } }] } };
    const withoutPodLevel = { ...withClaim, metadata: { ...withClaim.metadata, name: "container-only" }, spec: { ...withClaim.spec, resourceClaims: [] } };
    const r = schedule(input({ pods: [withoutPodLevel, pod({ name: "free", cpu: "1" })] }));
    expect(placementOf(r)).toEqual({ "container-only": "unschedulable", free: "claim:0" });
    expect(reasonOf(r, "container-only")).toContain("spec.containers[app].resources.claims");
  });

  it("leaves out the overhead of a DaemonSet that needs DRA", () => {
    const ds = daemonSet("dra-agent", { cpu: "1" });
    ds.spec.template.spec.resourceClaims = claims;
    const counted = schedule(input({ pods: pods(1, "p", { cpu: "4" }), daemonSets: [daemonSet("agent", { cpu: "1" })] }));
    expect(counted.newNodeClaims[0]!.instanceTypes[0]!.name).toBe("m.8x");
    const r = schedule(input({ pods: pods(1, "p", { cpu: "4" }), daemonSets: [ds] }));
    expect(r.newNodeClaims[0]!.daemonSetRequests).toEqual({});
    expect(r.newNodeClaims[0]!.instanceTypes[0]!.name).toBe("m.4x");
  });
});
