/**
 * The cluster as disruption reads it: every Node and NodeClaim paired into one view with its
 * NodePool, instance type, price, bound pods and the marks Karpenter keeps as NodeClaim conditions
 * (Consolidatable, Drifted, Expired). Pure: objects and the decision time in, views out.
 */
import { ANNOTATION_DO_NOT_DISRUPT, ANNOTATION_SECURITY_GROUP_IDS, ANNOTATION_SUBNET_ID, LABEL_CAPACITY_TYPE, LABEL_INITIALIZED, LABEL_INSTANCE_TYPE, LABEL_NODEPOOL, LABEL_ZONE } from "../api/labels.ts";
import { formatDuration } from "../api/duration.ts";
import { DEFAULT_EXPIRE_AFTER_MS } from "../api/nodepool.ts";
import type { Condition, EC2NodeClass, NodeClaim, NodePool } from "../api/types.ts";
import type { InstanceType } from "../ports/instance-type.ts";
import type { Node, Pod } from "../api/kubernetes.ts";
import { requirementsAllow } from "../scheduling/launch.ts";
import type { ExistingNode, NodePoolOption } from "../scheduling/types.ts";
import { ANNOTATION_EC2NODECLASS_HASH, ANNOTATION_EC2NODECLASS_HASH_VERSION, ANNOTATION_NODEPOOL_HASH, ANNOTATION_NODEPOOL_HASH_VERSION, EC2NODECLASS_HASH_VERSION, ec2NodeClassHash, NODEPOOL_HASH_VERSION, nodePoolTemplateHash } from "../api/drift-hash.ts";
import { doNotDisruptUntil, evictionCost, isReschedulable } from "./pods.ts";

export interface NodeView {
  /** The Node's name, or the NodeClaim's when it has no Node yet. */
  name: string;
  node?: Node;
  nodeClaim?: NodeClaim;
  existing: ExistingNode;
  poolName?: string;
  pool?: NodePoolOption;
  instanceType?: InstanceType;
  zone?: string;
  capacityType?: string;
  price?: number;
  /** Pods bound here that hold capacity (terminal pods are left out). */
  pods: Pod[];
  /** The pods a disruption would move. */
  reschedulable: Pod[];
  /** NodeClaim `Initialized=True` (or, without conditions, the node's initialized label). */
  initialized: boolean;
  deleting: boolean;
  ready: boolean;
  /** The instance is already going away: the node no longer counts for budgets. */
  instanceTerminating: boolean;
}

function condition(claim: NodeClaim | undefined, type: string): Condition | undefined {
  return claim?.status?.conditions?.find((c) => c.type === type);
}

