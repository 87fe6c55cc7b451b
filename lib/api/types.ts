/**
 * Karpenter v1 API objects as Tenon holds them after parsing and defaulting. Field names follow
 * the Kubernetes JSON exactly, so a user's Karpenter YAML maps onto these one to one.
 * `lib/api/` parses and validates untyped input into these shapes (see nodepool.ts etc.).
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  resourceVersion?: string;
  generation?: number;
  finalizers?: string[];
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }>;
}

export type Operator = "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" | "Gte" | "Lte";
export const OPERATORS: readonly Operator[] = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte"];

/** A node selector requirement, with Karpenter's optional `minValues`. */
export interface NodeSelectorRequirement {
  key: string;
  operator: Operator;
  values?: string[];
  minValues?: number;
}

export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";
export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
  timeAdded?: string;
}

export interface NodeClassReference {
  group: string;
  kind: string;
  name: string;
}

/** A duration such as `720h` or `30s`, or `Never`. Held as milliseconds; `null` means Never. */
export type DurationOrNever = number | null;

export type ConsolidationPolicy = "WhenEmpty" | "WhenEmptyOrUnderutilized" | "Balanced";
export type DisruptionReason = "Empty" | "Underutilized" | "Drifted";

export interface Budget {
  /** A count (`"5"`) or a percentage (`"10%"`), as written. */
  nodes: string;
  schedule?: string;
  /** Milliseconds; present exactly when `schedule` is. */
  duration?: number;
  reasons?: DisruptionReason[];
}

export interface NodeClaimTemplateSpec {
  nodeClassRef: NodeClassReference;
  requirements: NodeSelectorRequirement[];
  taints: Taint[];
  startupTaints: Taint[];
  /** Default 720h. */
  expireAfter: DurationOrNever;
  /** Absent means no limit on drain time. */
  terminationGracePeriod?: number;
}

export interface NodePoolSpec {
  template: {
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    spec: NodeClaimTemplateSpec;
  };
  disruption: {
    /** Default WhenEmptyOrUnderutilized. */
    consolidationPolicy: ConsolidationPolicy;
    /** Default 0s. `null` means Never. */
    consolidateAfter: DurationOrNever;
    /** Default `[{nodes: "10%"}]`. */
    budgets: Budget[];
  };
  /** Resource name -> quantity string, as written (`cpu: "1000"`, `nodes: "10"`). */
  limits: Record<string, string>;
  weight?: number;
  /** Static NodePools (alpha). */
  replicas?: number;
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface NodePool {
  apiVersion: "karpenter.sh/v1";
  kind: "NodePool";
  metadata: ObjectMeta;
  spec: NodePoolSpec;
  status?: { conditions?: Condition[]; resources?: Record<string, string>; nodes?: number };
}

export interface NodeClaimSpec {
  nodeClassRef: NodeClassReference;
  requirements: NodeSelectorRequirement[];
  taints: Taint[];
  startupTaints: Taint[];
  resources?: { requests?: Record<string, string> };
  expireAfter: DurationOrNever;
  terminationGracePeriod?: number;
}

export interface NodeClaimStatus {
  providerID?: string;
  nodeName?: string;
  imageID?: string;
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  conditions?: Condition[];
  lastPodEventTime?: string;
}

export interface NodeClaim {
  apiVersion: "karpenter.sh/v1";
  kind: "NodeClaim";
  metadata: ObjectMeta;
  spec: NodeClaimSpec;
  status?: NodeClaimStatus;
}

export interface SelectorTerm {
  tags?: Record<string, string>;
  id?: string;
  name?: string;
}

export interface AMISelectorTerm {
  alias?: string;
  tags?: Record<string, string>;
  id?: string;
  name?: string;
  owner?: string;
  ssmParameter?: string;
}

export interface BlockDeviceMapping {
  deviceName?: string;
  rootVolume?: boolean;
  ebs?: {
    volumeSize?: string;
    volumeType?: string;
    iops?: number;
    throughput?: number;
    encrypted?: boolean;
    kmsKeyID?: string;
    snapshotID?: string;
    deleteOnTermination?: boolean;
    volumeInitializationRate?: number;
  };
}

export interface KubeletConfiguration {
  maxPods?: number;
  podsPerCore?: number;
  kubeReserved?: Record<string, string>;
  systemReserved?: Record<string, string>;
  evictionHard?: Record<string, string>;
  evictionSoft?: Record<string, string>;
  evictionSoftGracePeriod?: Record<string, string>;
  evictionMaxPodGracePeriod?: number;
  imageGCHighThresholdPercent?: number;
  imageGCLowThresholdPercent?: number;
  cpuCFSQuota?: boolean;
  clusterDNS?: string[];
  /** The kubelet block is an open map upstream; unknown keys are kept and passed to user data. */
  [key: string]: unknown;
}

export type AMIFamily = "AL2" | "AL2023" | "Bottlerocket" | "Windows2019" | "Windows2022" | "Windows2025" | "Custom";

export interface MetadataOptions {
  httpEndpoint: "enabled" | "disabled";
  httpProtocolIPv6: "enabled" | "disabled";
  httpPutResponseHopLimit: number;
  httpTokens: "required" | "optional";
}

export interface EC2NodeClassSpec {
  subnetSelectorTerms: SelectorTerm[];
  securityGroupSelectorTerms: SelectorTerm[];
  amiSelectorTerms: AMISelectorTerm[];
  capacityReservationSelectorTerms?: Array<{ tags?: Record<string, string>; id?: string; ownerID?: string; instanceMatchCriteria?: string }>;
  /** Resolved from the alias when not given. */
  amiFamily?: AMIFamily;
  role?: string;
  instanceProfile?: string;
  userData?: string;
  tags: Record<string, string>;
  kubelet?: KubeletConfiguration;
  blockDeviceMappings?: BlockDeviceMapping[];
  instanceStorePolicy?: "RAID0";
  /** CRD default `{enabled, disabled, 1, required}`. */
  metadataOptions: MetadataOptions;
  associatePublicIPAddress?: boolean;
  detailedMonitoring?: boolean;
  context?: string;
  ipPrefixCount?: number;
  networkInterfaces?: Array<{ networkCardIndex: number; deviceIndex: number; interfaceType: "interface" | "efa-only" }>;
  placementGroupSelector?: { id?: string; name?: string };
  /** Seconds. */
  connectionTracking?: { tcpEstablishedTimeout?: number; udpStreamTimeout?: number; udpTimeout?: number };
  cpuOptions?: { nestedVirtualization?: "enabled" | "disabled" };
}

export interface EC2NodeClassStatus {
  subnets?: Array<{ id: string; zone: string; zoneID?: string }>;
  securityGroups?: Array<{ id: string; name?: string }>;
  amis?: Array<{ id: string; name?: string; requirements: NodeSelectorRequirement[]; deprecated?: boolean }>;
  instanceProfile?: string;
  conditions?: Condition[];
}

export interface EC2NodeClass {
  apiVersion: "karpenter.k8s.aws/v1";
  kind: "EC2NodeClass";
  metadata: ObjectMeta;
  spec: EC2NodeClassSpec;
  status?: EC2NodeClassStatus;
}
