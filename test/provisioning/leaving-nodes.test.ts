/**
 * The provisioner's view of Nodes on their way out: it lists their pods, the scheduler input plans
 * the reschedulable ones again, and the Node offers no capacity; a replacement already in flight
 * takes them.
 */
import { describe, expect, it } from "vitest";
import type { Node, Pod } from "../../lib/api/kubernetes.ts";
import { TERMINATION_FINALIZER } from "../../lib/api/labels.ts";
import { clusterObjects, observe } from "../../lib/observe/observe.ts";
import { observeLeaving } from "../../lib/provisioning/provisioner.ts";
import type { NodeClaimPhase } from "../../lib/ports/store.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { buildSchedulingInput } from "../../lib/scheduling/snapshot.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";
import { podRequesting } from "../support/in-memory-cluster.ts";
import { claimContent } from "../support/records.ts";

const ALLOCATABLE = { cpu: "4", memory: "16Gi", pods: "110" };

function managedNode(name: string, extra: Partial<Node["metadata"]> = {}, taints: Node["spec"]["taints"] = []): Node {
  return {
    metadata: { name, labels: { "karpenter.sh/nodepool": "default", "karpenter.sh/initialized": "true", "topology.kubernetes.io/zone": "us-east-1a", "kubernetes.io/arch": "amd64" }, finalizers: [TERMINATION_FINALIZER], ...extra },
    spec: { providerID: `aws:///us-east-1a/i-${name}`, taints },
    status: { allocatable: ALLOCATABLE, capacity: ALLOCATABLE, conditions: [{ type: "Ready", status: "True" }] },
  };
}

async function addRecord(w: SimulatedWorld, name: string, phase: NodeClaimPhase, providerID?: string): Promise<void> {
  const content = claimContent(name, phase);
  content.nodeClaim.status = { ...(providerID ? { providerID } : {}), allocatable: ALLOCATABLE, capacity: ALLOCATABLE };
  await w.ports.store.createNodeClaim(content, 0);
}

const bound = (name: string, node: string, spec: Partial<Pod["spec"]> = {}, meta: Partial<Pod["metadata"]> = {}): Pod => {
  const p = podRequesting(name, "1", { nodeName: node, ...spec });
  return { ...p, metadata: { ...p.metadata, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web" }], ...meta }, status: { phase: "Running" } };
};

/** A full staying Node, and a leaving one (`how`) carrying three web pods, a DaemonSet pod and a pod that tolerates the disrupted taint. */
async function world(how: "deleted" | "terminating" | "tainted"): Promise<SimulatedWorld> {
  const w = simulatedWorld({ store: createMemoryStore({ clusterName: "tenon-sim" }) });
  w.cluster.putCustomObject("NodePool", nodePoolObject("default"));
  w.cluster.putCustomObject("EC2NodeClass", nodeClassObject("tenon-sim"));
  w.cluster.addNode(managedNode("full"));
  await addRecord(w, "nc-full", "Initialized", "aws:///us-east-1a/i-full");
  w.cluster.addPod(bound("filler", "full", { containers: [{ name: "app", resources: { requests: { cpu: "4" } } }] }));
  const disrupted = { key: "karpenter.sh/disrupted", effect: "NoSchedule" as const };
  w.cluster.addNode(managedNode("leaving", how === "deleted" ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}, how === "tainted" ? [disrupted] : []));
  await addRecord(w, "nc-leaving", how === "terminating" ? "Terminating" : "Initialized", "aws:///us-east-1a/i-leaving");
  for (const name of ["web-1", "web-2", "web-3"]) w.cluster.addPod(bound(name, "leaving"));
  w.cluster.addPod(bound("agent", "leaving", {}, { ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent" }] }));
  w.cluster.addPod(bound("stays", "leaving", { tolerations: [{ key: "karpenter.sh/disrupted", operator: "Exists" }] }));
  return w;
}

async function plan(w: SimulatedWorld) {
  const observation = await observe(w.ports, w.ports.clock.now());
  const leaving = await observeLeaving(w.ports, observation);
  return { leaving, result: schedule(buildSchedulingInput(clusterObjects(observation, leaving))) };
}

describe("the pods of leaving Nodes in the provisioner's plan", () => {
  it.each(["deleted", "terminating", "tainted"] as const)("a %s Node gives back the pods its drain moves and offers no capacity: they get a new NodeClaim", async (how) => {
    const { leaving, result } = await plan(await world(how));
    expect(leaving.nodes).toEqual(["leaving"]);
    expect(leaving.pods.map((p) => p.metadata.name).sort()).toEqual(["web-1", "web-2", "web-3"]);
    expect(result.newNodeClaims.flatMap((c) => c.pods.map((p) => p.metadata.name)).sort()).toEqual(["web-1", "web-2", "web-3"]);
    expect(result.existingNodes.filter((p) => p.pods.length > 0)).toEqual([]);
    expect(result.unschedulable).toEqual([]);
  });

  it("a replacement already in flight (a record Launched, not yet a Node) takes them: nothing new is planned", async () => {
    const w = await world("terminating");
    await addRecord(w, "nc-replacement", "Launched", "aws:///us-east-1a/i-replacement");
    const { result } = await plan(w);
    expect(result.newNodeClaims).toEqual([]);
    expect(result.existingNodes.filter((p) => p.pods.length > 0).map((p) => `${p.name}: ${p.pods.map((x) => x.metadata.name).sort().join(",")}`)).toEqual(["nc-replacement: web-1,web-2,web-3"]);
  });

  it("a Node that is not leaving keeps its pods where they are and offers its room", async () => {
    const w = simulatedWorld({ store: createMemoryStore({ clusterName: "tenon-sim" }) });
    w.cluster.putCustomObject("NodePool", nodePoolObject("default"));
    w.cluster.putCustomObject("EC2NodeClass", nodeClassObject("tenon-sim"));
    w.cluster.addNode(managedNode("steady"));
    await addRecord(w, "nc-steady", "Initialized", "aws:///us-east-1a/i-steady");
    w.cluster.addPod(bound("web-1", "steady"));
    const { leaving } = await plan(w);
    expect(leaving).toEqual({ nodes: [], pods: [] });
  });
});