function time(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

export function formatTime(ms: number): string {
  return iso(ms);
}

function findInstanceType(name: string | undefined, pool: NodePoolOption | undefined, pools: readonly NodePoolOption[]): InstanceType | undefined {
  if (name === undefined) return undefined;
  const own = pool?.instanceTypes.find((it) => it.name === name);
  if (own) return own;
  for (const p of pools) {
    const found = p.instanceTypes.find((it) => it.name === name);
    if (found) return found;
  }
  return undefined;
}

export function buildViews(existing: readonly ExistingNode[], pools: readonly NodePoolOption[]): NodeView[] {
  const byName = new Map(pools.map((p) => [p.nodePool.metadata.name, p]));
  return existing.map((e) => {
    const labels = e.labels;
    const poolName = e.nodePoolName;
    const pool = poolName ? byName.get(poolName) : undefined;
    const instanceType = findInstanceType(labels[LABEL_INSTANCE_TYPE], pool, pools);
    const zone = labels[LABEL_ZONE];
    const capacityType = labels[LABEL_CAPACITY_TYPE];
    const offering = instanceType?.offerings.find((o) => o.zone === zone && o.capacityType === capacityType);
    const claim = e.nodeClaim;
    const initializedCondition = condition(claim, "Initialized");
    const initialized = e.node !== undefined && (initializedCondition ? initializedCondition.status === "True" : labels[LABEL_INITIALIZED] === "true");
    const readyCondition = e.node?.status?.conditions?.find((c) => c.type === "Ready");
    const view: NodeView = {
      name: e.name,
      existing: e,
      pods: e.pods,
      reschedulable: e.pods.filter(isReschedulable),
      initialized,
      deleting: Boolean(e.node?.metadata.deletionTimestamp || claim?.metadata.deletionTimestamp),
      ready: readyCondition === undefined ? true : readyCondition.status === "True",
      instanceTerminating: condition(claim, "InstanceTerminating")?.status === "True",
    };
    if (e.node) view.node = e.node;
    if (claim) view.nodeClaim = claim;
    if (poolName) view.poolName = poolName;
    if (pool) view.pool = pool;
    if (instanceType) view.instanceType = instanceType;
    if (zone) view.zone = zone;
    if (capacityType) view.capacityType = capacityType;
    if (offering) view.price = offering.price;
    e.instanceType = instanceType;
    if (offering) e.price = offering.price;
    return view;
  });
}

// ---- marks ---------------------------------------------------------------------------------------

export type Consolidatable = { ok: true } | { ok: false; reason: string; until?: number };

/** Whether `consolidateAfter` has passed since the last pod event (or initialization). */
export function consolidatable(view: NodeView, at: number): Consolidatable {
  const pool = view.pool!.nodePool;
  const after = pool.spec.disruption.consolidateAfter;
  if (after === null) return { ok: false, reason: `NodePool ${pool.metadata.name} has consolidateAfter: Never` };
  const marked = condition(view.nodeClaim, "Consolidatable");
  if (marked) {
    if (marked.status === "True") return { ok: true };
    return { ok: false, reason: `NodeClaim is not Consolidatable (${marked.reason || "condition False"})` };
  }
  const claim = view.nodeClaim!;
  const since = time(claim.status?.lastPodEventTime) ?? time(condition(claim, "Initialized")?.lastTransitionTime) ?? time(claim.metadata.creationTimestamp);
  if (since === undefined) return { ok: true };
  const when = since + after;
  if (at >= when) return { ok: true };
  const basis = claim.status?.lastPodEventTime ? "the last pod event" : "initialization";
  return { ok: false, reason: `not consolidatable until ${iso(when)} (consolidateAfter ${formatDuration(after)} after ${basis})`, until: when };
}

/** Whether the node could take moved pods now by Karpenter's rule: not inside its own consolidateAfter window. */
export function inConsolidateAfterWindow(view: NodeView, at: number): boolean {
  if (!view.pool || !view.nodeClaim) return false;
  if (view.pool.nodePool.spec.disruption.consolidateAfter === null) return false;
  return !consolidatable(view, at).ok;
}

export interface Drift {
  reason: string;
  message: string;
  /** When the node drifted, when known (the Drifted condition's transition): older drift goes first. */
  since?: number;
}

function hashOf(nodePool: NodePool): { hash: string; version: string } {
  const annotations = nodePool.metadata.annotations ?? {};
  const hash = annotations[ANNOTATION_NODEPOOL_HASH];
  if (hash !== undefined) return { hash, version: annotations[ANNOTATION_NODEPOOL_HASH_VERSION] ?? "" };
  return { hash: nodePoolTemplateHash(nodePool), version: NODEPOOL_HASH_VERSION };
}

/** The node's labels plus what its instance type says about it (as the NodeClaim's labels would). */
function effectiveLabels(view: NodeView): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of view.instanceType?.requirements ?? []) if (r.operator === "In" && r.values?.length === 1) out[r.key] = r.values[0]!;
  Object.assign(out, view.instanceType?.labels ?? {}, view.existing.labels);
  return out;
}

/** The EC2NodeClass's current hash: the one it carries, else Tenon's. */
function nodeClassHashOf(nodeClass: EC2NodeClass): { hash: string; version: string } {
  const annotations = nodeClass.metadata.annotations ?? {};
  const hash = annotations[ANNOTATION_EC2NODECLASS_HASH];
  if (hash !== undefined) return { hash, version: annotations[ANNOTATION_EC2NODECLASS_HASH_VERSION] ?? "" };
  return { hash: ec2NodeClassHash(nodeClass), version: EC2NODECLASS_HASH_VERSION };
}

