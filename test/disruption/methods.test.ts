/**
 * The disruption methods, in the spirit of Karpenter's disruption suites: emptiness, drift,
 * multi-node and single-node consolidation (delete and replace), spot-to-spot, expiration, and
 * the order that makes the first method that decides something end the pass.
 */
import { describe, expect, it } from "vitest";
import { ec2NodeClassHash, EC2NODECLASS_HASH_VERSION, nodePoolTemplateHash, NODEPOOL_HASH_VERSION } from "../../lib/api/drift-hash.ts";
import { instanceType, pod, pods } from "../support/builders.ts";
import { AT, DAY, HOUR, catalog, pool, type ClusterSpec } from "./builders.ts";
import { decide, taken, why } from "./support.ts";

describe("emptiness", () => {
  it("deletes every empty candidate the budget allows in one command, and no non-empty one", () => {
    const out = decide({
      pools: [pool("default", { budgets: [{ nodes: "2" }] })],
      nodes: [
        { name: "empty-1", type: "new-4x" },
        { name: "empty-2", type: "big-8x" },
        { name: "empty-3", type: "small-2x" },
        { name: "busy", type: "big-8x", pods: pods(3, "web", { cpu: "2" }) },
      ],
    });
    expect(out.method).toBe("emptiness");
    expect(out.commands).toHaveLength(1);
    expect(out.commands[0]!.decision).toBe("delete");
    // Sorted by disruption cost (all 0), then name: the first two empty nodes.
    expect(taken(out)).toEqual(["empty-1", "empty-2"]);
    expect(why(out, "empty-3")).toContain("disruption budget of NodePool default for Empty is exhausted");
    expect(out.commands[0]!.savingsPerHour).toBe(0.54);
  });

  it("waits for consolidateAfter since the last pod event", () => {
    const out = decide({
      pools: [pool("default", { consolidateAfter: 30 * 60_000 })],
      nodes: [{ name: "empty", type: "new-4x", lastPodEvent: AT - 10 * 60_000 }],
    });
    expect(out.method).toBeNull();
    expect(why(out, "empty")).toBe("not consolidatable until 2026-12-03T10:20:00Z (consolidateAfter 30m0s after the last pod event)");
  });

  it("counts terminal pods and DaemonSet pods as nothing to move", () => {
    const done = pod({ name: "job-done", cpu: "1" });
    done.status = { phase: "Succeeded" };
    const out = decide({ nodes: [{ name: "n", type: "new-4x", pods: [done, pod({ name: "agent", cpu: "100m", ownerKind: "DaemonSet" })] }] });
    expect(out.method).toBe("emptiness");
  });
});

