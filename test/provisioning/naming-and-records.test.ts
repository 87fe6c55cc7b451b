import { describe, expect, it } from "vitest";
import { parseNodePool } from "../../lib/api/nodepool.ts";
import type { InstanceType } from "../../lib/ports/instance-type.ts";
import type { CloudInstance } from "../../lib/ports/cloud.ts";
import type { NodeClaimRecord } from "../../lib/ports/store.ts";
import { nodeClaimName, uniqueNodeClaimName } from "../../lib/actions/naming.ts";
import { INSTANCE_TYPES_ANNOTATION, instanceTypeNames, launchedContent, newNodeClaimContent } from "../../lib/actions/records.ts";
import { randomIds } from "../../lib/wiring/base.ts";
import type { NewNodeClaim } from "../../lib/scheduling/types.ts";
import { nodePoolObject } from "../support/builders.ts";

describe("NodeClaim names", () => {
  it("are the NodePool name and five random lowercase letters", () => {
    for (let i = 0; i < 50; i++) expect(nodeClaimName("web", randomIds.suffix())).toMatch(/^web-[a-z]{5}$/);
  });

  it("stay within 63 characters for a long NodePool name", () => {
    const name = nodeClaimName("p".repeat(80), "abcde");
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name.endsWith("-abcde")).toBe(true);
  });

  it("refuse a suffix that is not five lowercase letters", () => {
    expect(() => nodeClaimName("web", "ABCDE")).toThrow(/not 5 lowercase letters/);
  });

  it("draw again when a name is taken", () => {
    const draws = ["aaaaa", "aaaaa", "bbbbb"];
    expect(uniqueNodeClaimName("web", () => draws.shift()!, new Set(["web-aaaaa"]))).toBe("web-bbbbb");
  });
});

function type(name: string): InstanceType {
  return {
    name, capacity: { cpu: 4000, memory: 16 * 2 ** 30, pods: 58 }, overhead: { kubeReserved: {}, systemReserved: {}, evictionThreshold: {} },
    allocatable: { cpu: 3920, memory: 14 * 2 ** 30, pods: 58 }, requirements: [], labels: { "kubernetes.io/arch": "amd64", "karpenter.k8s.aws/instance-family": name.split(".")[0]! },
    offerings: [{ zone: "us-east-1a", capacityType: "on-demand", price: 0.2, available: true }],
  };
}

describe("NodeClaim records", () => {
  const pool = parseNodePool(nodePoolObject("web"));
  const claim: NewNodeClaim = {
    nodePoolName: "web",
    requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m6i.xlarge", "c6i.xlarge"] }],
    labels: { team: "web" },
    taints: [],
    startupTaints: pool.spec.template.spec.startupTaints,
    instanceTypes: [type("c6i.xlarge"), type("m6i.xlarge")],
    pods: [],
    requests: { cpu: 2500, memory: 2 ** 30 },
    daemonSetRequests: {},
  };

  it("start Pending with the claim's requirements, labels, startup taints, NodeClass and ordered instance types", () => {
    const content = newNodeClaimContent({ claim, nodePool: pool, name: "web-abcde", uid: "u-1", nowMs: 0, leaseToken: 7 });
    expect(content.phase).toBe("Pending");
    const nc = content.nodeClaim;
    expect(nc.metadata).toMatchObject({ name: "web-abcde", uid: "u-1", labels: { team: "web", "karpenter.sh/nodepool": "web" } });
    expect(nc.metadata.annotations?.[INSTANCE_TYPES_ANNOTATION]).toBe("c6i.xlarge,m6i.xlarge");
    expect(instanceTypeNames(nc)).toEqual(["c6i.xlarge", "m6i.xlarge"]);
    expect(nc.spec.nodeClassRef).toEqual({ group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" });
    expect(nc.spec.startupTaints).toEqual([{ key: "node.cilium.io/agent-not-ready", value: "true", effect: "NoExecute" }]);
    expect(nc.spec.resources?.requests).toMatchObject({ cpu: "2500m" });
    expect(nc.status?.conditions).toContainEqual(expect.objectContaining({ type: "Launched", status: "Unknown" }));
  });

  it("once launched carry the provider ID, the instance's labels and the launched type's allocatable", () => {
    const content = newNodeClaimContent({ claim, nodePool: pool, name: "web-abcde", uid: "u-1", nowMs: 0, leaseToken: 7 });
    const record: NodeClaimRecord = { ...content, name: "web-abcde", createdAtMs: 0, updatedAtMs: 0, version: 1 };
    const instance: CloudInstance = {
      providerId: "aws:///us-east-1a/i-0abc", instanceId: "i-0abc", instanceType: "m6i.xlarge", zone: "us-east-1a", capacityType: "on-demand",
      imageId: "ami-1", launchTimeMs: 5, state: "pending", tags: {},
    };
    const launched = launchedContent(record, instance, type("m6i.xlarge"), 5);
    expect(launched.phase).toBe("Launched");
    expect(launched.launch).toMatchObject({ attempts: 1, instanceId: "i-0abc", lastAttemptAtMs: 5 });
    expect(launched.nodeClaim.status).toMatchObject({ providerID: "aws:///us-east-1a/i-0abc", imageID: "ami-1", allocatable: { cpu: "3920m", pods: "58" } });
    expect(launched.nodeClaim.metadata.labels).toMatchObject({
      "node.kubernetes.io/instance-type": "m6i.xlarge", "topology.kubernetes.io/zone": "us-east-1a", "karpenter.sh/capacity-type": "on-demand",
      "karpenter.k8s.aws/instance-family": "m6i", team: "web",
    });
    expect(launched.nodeClaim.status?.conditions).toContainEqual(expect.objectContaining({ type: "Launched", status: "True" }));
  });
});
