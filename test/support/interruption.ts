/**
 * Interrupted instances Tenon launched, for the interruption handler's tests: each instance gets its
 * NodeClaim record (Initialized, pointing at the instance) and its Node (registered, holding the
 * termination finalizer) in a simulated cluster with a memory store; the cloud answers `get` only.
 */
import type { Node } from "../../lib/api/kubernetes.ts";
import { TERMINATION_FINALIZER } from "../../lib/api/labels.ts";
import type { CloudInstance } from "../../lib/ports/cloud.ts";
import type { NodeClaimRecord } from "../../lib/ports/store.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { claimContent } from "./records.ts";

export function cloudInstance(instanceId: string, capacityType: CloudInstance["capacityType"], over: Partial<CloudInstance> = {}): CloudInstance {
  return {
    providerId: `aws:///us-east-1a/${instanceId}`, instanceId, instanceType: "m5.large", zone: "us-east-1a", capacityType, imageId: "ami-1", launchTimeMs: 0, state: "running",
    tags: { "karpenter.sh/nodeclaim": `nc-${instanceId}` }, nodeClaimName: `nc-${instanceId}`, ...over,
  };
}

export function nodeFor(instance: CloudInstance): Node {
  return {
    metadata: {
      name: `node-${instance.instanceId}`, uid: `uid-${instance.instanceId}`, finalizers: [TERMINATION_FINALIZER],
      labels: { "karpenter.sh/nodepool": "default", "node.kubernetes.io/instance-type": instance.instanceType, "topology.kubernetes.io/zone": instance.zone, "karpenter.sh/capacity-type": instance.capacityType },
    },
    spec: { providerID: instance.providerId },
    status: { conditions: [{ type: "Ready", status: "True" }], allocatable: { cpu: "2", memory: "8Gi", pods: "29" } },
  };
}

/** A world in which Tenon launched `ours` (record and Node each) and someone else launched `theirs` (a Node only). */
export async function interruptedWorld(ours: readonly CloudInstance[], theirs: readonly CloudInstance[] = []): Promise<SimulatedWorld & { records: Map<string, NodeClaimRecord> }> {
  const w = simulatedWorld({ store: createMemoryStore({ clusterName: "tenon-sim" }) });
  const records = new Map<string, NodeClaimRecord>();
  for (const instance of ours) {
    const name = instance.nodeClaimName!;
    const content = claimContent(name, "Initialized");
    content.nodeClaim.status = { providerID: instance.providerId, nodeName: `node-${instance.instanceId}` };
    content.launch = { attempts: 1, instanceId: instance.instanceId };
    records.set(instance.instanceId, (await w.ports.store.createNodeClaim(content, 0)).record);
    w.cluster.addNode(nodeFor(instance));
  }
  for (const instance of theirs) {
    const node = nodeFor(instance);
    node.metadata.finalizers = [];
    w.cluster.addNode(node);
  }
  const all = new Map([...ours, ...theirs].map((i) => [i.instanceId, i]));
  // Only `get` is on the interruption path.
  w.ports.cloud = { get: async (id: string) => all.get(id) } as unknown as typeof w.ports.cloud;
  return Object.assign(w, { records });
}