function nodeClassDrift(view: NodeView, nodeClasses: readonly EC2NodeClass[]): Drift | undefined {
  const ref = view.nodeClaim?.spec.nodeClassRef.name ?? view.pool?.nodePool.spec.template.spec.nodeClassRef.name;
  const nodeClass = view.pool?.nodeClass ?? nodeClasses.find((c) => c.metadata.name === ref);
  if (!nodeClass) return undefined;
  const claim = view.nodeClaim!;
  const claimHash = claim.metadata.annotations?.[ANNOTATION_EC2NODECLASS_HASH];
  const claimVersion = claim.metadata.annotations?.[ANNOTATION_EC2NODECLASS_HASH_VERSION];
  if (claimHash !== undefined && claimVersion !== undefined) {
    const now = nodeClassHashOf(nodeClass);
    if (now.version === claimVersion && now.hash !== claimHash) {
      return { reason: "NodeClassDrifted", message: `EC2NodeClass ${nodeClass.metadata.name} changed since the node was launched (hash ${claimHash} -> ${now.hash})` };
    }
  }
  const status = nodeClass.status;
  if (!status) return undefined;
  const image = claim.status?.imageID;
  if (image && status.amis && status.amis.length > 0 && !status.amis.some((a) => a.id === image)) {
    return { reason: "AMIDrifted", message: `AMI ${image} is no longer one EC2NodeClass ${nodeClass.metadata.name} resolves (${status.amis.map((a) => a.id).join(", ")})` };
  }
  const subnet = claim.metadata.annotations?.[ANNOTATION_SUBNET_ID];
  if (subnet && status.subnets && status.subnets.length > 0 && !status.subnets.some((s) => s.id === subnet)) {
    return { reason: "SubnetDrifted", message: `subnet ${subnet} is no longer one EC2NodeClass ${nodeClass.metadata.name} resolves` };
  }
  const groups = claim.metadata.annotations?.[ANNOTATION_SECURITY_GROUP_IDS];
  if (groups && status.securityGroups && status.securityGroups.length > 0) {
    const had = groups.split(",").map((g) => g.trim()).filter(Boolean).sort();
    const now = status.securityGroups.map((g) => g.id).sort();
    if (had.join(",") !== now.join(",")) {
      return { reason: "SecurityGroupDrifted", message: `security groups ${had.join(",")} differ from EC2NodeClass ${nodeClass.metadata.name}'s ${now.join(",")}` };
    }
  }
  return undefined;
}

/**
 * Why the node is drifted, or undefined. Drift found here rather than read from a Drifted condition
 * has no transition time: the NodeClaim's creation stands in, so older nodes roll first.
 */
export function drift(view: NodeView, nodeClasses: readonly EC2NodeClass[]): Drift | undefined {
  const found = findDrift(view, nodeClasses);
  if (found && found.since === undefined) {
    const created = time(view.nodeClaim!.metadata.creationTimestamp);
    if (created !== undefined) found.since = created;
  }
  return found;
}