describe("single-node consolidation", () => {
  it("deletes a node whose pods fit on the others", () => {
    const out = decide({
      nodes: [
        { name: "light", type: "big-8x", pods: [pod({ name: "a", cpu: "1" })] },
        { name: "heavy", type: "big-8x", pods: pods(3, "b", { cpu: "2" }) },
      ],
    });
    expect(out.method).toBe("single-node-consolidation");
    expect(taken(out)).toEqual(["light"]);
    expect(out.commands[0]!.decision).toBe("delete");
    expect(out.commands[0]!.existingNodes).toEqual([{ name: "heavy", pods: ["default/a"] }]);
    expect(out.summary.pricePerHourAfter).toBe(0.34);
  });

  it("replaces a node with a strictly cheaper one that holds its pods", () => {
    const out = decide({ nodes: [{ name: "old", type: "old-4x", pods: pods(3, "web", { cpu: "1" }) }] });
    expect(out.method).toBe("single-node-consolidation");
    const c = out.commands[0]!;
    expect(c.decision).toBe("replace");
    // new-4x ($0.20) holds 3 cpu; small-2x can't; old-4x and big-8x are not cheaper than $0.30.
    expect(c.replacements[0]!.instanceTypes).toEqual(["new-4x"]);
    expect(c.replacements[0]!.launch).toEqual({ instanceType: "new-4x", zone: "zone-a", capacityType: "on-demand", price: 0.2 });
    expect(c.replacements[0]!.pods).toEqual(["default/web-0", "default/web-1", "default/web-2"]);
    expect(c.savingsPerHour).toBe(0.1);
  });

  it("leaves a node alone when nothing cheaper holds its pods, and says so", () => {
    const out = decide({ nodes: [{ name: "n", type: "new-4x", pods: pods(3, "web", { cpu: "1" }) }] });
    expect(out.method).toBeNull();
    expect(why(out, "n")).toContain("no cheaper option");
  });

  it("does not split the pods over several cheaper nodes (one replacement at most)", () => {
    // 2 x 3.5 cpu on a big-8x ($0.34): two new-4x would cost $0.40 and three small-2x can't hold 3.5.
    const out = decide({ nodes: [{ name: "n", type: "big-8x", pods: pods(2, "w", { cpu: "3500m" }) }] });
    expect(out.method).toBeNull();
  });

  it("never moves pods onto a node inside its own consolidateAfter window", () => {
    const out = decide({
      pools: [pool("default", { consolidateAfter: HOUR })],
      nodes: [
        { name: "light", type: "big-8x", pods: [pod({ name: "a", cpu: "1" })], lastPodEvent: AT - 2 * HOUR },
        { name: "fresh", type: "big-8x", pods: [pod({ name: "b", cpu: "1" })], lastPodEvent: AT - 60_000 },
      ],
    });
    // light's pod could fit on fresh, but fresh is not a destination: light is replaced by small-2x instead.
    expect(out.commands[0]!.decision).toBe("replace");
    expect(out.commands[0]!.replacements[0]!.instanceTypes[0]).toBe("small-2x");
    expect(why(out, "fresh")).toContain("not consolidatable until");
    // The same when the NodeClaim says so with its Consolidatable condition.
    const marked = decide({
      pools: [pool("default", { consolidateAfter: HOUR })],
      nodes: [
        { name: "light", type: "big-8x", pods: [pod({ name: "a", cpu: "1" })], lastPodEvent: AT - 2 * HOUR },
        {
          name: "fresh",
          type: "big-8x",
          pods: [pod({ name: "b", cpu: "1" })],
          lastPodEvent: AT - 2 * HOUR,
          conditions: [
            { type: "Initialized", status: "True", reason: "", message: "", lastTransitionTime: new Date(AT - DAY).toISOString() },
            { type: "Consolidatable", status: "False", reason: "PodEvent", message: "", lastTransitionTime: new Date(AT - 60_000).toISOString() },
          ],
        },
      ],
    });
    expect(marked.commands[0]!.decision).toBe("replace");
  });
});

describe("multi-node consolidation", () => {
  it("deletes several nodes at once when their pods fit on the rest", () => {
    const out = decide({
      nodes: [
        { name: "a", type: "big-8x", pods: [pod({ name: "a1", cpu: "1" })] },
        { name: "b", type: "big-8x", pods: [pod({ name: "b1", cpu: "1" })] },
        { name: "c", type: "big-8x", pods: pods(4, "c", { cpu: "1" }) },
      ],
    });
    expect(out.method).toBe("multi-node-consolidation");
    expect(taken(out)).toEqual(["a", "b"]);
    expect(out.commands[0]!.decision).toBe("delete");
  });

  it("replaces several nodes with one cheaper node", () => {
    const out = decide({
      nodes: [
        { name: "a", type: "old-4x", pods: [pod({ name: "a1", cpu: "1500m" })] },
        { name: "b", type: "old-4x", pods: [pod({ name: "b1", cpu: "1500m" })] },
      ],
    });
    expect(out.method).toBe("multi-node-consolidation");
    const c = out.commands[0]!;
    expect(c.decision).toBe("replace");
    expect(taken(out)).toEqual(["a", "b"]);
    // new-4x ($0.20) is cheaper than both ($0.60) and than one old-4x; old-4x itself is filtered out.
    expect(c.replacements[0]!.instanceTypes).not.toContain("old-4x");
    expect(c.replacements[0]!.launch!.instanceType).toBe("new-4x");
    expect(c.savingsPerHour).toBe(0.4);
  });

  it("never merges nodes into one of their own type", () => {
    // Two new-4x with 1.5 cpu each: one new-4x would hold both, but that is just deleting one of them.
    const out = decide({
      nodes: [
        { name: "a", type: "new-4x", pods: [pod({ name: "a1", cpu: "1500m" })] },
        { name: "b", type: "new-4x", pods: [pod({ name: "b1", cpu: "1500m" })] },
      ],
    });
    expect(out.method).toBe("single-node-consolidation");
    expect(out.commands[0]!.decision).toBe("delete");
    expect(taken(out)).toHaveLength(1);
  });
});

