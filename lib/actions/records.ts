/**
 * NodeClaims as Tenon keeps them: the NodeClaim object the scheduler's decision becomes, and how
 * its record changes as it is launched, registered and initialized. Pure.
 */
import { ANNOTATION_SECURITY_GROUP_IDS, ANNOTATION_SUBNET_ID, LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_NODEPOOL, LABEL_ZONE } from "../api/labels.ts";
import { ec2NodeClassHashAnnotations, nodePoolHashAnnotations } from "../api/drift-hash.ts";
import type { Condition, EC2NodeClass, NodeClaim, NodePool } from "../api/types.ts";
import type { InstanceType } from "../ports/instance-type.ts";
import type { CloudInstance } from "../ports/cloud.ts";
import { upsertCondition } from "../ports/cluster.ts";
import type { NodeClaimContent, NodeClaimRecord } from "../ports/store.ts";
import { formatResources } from "../quantity/resources.ts";
import type { NewNodeClaim } from "../scheduling/types.ts";

/** The scheduler's instance-type options for the claim, in its order of preference (comma-separated). */
export const INSTANCE_TYPES_ANNOTATION = "tenon.sh/instance-types";
/** Fencing token of the provisioning lease under which the record was written. */
export const LEASE_TOKEN_ANNOTATION = "tenon.sh/provisioner-lease-token";
export const NODECLAIM_API_VERSION = "karpenter.sh/v1";

