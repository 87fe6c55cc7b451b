/**
 * Nodes on their way out, and the pods they give back (Karpenter's "reschedulable pods of deleting
 * nodes"): the one rule the provisioner (lib/observe/observe.ts) and the disruption decisions call.
 *
 * A Node is leaving when Tenon manages it (a NodeClaim record owns it, matched by provider ID) and
 *  - it is being deleted (deletionTimestamp set: `kubectl delete node`, termination), or
 *  - its record is phase `Terminating` (an interruption, a disruption command), or
 *  - it carries `karpenter.sh/disrupted:NoSchedule` (a disruption command tainted it).
 * A leaving Node offers no capacity, and each of its reschedulable pods (lib/disruption/pods.ts:
 * not a DaemonSet's, not a mirror pod, not finished, not terminating unless a StatefulSet's, not
 * tolerating the disrupted taint) is planned again as if pending, so capacity for it is launched
 * while the Node drains. The disruption pass (decide.ts) reads the same rule on cluster objects,
 * where the NodeClaim stands for its record: a NodeClaim with a deletionTimestamp is Terminating
 * (`withTerminatingClaims` puts the Terminating records' NodeClaims back into the objects). Pure.
 */
import type { Node, Pod } from "../api/kubernetes.ts";
import type { NodeClaim } from "../api/types.ts";
import type { ClusterObjects } from "../scheduling/snapshot.ts";
import type { NodeClaimRecord } from "../ports/store.ts";
import { DISRUPTED_TAINT, isReschedulable } from "./pods.ts";

/** The record that owns a Node: the one whose NodeClaim has the Node's provider ID. */
export function recordsByProviderId(records: readonly NodeClaimRecord[]): Map<string, NodeClaimRecord> {
  const out = new Map<string, NodeClaimRecord>();
  for (const r of records) if (r.nodeClaim.status?.providerID) out.set(r.nodeClaim.status.providerID, r);
  return out;
}

export function hasDisruptedTaint(node: Node): boolean {
  return (node.spec.taints ?? []).some((t) => t.key === DISRUPTED_TAINT.key && t.effect === DISRUPTED_TAINT.effect);
}

/** What owns a Node, as the rule reads it: the NodeClaim's name and whether it is on its way out. */
export interface NodeOwner {
  name: string;
  terminating: boolean;
}

/** A record as owner: Terminating is its phase. */
export function recordOwner(record: NodeClaimRecord): NodeOwner {
  return { name: record.name, terminating: record.phase === "Terminating" };
}

/** A NodeClaim as owner (cluster objects, no records): Terminating when it has a deletionTimestamp. */
export function nodeClaimOwner(claim: NodeClaim): NodeOwner {
  return { name: claim.metadata.name, terminating: claim.metadata.deletionTimestamp !== undefined };
}

/** Why a Tenon-managed Node is leaving, or undefined when it is not (or Tenon does not manage it). */
export function leavingBecause(node: Node, owner: NodeOwner | undefined): string | undefined {
  if (!owner) return undefined;
  if (node.metadata.deletionTimestamp !== undefined) return "being deleted";
  if (owner.terminating) return `NodeClaim ${owner.name} is Terminating`;
  if (hasDisruptedTaint(node)) return `tainted ${DISRUPTED_TAINT.key}:${DISRUPTED_TAINT.effect}`;
  return undefined;
}

export interface LeavingNode {
  node: Node;
  record: NodeClaimRecord;
  reason: string;
}

/** The Tenon-managed Nodes that are leaving, with their records. */
export function leavingNodes(nodes: readonly Node[], records: readonly NodeClaimRecord[]): LeavingNode[] {
  const byProviderId = recordsByProviderId(records);
  const out: LeavingNode[] = [];
  for (const node of nodes) {
    const record = node.spec.providerID ? byProviderId.get(node.spec.providerID) : undefined;
    const reason = leavingBecause(node, record && recordOwner(record));
    if (reason && record) out.push({ node, record, reason });
  }
  return out;
}

/**
 * The pods a leaving Node gives back, as pending copies (no `spec.nodeName`, no deletionTimestamp,
 * phase Pending) the scheduler places like any pending pod. The pods given are those bound to it.
 */
export function podsGivenBack(pods: readonly Pod[]): Pod[] {
  return pods.filter(isReschedulable).map((pod) => {
    const { nodeName: _bound, ...spec } = pod.spec;
    const { deletionTimestamp: _deleting, ...metadata } = pod.metadata;
    return { ...pod, metadata, spec, status: { phase: "Pending" } };
  });
}

/**
 * The objects with the NodeClaims of Terminating records put back (the provisioner's objects leave
 * them out), each with a deletionTimestamp, where their Node is still there: so a pass over the
 * objects sees those Nodes as leaving (no capacity, their pods given back) and their NodePool's
 * budget counts them as disrupting.
 */
export function withTerminatingClaims<T extends Pick<ClusterObjects, "nodes" | "nodeClaims">>(objects: T, records: readonly NodeClaimRecord[]): T {
  const nodes = new Set(objects.nodes.map((n) => n.spec.providerID).filter((id) => id !== undefined));
  const present = new Set(objects.nodeClaims.map((c) => c.metadata.name));
  const back: NodeClaim[] = [];
  for (const r of records) {
    const providerId = r.nodeClaim.status?.providerID;
    if (r.phase !== "Terminating" || present.has(r.nodeClaim.metadata.name) || !providerId || !nodes.has(providerId)) continue;
    const deletionTimestamp = r.nodeClaim.metadata.deletionTimestamp ?? new Date(r.updatedAtMs).toISOString();
    back.push({ ...r.nodeClaim, metadata: { ...r.nodeClaim.metadata, deletionTimestamp } });
  }
  return back.length === 0 ? objects : { ...objects, nodeClaims: [...objects.nodeClaims, ...back] };
}