describe("spot-to-spot", () => {
  const spotTypes = (n: number) => [
    instanceType("spot-big", { cpu: "8", memory: "32Gi", price: 1, spotPrice: 0.5, zones: ["zone-a"] }),
    ...Array.from({ length: n }, (_, i) => instanceType(`spot-s${String(i).padStart(2, "0")}`, { cpu: "4", memory: "16Gi", price: 0.5, spotPrice: 0.1 + i * 0.01, zones: ["zone-a"] })),
  ];

  it("is off by default, as Karpenter's gate: a spot node with 20 cheaper spot types stays, and says why", () => {
    const out = decide({
      pools: [pool("default", { types: spotTypes(20) })],
      nodes: [{ name: "s", type: "spot-big", capacityType: "spot", pods: pods(2, "w", { cpu: "1" }) }],
    });
    expect(out.method).toBeNull();
    expect(why(out, "s")).toBe("spot-to-spot consolidation is off (feature gate SpotToSpotConsolidation): a spot node is only deleted, never replaced by another spot node");
  });

  it("with the gate off, two spot nodes are not merged into a new spot node, but one whose pods fit elsewhere is still deleted", () => {
    const types = [instanceType("spot-2x", { cpu: "2", memory: "8Gi", price: 0.2, spotPrice: 0.08, zones: ["zone-a"] }), instanceType("spot-4x", { cpu: "4", memory: "16Gi", price: 0.3, spotPrice: 0.1, zones: ["zone-a"] })];
    const merge: ClusterSpec = {
      pools: [pool("default", { types })],
      nodes: [
        { name: "a", type: "spot-2x", capacityType: "spot", pods: pods(1, "a", { cpu: "1500m" }) },
        { name: "b", type: "spot-2x", capacityType: "spot", pods: pods(1, "b", { cpu: "1500m" }) },
      ],
    };
    const off = decide(merge);
    expect(off.commands).toHaveLength(0);
    const on = decide({ ...merge, spotToSpot: true });
    expect(on.commands[0]!.decision).toBe("replace");
    expect(on.commands[0]!.replacements[0]!.instanceTypes).toEqual(["spot-4x"]);
    const deletable = decide({
      pools: [pool("default", { types })],
      nodes: [
        { name: "a", type: "spot-2x", capacityType: "spot", pods: pods(1, "a", { cpu: "500m" }) },
        { name: "b", type: "spot-2x", capacityType: "spot", pods: pods(1, "b", { cpu: "500m" }) },
      ],
    });
    expect(deletable.commands[0]!.decision).toBe("delete");
    expect(taken(deletable)).toHaveLength(1);
  });

  it("needs 15 cheaper instance types to replace a single spot node", () => {
    const out = decide({
      pools: [pool("default", { types: spotTypes(14) })],
      nodes: [{ name: "s", type: "spot-big", capacityType: "spot", pods: pods(2, "w", { cpu: "1" }) }],
      spotToSpot: true,
    });
    expect(out.method).toBeNull();
    expect(why(out, "s")).toBe("spot-to-spot consolidation needs at least 15 cheaper instance types; only 14 cost less than $0.5/hour");
  });

  it("replaces with the cheapest 15 spot types when there are enough, never with on-demand", () => {
    const out = decide({
      pools: [pool("default", { types: spotTypes(20) })],
      nodes: [{ name: "s", type: "spot-big", capacityType: "spot", pods: pods(2, "w", { cpu: "1" }) }],
      spotToSpot: true,
    });
    const r = out.commands[0]!.replacements[0]!;
    expect(r.instanceTypes).toHaveLength(15);
    expect(r.instanceTypes[0]).toBe("spot-s00");
    expect(r.requirements.find((q) => q.key === "karpenter.sh/capacity-type")!.values).toEqual(["spot"]);
    expect(r.launch!.capacityType).toBe("spot");
  });
});