function findDrift(view: NodeView, nodeClasses: readonly EC2NodeClass[]): Drift | undefined {
  const claim = view.nodeClaim!;
  const pool = view.pool!.nodePool;
  const marked = condition(claim, "Drifted");
  if (marked?.status === "True") {
    const out: Drift = { reason: marked.reason || "Drifted", message: `NodeClaim is Drifted${marked.reason ? ` (${marked.reason})` : ""}` };
    const since = time(marked.lastTransitionTime);
    if (since !== undefined) out.since = since;
    return out;
  }
  const claimHash = claim.metadata.annotations?.[ANNOTATION_NODEPOOL_HASH];
  const claimVersion = claim.metadata.annotations?.[ANNOTATION_NODEPOOL_HASH_VERSION];
  if (claimHash !== undefined && claimVersion !== undefined) {
    const now = hashOf(pool);
    if (now.version === claimVersion && now.hash !== claimHash) {
      return { reason: "NodePoolDrifted", message: `NodePool ${pool.metadata.name}'s template changed since the node was launched (hash ${claimHash} -> ${now.hash})` };
    }
  }
  const labels = effectiveLabels(view);
  for (const r of pool.spec.template.spec.requirements) {
    const value = labels[r.key];
    if (value === undefined) {
      if (r.operator === "Exists" || (r.operator === "In" && Object.hasOwn(view.existing.labels, r.key))) {
        return { reason: "RequirementsDrifted", message: `node has no label ${r.key}, which NodePool ${pool.metadata.name} requires` };
      }
      continue;
    }
    if (!requirementsAllow([r], r.key, value)) {
      return { reason: "RequirementsDrifted", message: `label ${r.key}=${value} no longer satisfies NodePool ${pool.metadata.name}'s requirement ${r.key} ${r.operator}${r.values?.length ? ` [${r.values.join(", ")}]` : ""}` };
    }
  }
  for (const [key, value] of Object.entries(pool.spec.template.metadata.labels)) {
    if (view.existing.labels[key] !== undefined && view.existing.labels[key] !== value) {
      return { reason: "RequirementsDrifted", message: `label ${key}=${view.existing.labels[key]} differs from NodePool ${pool.metadata.name}'s template label ${key}=${value}` };
    }
  }
  return nodeClassDrift(view, nodeClasses);
}

/** The expireAfter that applies: the NodeClaim's, except where it is only the parser's default and the NodePool sets another. */
function expireAfterOf(view: NodeView): number | null {
  const own = view.nodeClaim!.spec.expireAfter;
  const pool = view.pool?.nodePool.spec.template.spec.expireAfter;
  if (own === DEFAULT_EXPIRE_AFTER_MS && pool !== undefined) return pool;
  return own;
}

/** When the node expires, or undefined when it never does (or its age is unknown). */
export function expiresAt(view: NodeView): number | undefined {
  if (!view.nodeClaim) return undefined;
  const after = expireAfterOf(view);
  const created = time(view.nodeClaim.metadata.creationTimestamp);
  if (after === null || created === undefined) return undefined;
  return created + after;
}

/** How much of its lifetime the node has left, in [0, 1] (1 without expiry): older nodes are cheaper to disrupt. */
export function lifetimeRemaining(view: NodeView, at: number): number {
  const end = expiresAt(view);
  const after = view.nodeClaim ? expireAfterOf(view) : null;
  if (end === undefined || after === null || after <= 0) return 1;
  return Math.min(1, Math.max(0, (end - at) / after));
}

/** Karpenter's disruption cost of a node: its pods' eviction costs, scaled by the lifetime it has left. */
export function disruptionCost(view: NodeView, at: number): number {
  let cost = 0;
  for (const p of view.reschedulable) cost += evictionCost(p);
  return cost * lifetimeRemaining(view, at);
}

/** Why the node itself blocks graceful disruption (its do-not-disrupt annotation), or undefined. */
export function nodeDoNotDisrupt(view: NodeView, at: number): string | undefined {
  const value = view.node?.metadata.annotations?.[ANNOTATION_DO_NOT_DISRUPT] ?? view.nodeClaim?.metadata.annotations?.[ANNOTATION_DO_NOT_DISRUPT];
  const until = doNotDisruptUntil(value, time(view.nodeClaim?.metadata.creationTimestamp ?? view.node?.metadata.creationTimestamp), at);
  if (until === undefined) return undefined;
  const what = view.node ? `node ${view.name}` : `NodeClaim ${view.nodeClaim?.metadata.name}`;
  return until === "forever" ? `${what} has ${ANNOTATION_DO_NOT_DISRUPT}: "${value}"` : `${what} has ${ANNOTATION_DO_NOT_DISRUPT}: "${value}" until ${iso(until)}`;
}

/** Whether the node is a managed node of an existing NodePool (by label). */
export function managed(view: NodeView): boolean {
  return view.existing.labels[LABEL_NODEPOOL] !== undefined || view.poolName !== undefined;
}
