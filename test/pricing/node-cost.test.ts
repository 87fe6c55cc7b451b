/**
 * A NodePool's per-node cost (`tenon.sh/node-cost-per-hour`) is part of every price: the NodeClaims
 * `tenon simulate` plans cost it on top of the instance, and consolidation weighs it, so two nodes
 * become one when the fixed cost saved outweighs a pricier instance. A bad value is an input error.
 */
import { describe, expect, it } from "vitest";
import { docs, tenon, workdir } from "../simulate/support.ts";

/** small: 2 cpu at $0.10; big: 4 cpu at $0.21 (two smalls are cheaper than one big, on instances alone). */
const CATALOG = JSON.stringify(
  [
    ["small", "2", 0.1],
    ["big", "4", 0.21],
  ].map(([name, cpu, price]) => ({
    name,
    capacity: { cpu, memory: "16Gi", pods: "50" },
    requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }],
    labels: { "kubernetes.io/os": "linux" },
    offerings: [{ zone: "zone-a", capacityType: "on-demand", price }],
  })),
);

function pool(cost?: string): string {
  return `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
${cost !== undefined ? `  annotations: {tenon.sh/node-cost-per-hour: "${cost}"}` : ""}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements: [{key: karpenter.sh/capacity-type, operator: In, values: ["on-demand"]}]
  disruption: {consolidationPolicy: WhenEmptyOrUnderutilized, consolidateAfter: 0s, budgets: [{nodes: "100%"}]}
`;
}

/** A small node running one 1200m pod (two such pods never share a small node). */
function smallNode(name: string): string {
  const providerID = `aws:///zone-a/i-${name}`;
  return `
apiVersion: v1
kind: Node
metadata:
  name: ${name}
  labels: {karpenter.sh/nodepool: default, karpenter.sh/initialized: "true", node.kubernetes.io/instance-type: small, topology.kubernetes.io/zone: zone-a, karpenter.sh/capacity-type: on-demand, kubernetes.io/arch: amd64, kubernetes.io/os: linux, kubernetes.io/hostname: ${name}}
spec: {providerID: "${providerID}"}
status: {allocatable: {cpu: "2", memory: 16Gi, pods: "50"}, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: karpenter.sh/v1
kind: NodeClaim
metadata: {name: ${name}-claim, labels: {karpenter.sh/nodepool: default}, creationTimestamp: "2026-12-01T00:00:00Z"}
spec:
  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  requirements: []
status:
  providerID: "${providerID}"
  conditions: [{type: Initialized, status: "True", reason: Initialized, message: "", lastTransitionTime: "2026-12-01T00:01:00Z"}]
---
apiVersion: v1
kind: Pod
metadata: {name: app-${name}, namespace: default, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: app, uid: u1, controller: true}]}
spec:
  nodeName: ${name}
  containers: [{name: app, resources: {requests: {cpu: 1200m, memory: 1Gi}}}]
status: {phase: Running}
`;
}

async function disrupt(cost?: string) {
  const dir = workdir({ "in.yaml": docs(pool(cost), smallNode("n1"), smallNode("n2")), "catalog.json": CATALOG });
  const run = await tenon(["disrupt", "-f", "in.yaml", "--instance-types", "catalog.json", "--at", "2026-12-03T10:00:00Z", "-o", "json"], dir);
  expect(run.err).toBe("");
  return JSON.parse(run.out) as { method: string | null; commands: Array<{ decision: string; replacements: Array<{ launch: { instanceType: string; price: number } }>; savingsPerHour: number }> };
}

describe("a NodePool's per-node cost", () => {
  it("makes consolidation replace two nodes with one when the fixed cost saved outweighs the bigger instance", async () => {
    // Instances alone: two smalls ($0.20) against one big ($0.21): nothing to gain.
    expect((await disrupt()).method).toBeNull();
    // With $0.05 per node: $0.30 against $0.26.
    const withCost = await disrupt("0.05");
    expect(withCost.method).toBe("multi-node-consolidation");
    expect(withCost.commands[0]!.replacements[0]!.launch).toMatchObject({ instanceType: "big", price: 0.26 });
    expect(withCost.commands[0]!.savingsPerHour).toBeCloseTo(0.04, 6);
  });

  it("is in the price of every NodeClaim simulate plans", async () => {
    const dir = workdir({
      "in.yaml": docs(pool("0.5"), `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec: {containers: [{name: app, resources: {requests: {cpu: "1", memory: 1Gi}}}]}
`),
      "catalog.json": CATALOG,
    });
    const run = await tenon(["simulate", "-f", "in.yaml", "--instance-types", "catalog.json", "-o", "json"], dir);
    const out = JSON.parse(run.out) as { nodeClaims: Array<{ launch: { instanceType: string; price: number } }>; summary: { pricePerHour: number } };
    expect(out.nodeClaims[0]!.launch).toMatchObject({ instanceType: "small", price: 0.6 });
    expect(out.summary.pricePerHour).toBeCloseTo(0.6, 6);
  });

  it("must be a price: a bad value is an input error naming the annotation", async () => {
    const dir = workdir({ "in.yaml": pool("five cents"), "catalog.json": CATALOG });
    const run = await tenon(["simulate", "-f", "in.yaml", "--instance-types", "catalog.json", "-o", "json"], dir);
    expect(run.code).toBe(2);
    expect(run.err).toContain('error: NodePool default: metadata.annotations["tenon.sh/node-cost-per-hour"]: "five cents" is not a price in USD per hour');
  });
});