describe("drift", () => {
  it("replaces a node whose NodePool template hash changed (same hash version)", () => {
    const p = pool("default", { labels: { team: "web" } });
    const out = decide({
      pools: [p],
      nodes: [{ name: "n", type: "new-4x", pods: pods(2, "w", { cpu: "1" }), claimAnnotations: { "karpenter.sh/nodepool-hash": "123", "karpenter.sh/nodepool-hash-version": NODEPOOL_HASH_VERSION } }],
    });
    expect(out.method).toBe("drift");
    expect(out.commands[0]!.reason).toBe("Drifted");
    expect(out.commands[0]!.decision).toBe("replace");
    expect(out.commands[0]!.replacements[0]!.labels.team).toBe("web");
  });

  it("is not static drift when the hash versions differ, nor when the hash matches", () => {
    const p = pool("default");
    const hash = nodePoolTemplateHash(p.nodePool);
    const one = (annotations: Record<string, string>) => decide({ pools: [p], nodes: [{ name: "n", type: "new-4x", pods: pods(3, "a", { cpu: "1" }), claimAnnotations: annotations }] });
    expect(one({ "karpenter.sh/nodepool-hash": "123", "karpenter.sh/nodepool-hash-version": "v3" }).method).toBeNull();
    expect(one({ "karpenter.sh/nodepool-hash": hash, "karpenter.sh/nodepool-hash-version": NODEPOOL_HASH_VERSION }).method).toBeNull();
    expect(one({ "karpenter.sh/nodepool-hash": "123", "karpenter.sh/nodepool-hash-version": NODEPOOL_HASH_VERSION }).method).toBe("drift");
  });

  it("drifts on requirements the node's labels no longer meet", () => {
    const out = decide({
      pools: [pool("default", { requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }], types: [instanceType("new-4x", { cpu: "4", memory: "16Gi", price: 0.2 })] })],
      nodes: [{ name: "od", type: "new-4x", pods: pods(2, "w", { cpu: "1" }) }],
    });
    expect(out.method).toBe("drift");
    expect(out.commands[0]!.replacements[0]!.launch!.capacityType).toBe("spot");
  });

  it("drifts on the EC2NodeClass: AMI, subnet and security groups the NodeClaim recorded", () => {
    const nodeClass = {
      apiVersion: "karpenter.k8s.aws/v1" as const,
      kind: "EC2NodeClass" as const,
      metadata: { name: "default" },
      spec: { subnetSelectorTerms: [], securityGroupSelectorTerms: [], amiSelectorTerms: [], tags: {}, metadataOptions: { httpEndpoint: "enabled" as const, httpProtocolIPv6: "disabled" as const, httpPutResponseHopLimit: 1, httpTokens: "required" as const } },
      status: { amis: [{ id: "ami-new", requirements: [] }], subnets: [{ id: "subnet-a", zone: "zone-a" }], securityGroups: [{ id: "sg-1" }] },
    };
    const one = (spec: { imageID?: string; claimAnnotations?: Record<string, string> }) =>
      decide({ nodeClasses: [nodeClass], nodes: [{ name: "n", type: "new-4x", pods: pods(3, "w", { cpu: "1" }), ...spec }] });
    expect(one({ imageID: "ami-old" }).method).toBe("drift");
    expect(one({ imageID: "ami-new" }).method).toBeNull();
    expect(one({ claimAnnotations: { "tenon.sh/subnet-id": "subnet-gone" } }).method).toBe("drift");
    expect(one({ claimAnnotations: { "tenon.sh/security-group-ids": "sg-1,sg-2" } }).method).toBe("drift");
    expect(one({ claimAnnotations: { "tenon.sh/security-group-ids": "sg-1" } }).method).toBeNull();
  });

  it("drifts on the EC2NodeClass hash only when the hash versions match", () => {
    const nodeClass = {
      apiVersion: "karpenter.k8s.aws/v1" as const,
      kind: "EC2NodeClass" as const,
      metadata: { name: "default" },
      spec: { subnetSelectorTerms: [], securityGroupSelectorTerms: [], amiSelectorTerms: [], tags: { team: "a" }, metadataOptions: { httpEndpoint: "enabled" as const, httpProtocolIPv6: "disabled" as const, httpPutResponseHopLimit: 1, httpTokens: "required" as const } },
    };
    const one = (annotations: Record<string, string>) => decide({ nodeClasses: [nodeClass], nodes: [{ name: "n", type: "new-4x", pods: pods(3, "w", { cpu: "1" }), claimAnnotations: annotations }] });
    const stamp = (hash: string, version: string) => ({ "karpenter.k8s.aws/ec2nodeclass-hash": hash, "karpenter.k8s.aws/ec2nodeclass-hash-version": version });
    expect(one(stamp(ec2NodeClassHash(nodeClass), EC2NODECLASS_HASH_VERSION)).method).toBeNull();
    const changed = one(stamp(ec2NodeClassHash({ ...nodeClass, spec: { ...nodeClass.spec, tags: { team: "b" } } }), EC2NODECLASS_HASH_VERSION));
    expect(changed.method).toBe("drift");
    // Karpenter's own stamp (another hash version) is never drift against Tenon's hash.
    expect(one(stamp("123", "v4")).method).toBeNull();
  });

  it("takes one node per pass, the earliest drifted first, ahead of consolidation", () => {
    const drifted = (since: number) => [
      { type: "Initialized", status: "True" as const, reason: "", message: "", lastTransitionTime: new Date(AT - 5 * DAY).toISOString() },
      { type: "Drifted", status: "True" as const, reason: "AMIDrifted", message: "", lastTransitionTime: new Date(since).toISOString() },
    ];
    const out = decide({
      nodes: [
        { name: "late", type: "new-4x", pods: pods(3, "a", { cpu: "1" }), conditions: drifted(AT - HOUR) },
        { name: "early", type: "new-4x", pods: pods(3, "b", { cpu: "1" }), conditions: drifted(AT - 2 * HOUR) },
        { name: "idle", type: "big-8x", pods: [pod({ name: "c", cpu: "100m" })] },
      ],
    });
    expect(out.method).toBe("drift");
    expect(taken(out)).toEqual(["early"]);
    expect(why(out, "late")).toContain("drift replaces one node per pass");
  });
});

