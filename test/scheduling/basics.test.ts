import { describe, expect, it } from "vitest";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import {
  ARCH, CAPACITY_TYPE, existingNode, HOSTNAME, input, INSTANCE_TYPE, instanceType, NODEPOOL, nodePool, option, pod, pods, ZONE, ZONES,
} from "../support/builders.ts";
import { claimPods, placementOf, reasonOf } from "../support/scheduling.ts";

describe("new claims from a NodePool", () => {
  it("packs pods onto one claim and lists the instance types that fit, cheapest first", () => {
    const r = schedule(input({ pods: pods(4, "web", { cpu: "1", memory: "1Gi" }) }));
    expect(claimPods(r)).toEqual([["web-0", "web-1", "web-2", "web-3"]]);
    const claim = r.newNodeClaims[0]!;
    expect(claim.instanceTypes.map((t) => t.name)).toEqual(["m.4x", "m.8x", "m.16x"]);
    expect(claim.nodePoolName).toBe("default");
    expect(claim.labels[NODEPOOL]).toBe("default");
    expect(claim.requests.cpu).toBe(4000);
    expect(claim.requests.pods).toBe(4);
  });

  it("resolves single-valued requirements into labels and never exposes the hostname placeholder", () => {
    const np = nodePool("default", { labels: { team: "a" }, requirements: [{ key: CAPACITY_TYPE, operator: "In", values: ["on-demand"] }] });
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "1", nodeSelector: { [ZONE]: ZONES[1]! } })], nodePools: [option(np)] }));
    const claim = r.newNodeClaims[0]!;
    expect(claim.labels).toMatchObject({ team: "a", [ZONE]: ZONES[1], [CAPACITY_TYPE]: "on-demand", [NODEPOOL]: "default" });
    expect(claim.labels[HOSTNAME]).toBeUndefined();
    expect(claim.requirements.some((q) => q.key === HOSTNAME)).toBe(false);
    // Requirements come out sorted by key.
    const keys = claim.requirements.map((q) => q.key);
    expect(keys).toEqual([...keys].sort());
    expect(claim.requirements.find((q) => q.key === INSTANCE_TYPE)?.values).toEqual(claim.instanceTypes.map((t) => t.name).sort());
  });

  it("gives a custom label with several allowed values one value on the node", () => {
    const np = option(nodePool("default", { requirements: [{ key: "example.com/team", operator: "In", values: ["red", "blue"] }] }));
    const r = schedule(input({ pods: pods(1, "p", { cpu: "1" }), nodePools: [np] }));
    expect(r.newNodeClaims[0]!.labels["example.com/team"]).toBe("blue");
    expect(r.newNodeClaims[0]!.requirements.find((q) => q.key === "example.com/team")).toEqual({ key: "example.com/team", operator: "In", values: ["blue"] });
    const red = schedule(input({ pods: [pod({ name: "r", cpu: "1", nodeSelector: { "example.com/team": "red" } })], nodePools: [np] }));
    expect(red.newNodeClaims[0]!.labels["example.com/team"]).toBe("red");
  });

  it("honours nodeSelector, required node affinity terms in order, and every operator", () => {
    const big = instanceType("big", { cpu: "8", memory: "32Gi", price: 1, labels: { "example.com/gen": "7" } });
    const small = instanceType("small", { cpu: "2", memory: "8Gi", price: 0.2, labels: { "example.com/gen": "5" } });
    const np = option(nodePool("default"), [small, big]);
    const gt = (op: "Gt" | "Gte" | "Lt" | "Lte", v: string) =>
      pod({ name: `${op}-${v}`, cpu: "1", affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "example.com/gen", operator: op, values: [v] }] }] } } } });
    const typesFor = (p: ReturnType<typeof gt>) => schedule(input({ pods: [p], nodePools: [np] })).newNodeClaims[0]?.instanceTypes.map((t) => t.name);
    expect(typesFor(gt("Gt", "5"))).toEqual(["big"]);
    expect(typesFor(gt("Gte", "5"))).toEqual(["small", "big"]);
    expect(typesFor(gt("Lt", "5"))).toBeUndefined();
    expect(reasonOf(schedule(input({ pods: [gt("Lt", "5")], nodePools: [np] })), "Lt-5")).toMatch(/example.com\/gen Lt 5/);
    expect(typesFor(gt("Lte", "5"))).toEqual(["small"]);
  });

  it("falls through required node affinity OR terms when the first can't be met", () => {
    const p = pod({
      name: "p",
      cpu: "1",
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: "In", values: ["nowhere"] }] }, { matchExpressions: [{ key: ZONE, operator: "In", values: [ZONES[2]!] }] }],
          },
        },
      },
    });
    const r = schedule(input({ pods: [p] }));
    expect(r.newNodeClaims[0]?.labels[ZONE]).toBe(ZONES[2]);
  });

  it("applies NodePool requirements, including numeric bounds, to the instance types", () => {
    const types = [2, 4, 8, 16].map((n) => instanceType(`m.${n}x`, { cpu: String(n), memory: `${4 * n}Gi`, price: 0.05 * n, labels: { "karpenter.k8s.aws/instance-cpu": String(n) } }));
    const np = nodePool("default", { requirements: [{ key: "karpenter.k8s.aws/instance-cpu", operator: "Gt", values: ["2"] }, { key: "karpenter.k8s.aws/instance-cpu", operator: "Lte", values: ["8"] }] });
    const r = schedule(input({ pods: pods(1, "p", { cpu: "1" }), nodePools: [option(np, types)] }));
    expect(r.newNodeClaims[0]!.instanceTypes.map((t) => t.name)).toEqual(["m.4x", "m.8x"]);
  });

  it("lets a pod select a custom label only when the NodePool defines it", () => {
    const withLabel = option(nodePool("labelled", { requirements: [{ key: "example.com/team", operator: "Exists" }] }));
    const plain = option(nodePool("plain"));
    const p = pod({ name: "p", cpu: "1", nodeSelector: { "example.com/team": "blue" } });
    expect(schedule(input({ pods: [p], nodePools: [plain] })).unschedulable[0]?.reason).toBe(
      "incompatible with NodePool plain: label example.com/team: pod wants In [blue], NodePool plain does not define it",
    );
    const r = schedule(input({ pods: [p], nodePools: [plain, withLabel] }));
    expect(r.newNodeClaims[0]?.nodePoolName).toBe("labelled");
    expect(r.newNodeClaims[0]?.labels["example.com/team"]).toBe("blue");
  });

  it("lets a pod select well-known labels and catalog labels the NodePool does not mention", () => {
    const arm = instanceType("arm", { cpu: "2", memory: "8Gi", price: 0.1, requirements: [], labels: { "karpenter.k8s.aws/instance-family": "m7g" } });
    arm.requirements = arm.requirements.map((q) => (q.key === ARCH ? { ...q, values: ["arm64"] } : q));
    const amd = instanceType("amd", { cpu: "2", memory: "8Gi", price: 0.05 });
    const r = schedule(input({
      pods: [pod({ name: "a", cpu: "1", nodeSelector: { [ARCH]: "arm64" } }), pod({ name: "f", cpu: "1", nodeSelector: { "karpenter.k8s.aws/instance-family": "m7g", "beta.kubernetes.io/arch": "arm64" } })],
      nodePools: [option(nodePool("default"), [amd, arm])],
    }));
    expect(r.unschedulable).toEqual([]);
    for (const c of r.newNodeClaims) expect(c.instanceTypes.map((t) => t.name)).toEqual(["arm"]);
  });

  it("requires NodePool taints to be tolerated but not startup taints", () => {
    const tainted = nodePool("gpu", { taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }], startupTaints: [{ key: "init", effect: "NoSchedule" }] });
    const plain = pod({ name: "plain", cpu: "1" });
    const tolerant = pod({ name: "tolerant", cpu: "1", tolerations: [{ key: "nvidia.com/gpu", operator: "Exists" }] });
    const r = schedule(input({ pods: [plain, tolerant], nodePools: [option(tainted)] }));
    expect(reasonOf(r, "plain")).toBe("incompatible with NodePool gpu: taint nvidia.com/gpu=true:NoSchedule not tolerated");
    expect(claimPods(r)).toEqual([["tolerant"]]);
    expect(r.newNodeClaims[0]!.taints).toEqual([{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }]);
    expect(r.newNodeClaims[0]!.startupTaints).toEqual([{ key: "init", effect: "NoSchedule" }]);
  });

  it("tries NodePools by weight, then name", () => {
    const p = pods(1, "p", { cpu: "1" });
    const r1 = schedule(input({ pods: p, nodePools: [option(nodePool("b")), option(nodePool("a"))] }));
    expect(r1.newNodeClaims[0]!.nodePoolName).toBe("a");
    const r2 = schedule(input({ pods: p, nodePools: [option(nodePool("a")), option(nodePool("z", { weight: 10 }))] }));
    expect(r2.newNodeClaims[0]!.nodePoolName).toBe("z");
  });

  it("skips offerings that are not available and orders types by their cheapest available offering", () => {
    const cheapGone = instanceType("cheap", { cpu: "4", memory: "16Gi", price: 0.1, offerings: [{ zone: ZONES[0]!, capacityType: "spot", price: 0.01, available: false }, { zone: ZONES[0]!, capacityType: "on-demand", price: 0.3, available: true }] });
    const mid = instanceType("mid", { cpu: "4", memory: "16Gi", price: 0.2 });
    const r = schedule(input({ pods: pods(1, "p", { cpu: "1" }), nodePools: [option(nodePool("default"), [cheapGone, mid])] }));
    expect(r.newNodeClaims[0]!.instanceTypes.map((t) => t.name)).toEqual(["mid", "cheap"]);
    const onlyGone = instanceType("gone", { cpu: "4", memory: "16Gi", price: 0.1, unavailable: ZONES.flatMap((zone) => [{ zone, capacityType: "spot" as const }, { zone, capacityType: "on-demand" as const }]) });
    const r2 = schedule(input({ pods: pods(1, "q", { cpu: "1" }), nodePools: [option(nodePool("default"), [onlyGone])] }));
    expect(r2.unschedulable).toHaveLength(1);
  });

  it("orders by the cheapest offering in the zones the claim allows", () => {
    const cheapInA = instanceType("cheap-in-a", { cpu: "4", memory: "16Gi", price: 1, offerings: [
      { zone: ZONES[0]!, capacityType: "on-demand", price: 0.1, available: true },
      { zone: ZONES[1]!, capacityType: "on-demand", price: 0.5, available: true },
    ] });
    const steady = instanceType("steady", { cpu: "4", memory: "16Gi", price: 0.3, capacityTypes: ["on-demand"] });
    const at = (zone: string) =>
      schedule(input({ pods: [pod({ name: "p", cpu: "1", nodeSelector: { [ZONE]: zone } })], nodePools: [option(nodePool("default"), [steady, cheapInA])] })).newNodeClaims[0]!.instanceTypes.map((t) => t.name);
    expect(at(ZONES[0]!)).toEqual(["cheap-in-a", "steady"]);
    expect(at(ZONES[1]!)).toEqual(["steady", "cheap-in-a"]);
    expect(at(ZONES[2]!)).toEqual(["steady"]);
  });

  it("keeps at most maxInstanceTypesPerClaim options, keeping the cheapest", () => {
    const types = Array.from({ length: 10 }, (_, i) => instanceType(`t${i}`, { cpu: "4", memory: "16Gi", price: 1 - i * 0.05 }));
    const r = schedule(input({ pods: pods(1, "p", { cpu: "1" }), nodePools: [option(nodePool("default"), types)], options: { maxInstanceTypesPerClaim: 3 } }));
    expect(r.newNodeClaims[0]!.instanceTypes.map((t) => t.name)).toEqual(["t9", "t8", "t7"]);
  });

  it("counts extended resources and the pods capacity of each type", () => {
    const gpu = instanceType("gpu", { cpu: "8", memory: "32Gi", price: 2, extra: { "nvidia.com/gpu": "1" } });
    const tiny = instanceType("tiny", { cpu: "16", memory: "64Gi", price: 0.1, pods: "2" });
    const r = schedule(input({
      pods: [pod({ name: "train", cpu: "1", limits: { "nvidia.com/gpu": "1" } }), ...pods(3, "web", { cpu: "100m" })],
      nodePools: [option(nodePool("default"), [tiny, gpu])],
    }));
    const byPod = Object.fromEntries(r.newNodeClaims.flatMap((c) => c.pods.map((p) => [p.metadata.name, c.instanceTypes.map((t) => t.name)])));
    expect(byPod.train).toEqual(["gpu"]);
    // Two pods per tiny node at most; the third goes elsewhere.
    expect(r.newNodeClaims.every((c) => c.pods.length <= 2 || c.instanceTypes.every((t) => t.name === "gpu"))).toBe(true);
    expect(r.unschedulable).toEqual([]);
  });

  it("lets a pod pick its NodePool with the karpenter.sh/nodepool label", () => {
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "1", nodeSelector: { [NODEPOOL]: "b" } })], nodePools: [option(nodePool("a", { weight: 50 })), option(nodePool("b"))] }));
    expect(r.newNodeClaims[0]!.nodePoolName).toBe("b");
  });

  it("keeps catalog order among equal prices", () => {
    const types = ["x", "y", "z"].map((n) => instanceType(n, { cpu: "4", memory: "16Gi", price: 0.2 }));
    const r = schedule(input({ pods: pods(1, "p", { cpu: "1" }), nodePools: [option(nodePool("default"), [types[2]!, types[0]!, types[1]!])] }));
    expect(r.newNodeClaims[0]!.instanceTypes.map((t) => t.name)).toEqual(["z", "x", "y"]);
  });

  it("is deterministic: the same input gives the same output", () => {
    const make = () => input({ pods: [...pods(7, "a", { cpu: "700m" }), ...pods(5, "b", { cpu: "1500m", labels: { app: "b" }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "b" } } }] })] });
    const summary = (x: ReturnType<typeof schedule>) => JSON.stringify([x.newNodeClaims.map((c) => [c.labels, c.instanceTypes.map((t) => t.name), c.pods.map((p) => p.metadata.name)]), x.unschedulable.map((u) => u.reason)]);
    expect(summary(schedule(make()))).toBe(summary(schedule(make())));
  });
});

