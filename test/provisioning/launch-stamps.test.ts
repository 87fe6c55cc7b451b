/**
 * What a launch records for drift (issue 10): a NodeClaim the provisioner launches carries its
 * NodePool's template hash and what its EC2NodeClass resolved to (AMI, subnet, security groups),
 * and the disruption decision finds it Drifted once the NodePool template or the EC2NodeClass moves
 * away from that, and not before. In-memory cloud and cluster, through the provisioner.
 */
import { describe, expect, it } from "vitest";
import { ec2NodeClassHashAnnotations, nodePoolHashAnnotations } from "../../lib/api/drift-hash.ts";
import type { EC2NodeClass, NodePool } from "../../lib/api/types.ts";
import { disruptionPass, type DisruptionObjects } from "../../lib/disruption/decide.ts";
import { passOutput } from "../../lib/disruption/output.ts";
import { runLifecycle } from "../../lib/lifecycle/lifecycle.ts";
import { clusterObjects, observe } from "../../lib/observe/observe.ts";
import { runProvisioner } from "../../lib/provisioning/provisioner.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";
import { podRequesting } from "../support/in-memory-cluster.ts";

const CLUSTER = "tenon-sim";
const ON_DEMAND_ONLY = [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }];

/** A world where the provisioner has launched one NodeClaim for one pending pod, and its Node has joined. */
async function launchedWorld(): Promise<SimulatedWorld> {
  const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
  w.cluster.putCustomObject("NodePool", nodePoolObject("default", ON_DEMAND_ONLY));
  w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(CLUSTER));
  w.cluster.addPod(podRequesting("web-1", "500m"));
  await w.cluster.advance(2_000);
  const report = await runProvisioner(w.ports, "tick");
  expect(report.launched).toBe(1);
  // The Node joins and becomes ready; lifecycle ticks register and initialize the NodeClaim.
  for (let tick = 0; tick < 6; tick++) {
    await w.cluster.advance(30_000);
    await runLifecycle(w.ports);
  }
  expect((await w.ports.store.listNodeClaims()).map((r) => r.phase)).toEqual(["Initialized"]);
  return w;
}

/** The disruption decision's input for the world as it is, with the EC2NodeClass's status as `status` says. */
interface Change {
  nodePool?: (np: NodePool) => NodePool;
  nodeClass?: (nc: EC2NodeClass) => EC2NodeClass;
  status?: (s: NonNullable<EC2NodeClass["status"]>) => EC2NodeClass["status"];
}

async function disruptionInput(w: SimulatedWorld, change: Change = {}): Promise<DisruptionObjects> {
  const observation = await observe(w.ports, w.ports.clock.now());
  const objects = clusterObjects(observation);
  const nodePools = observation.nodePools.map((o) => ({ ...o, nodePool: change.nodePool ? change.nodePool(structuredClone(o.nodePool)) : o.nodePool }));
  const nodeClasses: EC2NodeClass[] = [];
  for (const o of nodePools) {
    if (!o.nodeClass) continue;
    const resolved = await w.cloud.resolveNodeClass(o.nodeClass);
    const status = { amis: resolved.amis.map((a) => ({ id: a.id, requirements: a.requirements })), subnets: resolved.subnets.map((s) => ({ id: s.id, zone: s.zone })), securityGroups: resolved.securityGroups.map((g) => ({ id: g.id })) };
    const nodeClass = change.nodeClass ? change.nodeClass(structuredClone(o.nodeClass)) : o.nodeClass;
    nodeClasses.push({ ...nodeClass, status: change.status ? change.status(status) : status });
  }
  return { ...objects, nodePools: nodePools.map((o) => ({ ...o, nodeClass: nodeClasses.find((c) => c.metadata.name === o.nodeClass?.metadata.name) ?? o.nodeClass })), nodeClasses, podDisruptionBudgets: [] };
}

