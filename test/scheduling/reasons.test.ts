import { describe, expect, it } from "vitest";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { HOSTNAME, input, instanceType, nodePool, option, pod, ZONE, ZONES } from "../support/builders.ts";
import { reasonOf } from "../support/scheduling.ts";

describe("unschedulable reasons", () => {
  it("names every NodePool tried and why it failed", () => {
    const gpu = option(nodePool("gpu", { weight: 10, taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }] }));
    const def = option(nodePool("default"), [instanceType("huge", { cpu: "192", memory: "768Gi", price: 10 })]);
    const r = schedule(input({ pods: [pod({ name: "big", cpu: "200" })], nodePools: [def, gpu] }));
    expect(reasonOf(r, "big")).toBe(
      "incompatible with NodePool gpu: taint nvidia.com/gpu=true:NoSchedule not tolerated; no instance type in NodePool default has enough cpu (wants 200, largest 192)",
    );
  });

  it("explains a zone the NodePool does not allow", () => {
    const np = option(nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: [ZONES[0]!, ZONES[1]!] }] }));
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "1", nodeSelector: { [ZONE]: "us-east-1d" } })], nodePools: [np] }));
    expect(reasonOf(r, "p")).toBe(`incompatible with NodePool default: key ${ZONE}: pod wants In [us-east-1d], NodePool default allows In [${ZONES[0]} ${ZONES[1]}]`);
  });

  it("fits no pod on a NodePool whose requirements contradict each other", () => {
    const np = option(nodePool("broken", { requirements: [{ key: "example.com/team", operator: "In", values: ["a"] }, { key: "example.com/team", operator: "NotIn", values: ["a"] }] }));
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "1" })], nodePools: [np] }));
    expect(reasonOf(r, "p")).toBe("incompatible with NodePool broken: key example.com/team: NodePool broken allows nothing (its requirements contradict each other)");
  });

  it("explains requirements no instance type meets", () => {
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "1", nodeSelector: { "node.kubernetes.io/instance-type": "p5.48xlarge" } })] }));
    expect(reasonOf(r, "p")).toMatch(/^no instance type in NodePool default meets the pod's requirements \(.*node.kubernetes.io\/instance-type In \[p5.48xlarge\]/);
  });

  it("explains resources that fit no single type together", () => {
    const types = [instanceType("cpu-heavy", { cpu: "16", memory: "8Gi", price: 1 }), instanceType("mem-heavy", { cpu: "2", memory: "64Gi", price: 1 })];
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "8", memory: "32Gi" })], nodePools: [option(nodePool("default"), types)] }));
    expect(reasonOf(r, "p")).toBe("no instance type in NodePool default fits cpu 8, memory 32Gi at once");
  });

  it("cannot target a hostname on a node that does not exist yet", () => {
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "1", nodeSelector: { [HOSTNAME]: "ip-10-0-0-1" } })] }));
    expect(reasonOf(r, "p")).toMatch(/kubernetes.io\/hostname/);
  });

  it("reports a malformed quantity instead of crashing", () => {
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "lots" })] }));
    expect(reasonOf(r, "p")).toMatch(/^invalid resource quantity: "lots" is not a valid quantity/);
  });

  it("says so when there is no NodePool and nothing fits", () => {
    const r = schedule(input({ pods: [pod({ name: "p", cpu: "1" })], nodePools: [] }));
    expect(reasonOf(r, "p")).toBe("no NodePool can launch capacity for it and no existing node fits");
  });

  it("does not crash on specs the API server would have rejected", () => {
    const odd = [
      { metadata: { name: "no-containers" }, spec: {} },
      { metadata: { name: "spread-no-key" }, spec: { containers: [], topologySpreadConstraints: [{ maxSkew: 1, whenUnsatisfiable: "DoNotSchedule" }] } },
      { metadata: { name: "affinity-no-term" }, spec: { containers: [], affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{}] }, podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }] } } } },
      { metadata: { name: "gt-not-integer" }, spec: { containers: [{ name: "a" }], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "k", operator: "Gt", values: ["x"] }] }] } } } } },
    ] as unknown as Parameters<typeof input>[0]["pods"];
    const r = schedule(input({ pods: odd }));
    expect(r.newNodeClaims.flatMap((c) => c.pods).length + r.unschedulable.length).toBe(4);
    expect(reasonOf(r, "gt-not-integer")).toBe("incompatible with NodePool default: label k: pod wants In [], NodePool default does not define it");
  });

  it("lists every pending pod exactly once", () => {
    const list = [pod({ name: "a", cpu: "1" }), pod({ name: "b", cpu: "500" }), pod({ name: "c", cpu: "2" })];
    const r = schedule(input({ pods: list }));
    const seen = [...r.newNodeClaims.flatMap((c) => c.pods), ...r.existingNodes.flatMap((e) => e.pods), ...r.unschedulable.map((u) => u.pod)];
    expect(seen.map((p) => p.metadata.name).sort()).toEqual(["a", "b", "c"]);
  });
});