describe("expiration", () => {
  it("reports expired nodes beside the pass, never as command candidates, whatever blocks them", () => {
    const out = decide({
      pools: [pool("default", { expireAfter: 7 * DAY })],
      nodes: [
        { name: "old", type: "new-4x", created: AT - 8 * DAY, pods: [pod({ name: "x", cpu: "1" })], nodeAnnotations: { "karpenter.sh/do-not-disrupt": "true" } },
        { name: "empty-old", type: "new-4x", created: AT - 8 * DAY },
        { name: "young", type: "big-8x", created: AT - DAY, pods: pods(3, "y", { cpu: "2" }) },
      ],
    });
    expect(out.expired.map((e) => e.node)).toEqual(["empty-old", "old"]);
    expect(out.method).toBeNull();
    expect(out.summary.expired).toBe(2);
  });

  it("never expires with expireAfter: Never", () => {
    const out = decide({ pools: [pool("default", { expireAfter: null })], nodes: [{ name: "n", type: "new-4x", created: AT - 400 * DAY, pods: pods(3, "w", { cpu: "1" }) }] });
    expect(out.expired).toEqual([]);
  });
});

describe("policies", () => {
  it("WhenEmpty consolidates only empty nodes", () => {
    const out = decide({
      pools: [pool("default", { consolidationPolicy: "WhenEmpty" })],
      nodes: [{ name: "light", type: "big-8x", pods: [pod({ name: "a", cpu: "1" })] }],
    });
    expect(out.method).toBeNull();
    expect(why(out, "light")).toBe("NodePool default has consolidationPolicy: WhenEmpty and the node has 1 pod(s) to move");
  });

  it("Balanced refuses a move whose savings are small for the disruption it causes", () => {
    const nodes = [
      { name: "a", type: "old-4x", pods: pods(10, "w", { cpu: "300m" }) },
      { name: "b", type: "new-4x", pods: pods(4, "v", { cpu: "1" }) },
    ];
    const balanced = decide({ pools: [pool("default", { consolidationPolicy: "Balanced" })], nodes });
    const eager = decide({ nodes });
    expect(eager.method).not.toBeNull();
    expect(balanced.method).toBeNull();
    expect(why(balanced, "a")).toContain("is Balanced");
  });
});

