/**
 * `--plan`: passes repeated until one decides nothing (or 100 ran), each applied to the cluster in
 * memory: its candidates removed, its replacements added as initialized nodes, the moved pods bound
 * where the pass placed them. Expired nodes are reported by every pass but not applied (the
 * expiration controller acts on them on its own). Pure.
 */
import { LABEL_CAPACITY_TYPE, LABEL_HOSTNAME, LABEL_INITIALIZED, LABEL_INSTANCE_TYPE, LABEL_NODEPOOL, LABEL_ZONE } from "../api/labels.ts";
import type { NodeClaim } from "../api/types.ts";
import type { Node, Pod } from "../api/kubernetes.ts";
import { podKey } from "../api/kubernetes.ts";
import { formatResources } from "../quantity/resources.ts";
import { resolveLaunch } from "../scheduling/launch.ts";
import type { NewNodeClaim } from "../scheduling/types.ts";
import { formatTime } from "./cluster.ts";
import { disruptionPass, type DisruptionObjects, type PassResult } from "./decide.ts";
import { nodePoolHashAnnotations } from "../api/drift-hash.ts";

export const MAX_PLAN_PASSES = 100;

function replacementObjects(claim: NewNodeClaim, name: string, objects: DisruptionObjects, at: number): { node: Node; nodeClaim: NodeClaim } | undefined {
  const launch = resolveLaunch(claim);
  const option = objects.nodePools.find((o) => o.nodePool.metadata.name === claim.nodePoolName);
  const type = claim.instanceTypes.find((t) => t.name === launch?.instanceType);
  if (!launch || !option || !type) return undefined;
  const labels: Record<string, string> = {};
  for (const r of type.requirements) if (r.operator === "In" && r.values?.length === 1) labels[r.key] = r.values[0]!;
  Object.assign(labels, type.labels, claim.labels, {
    [LABEL_INSTANCE_TYPE]: type.name,
    [LABEL_ZONE]: launch.zone,
    [LABEL_CAPACITY_TYPE]: launch.capacityType,
    [LABEL_NODEPOOL]: claim.nodePoolName,
    [LABEL_INITIALIZED]: "true",
    [LABEL_HOSTNAME]: name,
  });
  const providerID = `tenon-plan:///${launch.zone}/${name}`;
  const timestamp = formatTime(at);
  const allocatable = formatResources(type.allocatable.pods === undefined ? { ...type.allocatable, pods: 110 } : type.allocatable);
  const node: Node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels, creationTimestamp: timestamp },
    spec: { providerID, taints: [...claim.taints] },
    status: { allocatable, capacity: formatResources(type.capacity), conditions: [{ type: "Ready", status: "True" }] },
  };
  const template = option.nodePool.spec.template.spec;
  const nodeClaim: NodeClaim = {
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    metadata: { name, labels: { [LABEL_NODEPOOL]: claim.nodePoolName }, annotations: nodePoolHashAnnotations(option.nodePool), creationTimestamp: timestamp },
    spec: {
      nodeClassRef: template.nodeClassRef,
      requirements: claim.requirements,
      taints: [...claim.taints],
      startupTaints: [],
      expireAfter: template.expireAfter,
      ...(template.terminationGracePeriod !== undefined ? { terminationGracePeriod: template.terminationGracePeriod } : {}),
    },
    status: {
      providerID,
      nodeName: name,
      conditions: [{ type: "Initialized", status: "True", reason: "Initialized", message: "", lastTransitionTime: timestamp }],
      lastPodEventTime: timestamp,
    },
  };
  return { node, nodeClaim };
}

function bound(pod: Pod, nodeName: string | undefined): Pod {
  if (nodeName === undefined) {
    const { nodeName: _drop, ...spec } = pod.spec;
    return { ...pod, spec };
  }
  return { ...pod, spec: { ...pod.spec, nodeName } };
}

/** The cluster after the pass's commands: what the next pass of a plan starts from. */
export function applyPass(objects: DisruptionObjects, pass: PassResult, passNumber: number): DisruptionObjects {
  const goneNodes = new Set<string>();
  const goneClaims = new Set<string>();
  const moves = new Map<string, string | undefined>();
  const nodes: Node[] = [...objects.nodes];
  const nodeClaims: NodeClaim[] = [...objects.nodeClaims];
  const nodeNames = new Set(objects.nodes.map((n) => n.metadata.name));
  let counter = 0;
  for (const command of pass.commands) {
    for (const view of command.candidates) {
      goneNodes.add(view.name);
      if (view.nodeClaim) goneClaims.add(view.nodeClaim.metadata.name);
    }
    for (const p of command.placements) for (const pod of p.pods) moves.set(podKey(pod), nodeNames.has(p.name) ? p.name : undefined);
    for (const claim of command.replacements) {
      const name = `${claim.nodePoolName}-plan${passNumber}-${++counter}`;
      const made = replacementObjects(claim, name, objects, pass.at);
      for (const pod of claim.pods) moves.set(podKey(pod), made ? name : undefined);
      if (made) {
        nodes.push(made.node);
        nodeClaims.push(made.nodeClaim);
      }
    }
  }
  const pods: Pod[] = [];
  for (const pod of objects.pods) {
    const key = podKey(pod);
    if (moves.has(key)) pods.push(bound(pod, moves.get(key)));
    else if (!(pod.spec.nodeName && goneNodes.has(pod.spec.nodeName))) pods.push(pod);
  }
  return {
    ...objects,
    pods,
    nodes: nodes.filter((n) => !goneNodes.has(n.metadata.name)),
    nodeClaims: nodeClaims.filter((c) => !goneClaims.has(c.metadata.name)),
  };
}

/** Passes until one decides nothing or `MAX_PLAN_PASSES` ran. */
export function disruptionPlan(objects: DisruptionObjects, at: number): PassResult[] {
  const passes: PassResult[] = [];
  let current = objects;
  for (let i = 1; i <= MAX_PLAN_PASSES; i++) {
    const pass = disruptionPass(current, at);
    passes.push(pass);
    if (pass.method === null) break;
    current = applyPass(current, pass, i);
  }
  return passes;
}