export interface NewRecordInput {
  claim: NewNodeClaim;
  nodePool: NodePool;
  name: string;
  uid: string;
  nowMs: number;
  leaseToken: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The NodeClaim for a scheduler decision, before anything is launched. */
export function newNodeClaimContent(input: NewRecordInput): NodeClaimContent {
  const { claim, nodePool, name, uid, nowMs } = input;
  const template = nodePool.spec.template;
  const nodeClaim: NodeClaim = {
    apiVersion: NODECLAIM_API_VERSION,
    kind: "NodeClaim",
    metadata: {
      name,
      uid,
      creationTimestamp: iso(nowMs),
      labels: { ...claim.labels, [LABEL_NODEPOOL]: nodePool.metadata.name },
      annotations: {
        ...template.metadata.annotations,
        // What NodePool drift compares: the template as it was when this NodeClaim was made.
        ...nodePoolHashAnnotations(nodePool),
        [INSTANCE_TYPES_ANNOTATION]: claim.instanceTypes.map((t) => t.name).join(","),
        [LEASE_TOKEN_ANNOTATION]: String(input.leaseToken),
      },
      ownerReferences: [
        { apiVersion: NODECLAIM_API_VERSION, kind: "NodePool", name: nodePool.metadata.name, ...(nodePool.metadata.uid ? { uid: nodePool.metadata.uid } : {}) },
      ],
    },
    spec: {
      nodeClassRef: { ...template.spec.nodeClassRef },
      requirements: structuredClone(claim.requirements),
      taints: structuredClone(claim.taints),
      startupTaints: structuredClone(claim.startupTaints),
      resources: { requests: formatResources(claim.requests) },
      expireAfter: template.spec.expireAfter,
      ...(template.spec.terminationGracePeriod !== undefined ? { terminationGracePeriod: template.spec.terminationGracePeriod } : {}),
    },
    status: { conditions: [condition("Launched", "Unknown", "AwaitingLaunch", "the instance has not been launched yet", nowMs)] },
  };
  return { nodeClaim, phase: "Pending", launch: { attempts: 0 } };
}

/** The instance-type names the record may launch, in preference order. */
export function instanceTypeNames(nodeClaim: NodeClaim): string[] {
  const text = nodeClaim.metadata.annotations?.[INSTANCE_TYPES_ANNOTATION];
  if (text) return text.split(",").filter(Boolean);
  const rule = nodeClaim.spec.requirements.find((r) => r.key === LABEL_INSTANCE_TYPE && r.operator === "In");
  return rule?.values ? [...rule.values] : [];
}

function condition(type: string, status: Condition["status"], reason: string, message: string, nowMs: number): Omit<Condition, "lastTransitionTime"> & { lastTransitionTime: string } {
  return { type, status, reason, message, lastTransitionTime: iso(nowMs) };
}

function withCondition(nodeClaim: NodeClaim, type: string, status: Condition["status"], reason: string, message: string, nowMs: number): NodeClaim {
  const conditions = upsertCondition(nodeClaim.status?.conditions ?? [], { type, status, reason, message }, iso(nowMs));
  return { ...nodeClaim, status: { ...nodeClaim.status, conditions } };
}

/**
 * The record after a successful launch: provider ID, image, the instance's labels, what
 * EC2NodeClass drift compares (the image, the subnet and security groups the instance was launched
 * with, and the hash of the EC2NodeClass it was launched from), and the launched type's capacity
 * and allocatable, so the next simulation counts exactly what is coming.
 */
export function launchedContent(record: NodeClaimRecord, instance: CloudInstance, type: InstanceType | undefined, nowMs: number, nodeClass?: EC2NodeClass): NodeClaimContent {
  const labels: Record<string, string> = {
    ...(type?.labels ?? {}),
    ...(record.nodeClaim.metadata.labels ?? {}),
    [LABEL_INSTANCE_TYPE]: instance.instanceType,
    [LABEL_ZONE]: instance.zone,
    [LABEL_CAPACITY_TYPE]: instance.capacityType,
  };
  const annotations: Record<string, string> = { ...(record.nodeClaim.metadata.annotations ?? {}), ...(nodeClass ? ec2NodeClassHashAnnotations(nodeClass) : {}) };
  if (instance.subnetId) annotations[ANNOTATION_SUBNET_ID] = instance.subnetId;
  if (instance.securityGroupIds?.length) annotations[ANNOTATION_SECURITY_GROUP_IDS] = [...instance.securityGroupIds].sort().join(",");
  let nodeClaim: NodeClaim = {
    ...record.nodeClaim,
    metadata: { ...record.nodeClaim.metadata, labels, annotations },
    status: {
      ...record.nodeClaim.status,
      providerID: instance.providerId,
      imageID: instance.imageId,
      ...(type ? { capacity: formatResources(type.capacity), allocatable: formatResources(type.allocatable) } : {}),
    },
  };
  nodeClaim = withCondition(nodeClaim, "Launched", "True", "Launched", `instance ${instance.instanceId} (${instance.instanceType}, ${instance.capacityType}, ${instance.zone})`, nowMs);
  return {
    nodeClaim,
    phase: "Launched",
    launch: { ...record.launch, attempts: record.launch.attempts + 1, lastAttemptAtMs: nowMs, instanceId: instance.instanceId },
  };
}

/** The record after a failed launch attempt (it stays Pending and may be retried). */
export function failedAttemptContent(record: NodeClaimRecord, error: string, nowMs: number): NodeClaimContent {
  return {
    nodeClaim: withCondition(record.nodeClaim, "Launched", "False", "LaunchFailed", error, nowMs),
    phase: record.phase,
    launch: { ...record.launch, attempts: record.launch.attempts + 1, lastAttemptAtMs: nowMs, lastError: error },
  };
}

export function registeredContent(record: NodeClaimRecord, nodeName: string, nowMs: number): NodeClaimContent {
  const nodeClaim = withCondition(
    { ...record.nodeClaim, status: { ...record.nodeClaim.status, nodeName } },
    "Registered", "True", "Registered", `Node ${nodeName} joined`, nowMs,
  );
  return { nodeClaim, phase: "Registered", launch: record.launch };
}

export function initializedContent(record: NodeClaimRecord, nowMs: number): NodeClaimContent {
  const nodeClaim = withCondition(record.nodeClaim, "Initialized", "True", "Initialized", "Node is ready, startup taints are gone and requested resources are registered", nowMs);
  return { nodeClaim, phase: "Initialized", launch: record.launch };
}

/**
 * The record marked for deletion (phase Terminating): the termination path (lib/termination/)
 * deletes its Node, drains it and terminates its instance. The reason is kept as the NodeClaim's
 * `DisruptionReason` condition (Karpenter's: Empty, Underutilized, Drifted, Expired, Interrupted...).
 */
export function terminatingContent(record: NodeClaimRecord, reason: string, message: string, nowMs: number): NodeClaimContent {
  const nodeClaim = withCondition(record.nodeClaim, "DisruptionReason", "True", reason, message, nowMs);
  return { nodeClaim: { ...nodeClaim, metadata: { ...nodeClaim.metadata, deletionTimestamp: nodeClaim.metadata.deletionTimestamp ?? iso(nowMs) } }, phase: "Terminating", launch: record.launch };
}
