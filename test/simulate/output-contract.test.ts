/**
 * Contract details of the output beyond its shape: the same objects give the same bytes whatever
 * file order they come in; in-flight capacity is named by its NodeClaim; `launch` is null (never
 * absent, never invented) for a claim no offering can serve, and the summary adds up around it.
 */
import { describe, expect, it } from "vitest";
import type { NewNodeClaim, SchedulingInput, SchedulingResult } from "../../lib/scheduling/types.ts";
import { buildOutput } from "../../lib/simulate/output.ts";
import { instanceType, pod } from "../support/builders.ts";
import { CATALOG, docs, NODEPOOL, podYaml, tenon, workdir } from "./support.ts";

const node = (name: string) => `
apiVersion: v1
kind: Node
metadata:
  name: ${name}
  labels: {kubernetes.io/arch: amd64, kubernetes.io/os: linux, topology.kubernetes.io/zone: zone-a}
spec: {providerID: "aws:///zone-a/i-${name}"}
status:
  allocatable: {cpu: "1", memory: 4Gi, pods: "10"}`;

const inFlight = (name: string) => `
apiVersion: karpenter.sh/v1
kind: NodeClaim
metadata: {name: ${name}, labels: {karpenter.sh/nodepool: default}}
spec:
  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  requirements:
    - {key: node.kubernetes.io/instance-type, operator: In, values: ["small"]}
    - {key: topology.kubernetes.io/zone, operator: In, values: ["zone-b"]}`;

describe("simulate output: determinism across file order", () => {
  // Each file alone is order-sensitive input: two equal pods compete for one node with room for
  // one, and two equal nodes compete for one pod each. Spread across files, any -f order must
  // give the same bytes.
  const files = {
    "a.yaml": docs(podYaml("zeta", "800m"), node("node-2")),
    "b.yaml": docs(podYaml("alpha", "800m"), node("node-1"), podYaml("mid", "800m")),
    "c.yaml": docs(NODEPOOL, inFlight("default-inflight")),
    "catalog.json": CATALOG,
  };

  it("gives byte-identical output for every order of the same files", async () => {
    const dir = workdir(files);
    const orders = [
      ["a.yaml", "b.yaml", "c.yaml"],
      ["c.yaml", "b.yaml", "a.yaml"],
      ["b.yaml", "c.yaml", "a.yaml"],
    ];
    const outputs: string[] = [];
    for (const order of orders) {
      const run = await tenon(["simulate", ...order.flatMap((f) => ["-f", f]), "--instance-types", "catalog.json", "-o", "json"], dir);
      expect(run.code).toBe(0);
      outputs.push(run.out);
    }
    expect(outputs[1]).toBe(outputs[0]);
    expect(outputs[2]).toBe(outputs[0]);
    // Objects are taken in API-server order (namespace, then name): node-1 is tried before node-2,
    // alpha before mid before zeta; the in-flight claim is named by its NodeClaim.
    const output = JSON.parse(outputs[0]!) as { existingNodes: Array<{ name: string; pods: string[] }>; summary: { pods: number; scheduled: number } };
    expect(output.existingNodes).toEqual([
      { name: "node-1", pods: ["default/alpha"] },
      { name: "node-2", pods: ["default/mid"] },
      { name: "default-inflight", pods: ["default/zeta"] },
    ]);
    expect(output.summary).toMatchObject({ pods: 3, scheduled: 3 });
  });
});

describe("simulate output: launch", () => {
  it("is null, with the key present, for a claim none of whose offerings its requirements allow; the summary sums the others", () => {
    const served = instanceType("served", { cpu: "2", memory: "4Gi", price: 0.2, zones: ["zone-a"], capacityTypes: ["on-demand"] });
    const stranded = instanceType("stranded", { cpu: "2", memory: "4Gi", price: 0.3, zones: ["zone-a"], capacityTypes: ["on-demand"] });
    const claim = (types: NewNodeClaim["instanceTypes"], zone: string, name: string): NewNodeClaim => ({
      nodePoolName: "default",
      requirements: [{ key: "topology.kubernetes.io/zone", operator: "In", values: [zone] }],
      labels: { "topology.kubernetes.io/zone": zone },
      taints: [],
      startupTaints: [],
      instanceTypes: types,
      pods: [pod({ name, cpu: "1" })],
      requests: { cpu: 1000 },
      daemonSetRequests: {},
    });
    const result: SchedulingResult = { newNodeClaims: [claim([served], "zone-a", "ok"), claim([stranded], "zone-z", "stuck")], existingNodes: [], unschedulable: [] };
    const input = { pods: result.newNodeClaims.flatMap((c) => c.pods) } as SchedulingInput;
    const output = buildOutput(input, result);
    expect(output.nodeClaims[0]!.launch).toEqual({ instanceType: "served", zone: "zone-a", capacityType: "on-demand", price: 0.2 });
    expect(Object.keys(output.nodeClaims[1]!)).toContain("launch");
    expect(output.nodeClaims[1]!.launch).toBeNull();
    expect(JSON.parse(JSON.stringify(output)).nodeClaims[1].launch).toBeNull();
    // Its pods were placed (a claim exists for them); only its price is unknown.
    expect(output.summary).toEqual({ pods: 2, scheduled: 2, newNodeClaims: 2, pricePerHour: 0.2 });
  });
});
