/**
 * The scheduler's contract: a pure function from a snapshot of what exists and what is pending
 * to a placement decision. No I/O, no clock. The provisioner Lambda, consolidation and
 * `tenon simulate` all call `schedule()` (lib/scheduling/scheduler.ts) with this input.
 */
import type { EC2NodeClass, NodeClaim, NodePool, Taint } from "../api/types.ts";
import type { InstanceType } from "../ports/instance-type.ts";
import type { DaemonSet, Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from "../api/kubernetes.ts";
import type { NodeSelectorRequirement } from "../api/types.ts";
import type { Resources } from "../quantity/resources.ts";

/** A NodePool with the instance types it may launch (already filtered by its NodeClass and offerings). */
export interface NodePoolOption {
  nodePool: NodePool;
  instanceTypes: InstanceType[];
  nodeClass?: EC2NodeClass;
}

/**
 * Capacity that exists or is coming: a registered Node (maybe with its NodeClaim) or an in-flight
 * NodeClaim with no Node yet. Built from the raw objects by `lib/scheduling/snapshot.ts`, which
 * applies the "not yet initialized" rules (startup taints ignored, resources from the NodeClaim).
 */
export interface ExistingNode {
  /** The Node's name, or the NodeClaim's name when no Node exists yet. */
  name: string;
  node?: Node;
  nodeClaim?: NodeClaim;
  /** The NodePool that owns it (label karpenter.sh/nodepool), if any. */
  nodePoolName?: string;
  labels: Readonly<Record<string, string>>;
  /** Taints that pods must tolerate here (already without the ones ignored before initialization). */
  taints: Taint[];
  /** What the node offers pods in total (before subtracting bound pods). */
  allocatable: Resources;
  /**
   * The machine's whole capacity, which NodePool limits count (as Karpenter does), not allocatable.
   * Optional: without it limits fall back to the raw Node/NodeClaim status, then to allocatable.
   */
  capacity?: Resources;
  /** Pods already bound here (including DaemonSet pods): they use capacity and count for topology. */
  pods: Pod[];
  /** Cordoned or being deleted: nothing new lands here. */
  unschedulable: boolean;
  /** True for a registered and initialized Node; false for in-flight or initializing capacity. */
  initialized: boolean;
  /** The catalog instance type this node runs, when known (disruption prices nodes with it). */
  instanceType?: InstanceType;
  /** The hourly price of the node's offering (its instance type, zone and capacity type), when known. */
  price?: number;
}

export interface VolumeObjects {
  claims: PersistentVolumeClaim[];
  volumes: PersistentVolume[];
  storageClasses: StorageClass[];
}

export interface SchedulingOptions {
  /** `Ignore` drops every preference up front (Karpenter's PREFERENCE_POLICY). Default Respect. */
  preferencePolicy?: "Respect" | "Ignore";
  /** Karpenter's MIN_VALUES_POLICY. Default Strict. */
  minValuesPolicy?: "Strict" | "BestEffort";
  /** Instance-type options kept per new claim (Karpenter keeps many; the fleet falls back through them). Default 60. */
  maxInstanceTypesPerClaim?: number;
  /**
   * Whether a claim whose pods would cost less on several smaller nodes is split (repack.ts).
   * Default true. Consolidation turns it off: it replaces nodes with at most one new node.
   */
  repack?: boolean;
}

export interface SchedulingInput {
  /** Pending pods to place (DaemonSet-owned and terminating pods already removed). */
  pods: Pod[];
  nodePools: NodePoolOption[];
  existingNodes: ExistingNode[];
  daemonSets: DaemonSet[];
  volumes: VolumeObjects;
  options?: SchedulingOptions;
}

export interface NewNodeClaim {
  nodePoolName: string;
  /** Full resolved requirements: NodePool ∩ the pods' constraints ∩ what the instance types offer. */
  requirements: NodeSelectorRequirement[];
  /** Each requirement key that resolved to exactly one value, plus the NodePool template labels. */
  labels: Record<string, string>;
  taints: Taint[];
  startupTaints: Taint[];
  /** Every instance type that can host all of `pods`, cheapest compatible available offering first. */
  instanceTypes: InstanceType[];
  pods: Pod[];
  /** Pods' requests plus the overhead of DaemonSets that would run on this node. */
  requests: Resources;
  daemonSetRequests: Resources;
}

export interface Placement {
  /** ExistingNode.name */
  name: string;
  pods: Pod[];
}

export interface UnschedulablePod {
  pod: Pod;
  /** A reason a person can act on, naming the NodePool and the constraint. */
  reason: string;
}

export interface SchedulingResult {
  newNodeClaims: NewNodeClaim[];
  existingNodes: Placement[];
  unschedulable: UnschedulablePod[];
}