export { catalog };

describe("what moves, and where", () => {
  /** Pod cache-0 on node "light", its claim bound to a local PV with these node-affinity terms; three 2-cpu pods on "heavy". */
  function localVolumeCluster(terms: Array<Record<string, unknown>>) {
    const db = pod({ name: "cache-0", cpu: "1", volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-cache-0" } }] });
    return decide({
      nodes: [
        { name: "light", type: "big-8x", pods: [db] },
        { name: "heavy", type: "big-8x", pods: pods(3, "h", { cpu: "2" }) },
      ],
      claims: [{ metadata: { name: "data-cache-0", namespace: "default", annotations: { "pv.kubernetes.io/bind-completed": "yes" } }, spec: { volumeName: "local-pv-1", storageClassName: "local" } }],
      volumes: [{ metadata: { name: "local-pv-1" }, spec: { storageClassName: "local", nodeAffinity: { required: { nodeSelectorTerms: terms } } } }],
    });
  }
  const onHost = (host: string) => ({ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [host] }] });

  it("a local volume's hostname affinity does not pin a moved pod", () => {
    const out = localVolumeCluster([onHost("light")]);
    expect(taken(out)).toEqual(["light"]);
    expect(out.commands[0]!.existingNodes).toEqual([{ name: "heavy", pods: ["default/cache-0"] }]);
  });

  it("a volume whose node affinity ORs a hostname-only term with a zone term does not pin a moved pod to that zone", () => {
    const out = localVolumeCluster([onHost("light"), { matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: ["zone-b"] }] }]);
    // Without its hostname, the first term allows any node: the pod may go to "heavy" in zone-a.
    expect(taken(out)).toEqual(["light"]);
    expect(out.commands[0]!.existingNodes).toEqual([{ name: "heavy", pods: ["default/cache-0"] }]);
  });

  it("a terminating StatefulSet pod still counts as a pod of its node", () => {
    const sts = pod({ name: "db-0", cpu: "1", ownerKind: "StatefulSet" });
    sts.metadata.deletionTimestamp = new Date(AT - 60_000).toISOString();
    const out = decide({ nodes: [{ name: "n", type: "new-4x", pods: [sts] }] });
    expect(out.method).not.toBe("emptiness");
    expect(out.commands[0]!.pods).toEqual(["default/db-0"]);
  });

  it("in-flight capacity (a NodeClaim with no Node yet) takes moved pods", () => {
    const out = decide({
      nodes: [
        { name: "light", type: "new-4x", pods: pods(2, "a", { cpu: "1" }) },
        { name: "coming", type: "big-8x", noNode: true },
      ],
    });
    expect(taken(out)).toEqual(["light"]);
    expect(out.commands[0]!.decision).toBe("delete");
    expect(out.commands[0]!.existingNodes[0]!.name).toBe("coming-claim");
  });
});
