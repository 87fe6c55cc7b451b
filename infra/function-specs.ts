/**
 * What each function is, how big it is and what it may touch. The stack builds functions,
 * triggers and IAM from this table, so a function's whole footprint is read in one place.
 */
import type { ItemType } from "../lib/store/keys.ts";
import type { FunctionName } from "./config.ts";

/**
 * Groups of EC2 actions: `describe` (read-only), `launch` (launch templates, fleets, instances,
 * tagged at creation), `terminate` (instances and launch templates Tenon made for this cluster).
 * No function tags an existing instance, so none may.
 */
export type Ec2Capability = "describe" | "launch" | "terminate";

export interface FunctionSpec {
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** A scheduled tick (EventBridge rule), if any. */
  readonly scheduleMinutes?: number;
  /** Reads or changes cluster objects through the Kubernetes API (needs the EKS access entry). */
  readonly kubernetes: boolean;
  readonly ec2: readonly Ec2Capability[];
  /** Reads instance prices (pricing:GetProducts) and AMI ids (SSM public parameters). */
  readonly catalog: boolean;
  /** Sends delayed "batch ready" messages to the provisioner queue. */
  readonly sendsToProvisioner: boolean;
  /**
   * Sends delayed "disruption wake" messages to the disruption queue (which the consolidator
   * consumes): gets its URL as DISRUPTION_QUEUE_URL and sqs:SendMessage on it.
   */
  readonly sendsToDisruptionQueue?: boolean;
  /**
   * The state-table item types the function reads and writes (lib/state/keys.ts): its role may
   * touch only their partitions (dynamodb:LeadingKeys). No function writes NodePools or
   * EC2NodeClasses: they are the launch configuration, written by people (tenon nodepool apply).
   */
  readonly table: { readonly read: readonly ItemType[]; readonly write: readonly ItemType[] };
}

/** What launching functions use: every type, writing all but the configuration. */
const LAUNCHER_TABLE = {
  read: ["NODECLAIM", "BATCH", "LEASE", "UNAVAILABLE", "STATE", "NODEPOOL", "EC2NODECLASS"],
  write: ["NODECLAIM", "BATCH", "LEASE", "UNAVAILABLE", "STATE", "JOURNAL", "EVENT"],
} as const satisfies FunctionSpec["table"];

/**
 * What every function that picks instance types and launches them needs: cluster state, the
 * catalog (prices, AMIs) and the EC2 launch path. Provisioner, consolidator and drift share it.
 */
const LAUNCHES_NODES = { kubernetes: true, ec2: ["describe", "launch"], catalog: true, table: LAUNCHER_TABLE } as const satisfies Partial<FunctionSpec>;

/**
 * The consolidator and the drift checker: they launch replacements as the provisioner does, and
 * they alone read and write disruption commands (COMMAND items, written before anything is done).
 * They remove no node themselves: a command marks its candidates' NodeClaims for deletion and the
 * lifecycle function's termination path drains and terminates them, so no EC2 terminate right.
 * Each may wake the consolidator early through the disruption queue.
 */
const DISRUPTS_NODES = {
  ...LAUNCHES_NODES,
  table: { read: [...LAUNCHER_TABLE.read, "COMMAND"], write: [...LAUNCHER_TABLE.write, "COMMAND"] },
  sendsToProvisioner: false,
  sendsToDisruptionQueue: true,
} as const satisfies Partial<FunctionSpec>;

export const FUNCTION_SPECS: Readonly<Record<FunctionName, FunctionSpec>> = {
  batcher: {
    description: "Records the pending-pod batch window and schedules the provisioner with a delayed SQS message",
    timeoutSeconds: 30,
    memoryMb: 256,
    kubernetes: false,
    ec2: [],
    catalog: false,
    sendsToProvisioner: true,
    // The batch window only.
    table: { read: ["BATCH"], write: ["BATCH"] },
  },
  provisioner: {
    description: "Schedules pending pods onto existing, in-flight and new capacity; launches NodeClaims",
    timeoutSeconds: 120,
    memoryMb: 1024,
    scheduleMinutes: 1,
    ...LAUNCHES_NODES,
    // It re-queues a batch that arrived while another run held the provisioning lease.
    sendsToProvisioner: true,
  },
  lifecycle: {
    description: "NodeClaim registration, initialization, liveness, termination and garbage collection",
    timeoutSeconds: 55,
    memoryMb: 512,
    scheduleMinutes: 1,
    kubernetes: true,
    ec2: ["describe", "terminate"],
    catalog: false,
    sendsToProvisioner: false,
    // Records, the clean-up lease, the cluster-state snapshot; NodeClasses to know which profiles stay.
    table: { read: ["NODECLAIM", "LEASE", "UNAVAILABLE", "STATE", "NODEPOOL", "EC2NODECLASS"], write: ["NODECLAIM", "LEASE", "STATE", "JOURNAL", "EVENT"] },
  },
  interruption: {
    description: "Handles Spot interruptions, rebalance recommendations, state changes and scheduled maintenance",
    timeoutSeconds: 20,
    memoryMb: 512,
    // Taints and deletes the interrupted Node, lists its pods and evicts the first ones (the
    // drain's first step; the lifecycle tick carries it on and terminates the instance).
    kubernetes: true,
    // Reads the instance (type, zone, capacity type) to mark its offering unavailable.
    ec2: ["describe"],
    catalog: false,
    // Wakes the provisioner with no delay, so the replacement launches within the 2-minute notice
    // (lib/interruption/interruption.ts).
    sendsToProvisioner: true,
    // Finds the NodeClaim of an instance and marks it Terminating; marks offerings unavailable.
    table: { read: ["NODECLAIM", "UNAVAILABLE", "STATE"], write: ["NODECLAIM", "UNAVAILABLE", "JOURNAL", "EVENT"] },
  },
  consolidator: {
    description: "Emptiness, single- and multi-node consolidation and expiration under disruption budgets",
    timeoutSeconds: 120,
    memoryMb: 1024,
    scheduleMinutes: 1,
    ...DISRUPTS_NODES,
    // It alone reports the NodePools' and EC2NodeClasses' statuses; those kept in the table get a STATUS item each.
    table: { read: [...DISRUPTS_NODES.table.read, "STATUS"], write: [...DISRUPTS_NODES.table.write, "STATUS"] },
  },
  drift: {
    description: "Finds nodes that drifted from their NodePool or EC2NodeClass and replaces them under budgets",
    timeoutSeconds: 120,
    memoryMb: 512,
    scheduleMinutes: 5,
    ...DISRUPTS_NODES,
  },
};

/** The Kubernetes group every Kubernetes-facing function's role is mapped to: reads, node patches, events, status (docs/kubernetes.md). */
export const KUBERNETES_GROUP = "tenon";
/** The group of the termination path: evictions, pod deletes, node deletes (docs/kubernetes.md). */
export const TERMINATION_GROUP = "tenon-termination";

/**
 * The functions that drain and remove nodes: the lifecycle function's termination path and the
 * interruption function's drain. The consolidator and the drift checker hand their candidates to
 * that path instead of removing them, so they never hold the termination group.
 */
const TERMINATING_FUNCTIONS: readonly FunctionName[] = ["lifecycle", "interruption"];

/** The Kubernetes groups a function's EKS access entry maps its role to; none when it never talks to Kubernetes. */
export function kubernetesGroups(name: FunctionName): string[] {
  if (!FUNCTION_SPECS[name].kubernetes) return [];
  return TERMINATING_FUNCTIONS.includes(name) ? [KUBERNETES_GROUP, TERMINATION_GROUP] : [KUBERNETES_GROUP];
}