describe("existing capacity", () => {
  it("fills existing nodes and in-flight claims first, skipping unschedulable ones", () => {
    const cordoned = existingNode("cordoned", { cpu: "8", unschedulable: true });
    const full = existingNode("full", { cpu: "2", pods: [pod({ name: "bound", cpu: "2" })] });
    const inflight = existingNode("claim-1", { cpu: "4", initialized: false });
    const r = schedule(input({ pods: pods(5, "p", { cpu: "1" }), existingNodes: [cordoned, full, inflight] }));
    expect(r.existingNodes).toEqual([{ name: "claim-1", pods: expect.any(Array) }]);
    expect(r.existingNodes[0]!.pods).toHaveLength(4);
    expect(claimPods(r)).toHaveLength(1);
  });

  it("does not place a pod on a node missing a label the pod requires", () => {
    const node = existingNode("n1", { labels: { [ZONE]: ZONES[0]! } });
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "1", nodeSelector: { "example.com/x": "y" } })], existingNodes: [node], nodePools: [] }));
    expect(placementOf(r).p).toBe("unschedulable");
    const ok = schedule(input({ pods: [pod({ name: "p", cpu: "1", nodeSelector: { [ZONE]: ZONES[0]! } })], existingNodes: [node], nodePools: [] }));
    expect(placementOf(ok).p).toBe("n1");
  });

  it("narrows an in-flight NodeClaim that has not chosen its zone yet as pods land on it", () => {
    const inflight = existingNode("claim-x", { cpu: "4", initialized: false });
    inflight.labels = {};
    inflight.nodeClaim = {
      apiVersion: "karpenter.sh/v1",
      kind: "NodeClaim",
      metadata: { name: "claim-x" },
      spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        requirements: [{ key: ZONE, operator: "In", values: [ZONES[0]!, ZONES[1]!] }],
        taints: [],
        startupTaints: [],
        expireAfter: null,
      },
    };
    const inA = pod({ name: "a", cpu: "1", nodeSelector: { [ZONE]: ZONES[0]! } });
    const inB = pod({ name: "b", cpu: "1", nodeSelector: { [ZONE]: ZONES[1]! } });
    const r = schedule(input({ pods: [inA, inB], existingNodes: [inflight] }));
    expect(placementOf(r)).toEqual({ a: "claim-x", b: "claim:0" });
  });

  it("respects existing node taints", () => {
    const node = existingNode("n1", { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] });
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "1" })], existingNodes: [node] }));
    expect(placementOf(r).p).toBe("claim:0");
  });
});