describe("a launched NodeClaim records what drift compares", () => {
  it("carries its NodePool's hash annotations and the AMI, subnet and security groups the cloud used", async () => {
    const w = await launchedWorld();
    const [record] = await w.ports.store.listNodeClaims();
    const claim = record!.nodeClaim;
    const observation = await observe(w.ports, w.ports.clock.now());
    const nodePool = observation.nodePools[0]!.nodePool;
    expect(claim.metadata.annotations).toMatchObject(nodePoolHashAnnotations(nodePool));
    expect(claim.metadata.annotations).toMatchObject(ec2NodeClassHashAnnotations(observation.nodePools[0]!.nodeClass!));

    const [instance] = await w.cloud.list();
    const resolved = await w.cloud.resolveNodeClass(observation.nodePools[0]!.nodeClass!);
    expect(instance!.subnetId).toBeDefined();
    expect(resolved.subnets.map((s) => s.id)).toContain(instance!.subnetId);
    expect(claim.status?.imageID).toBe(instance!.imageId);
    expect(claim.metadata.annotations?.["tenon.sh/subnet-id"]).toBe(instance!.subnetId);
    expect(claim.metadata.annotations?.["tenon.sh/security-group-ids"]).toBe(resolved.securityGroups.map((g) => g.id).sort().join(","));
  });
});

describe("drift of a launched NodeClaim", () => {
  it("is none while the NodePool and the EC2NodeClass are as they were at launch", async () => {
    const w = await launchedWorld();
    const out = passOutput(disruptionPass(await disruptionInput(w), w.ports.clock.now()));
    expect(out.commands.filter((c) => c.reason === "Drifted")).toEqual([]);
  });

  it("replaces it once the NodePool template changed (hash-only: an annotation, no requirement)", async () => {
    const w = await launchedWorld();
    const input = await disruptionInput(w, {
      nodePool: (np) => ({ ...np, spec: { ...np.spec, template: { ...np.spec.template, metadata: { ...np.spec.template.metadata, annotations: { ...np.spec.template.metadata.annotations, "example.com/owner": "team-b" } } } } }),
    });
    const out = passOutput(disruptionPass(input, w.ports.clock.now()));
    expect(out.method).toBe("drift");
    expect(out.commands[0]!.reason).toBe("Drifted");
  });

  it("replaces it once a static EC2NodeClass field changed (its hash), but not for a new selector term alone", async () => {
    const w = await launchedWorld();
    const tagged = await disruptionInput(w, { nodeClass: (nc) => ({ ...nc, spec: { ...nc.spec, tags: { ...nc.spec.tags, "cost-center": "42" } } }) });
    const out = passOutput(disruptionPass(tagged, w.ports.clock.now()));
    expect(out.method).toBe("drift");
    expect(out.commands[0]!.reason).toBe("Drifted");
    // Selector terms are not hashed: what they resolve to is compared instead, and here it is unchanged.
    const reselected = await disruptionInput(w, { nodeClass: (nc) => ({ ...nc, spec: { ...nc.spec, subnetSelectorTerms: [...nc.spec.subnetSelectorTerms, { tags: { extra: "yes" } }] } }) });
    expect(passOutput(disruptionPass(reselected, w.ports.clock.now())).commands.filter((c) => c.reason === "Drifted")).toEqual([]);
  });

  it("replaces it once the EC2NodeClass resolves another AMI, other subnets or other security groups", async () => {
    const w = await launchedWorld();
    const newAmi = await disruptionInput(w, { status: (s) => ({ ...s, amis: [{ id: "ami-0fffffffffffffff0", requirements: [] }] }) });
    expect(passOutput(disruptionPass(newAmi, w.ports.clock.now())).method).toBe("drift");
    const newSubnets = await disruptionInput(w, { status: (s) => ({ ...s, subnets: s.subnets!.map((x, i) => ({ ...x, id: `subnet-0new${i}` })) }) });
    expect(passOutput(disruptionPass(newSubnets, w.ports.clock.now())).method).toBe("drift");
    const newGroups = await disruptionInput(w, { status: (s) => ({ ...s, securityGroups: [{ id: "sg-0new" }] }) });
    expect(passOutput(disruptionPass(newGroups, w.ports.clock.now())).method).toBe("drift");
  });
});
