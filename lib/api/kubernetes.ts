/**
 * The subset of Kubernetes core objects Tenon reads, with the field names of the Kubernetes JSON
 * (as `kubectl get -o yaml` prints them). Timestamps stay strings.
 */
import type { NodeSelectorRequirement, ObjectMeta, Taint } from "./types.ts";

export type { ObjectMeta, Taint };

export type QuantityMap = Record<string, string | number>;

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  topologyKey: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

export interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: Array<{ weight: number; preference: NodeSelectorTerm }>;
  };
  podAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: Array<{ weight: number; podAffinityTerm: PodAffinityTerm }>;
  };
  podAntiAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: Array<{ weight: number; podAffinityTerm: PodAffinityTerm }>;
  };
}

export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  tolerationSeconds?: number;
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway";
  labelSelector?: LabelSelector;
  minDomains?: number;
  nodeAffinityPolicy?: "Honor" | "Ignore";
  nodeTaintsPolicy?: "Honor" | "Ignore";
  matchLabelKeys?: string[];
}

export interface ResourceRequirements {
  requests?: QuantityMap;
  limits?: QuantityMap;
  /** Dynamic Resource Allocation: the pod's resourceClaims this container uses. */
  claims?: Array<{ name: string; request?: string }>;
}

export interface ContainerPort {
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: "TCP" | "UDP" | "SCTP";
  name?: string;
}

export interface Container {
  name: string;
  image?: string;
  resources?: ResourceRequirements;
  ports?: ContainerPort[];
  /** `Always` on an init container makes it a sidecar (restartable init container). */
  restartPolicy?: "Always";
}

export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  ephemeral?: { volumeClaimTemplate?: { metadata?: Partial<ObjectMeta>; spec: PersistentVolumeClaimSpec } };
  [source: string]: unknown;
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  containers: Container[];
  initContainers?: Container[];
  overhead?: QuantityMap;
  /** Pod-level resources (Kubernetes 1.32+). */
  resources?: ResourceRequirements;
  volumes?: Volume[];
  /** Dynamic Resource Allocation claims (resource.k8s.io): Tenon does not provision for them. */
  resourceClaims?: Array<{ name: string; resourceClaimName?: string; resourceClaimTemplateName?: string }>;
  priority?: number;
  priorityClassName?: string;
  schedulerName?: string;
  hostNetwork?: boolean;
  terminationGracePeriodSeconds?: number;
}

export interface PodCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Pod {
  apiVersion?: "v1";
  kind?: "Pod";
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: { phase?: string; conditions?: PodCondition[]; nominatedNodeName?: string };
}

export interface NodeCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface Node {
  apiVersion?: "v1";
  kind?: "Node";
  metadata: ObjectMeta;
  spec: { providerID?: string; taints?: Taint[]; unschedulable?: boolean };
  status?: { capacity?: QuantityMap; allocatable?: QuantityMap; conditions?: NodeCondition[] };
}

export interface PodTemplateSpec {
  metadata?: Partial<ObjectMeta>;
  spec: PodSpec;
}

export interface DaemonSet {
  apiVersion?: "apps/v1";
  kind?: "DaemonSet";
  metadata: ObjectMeta;
  spec: { selector?: LabelSelector; template: PodTemplateSpec };
}

export interface WorkloadSpec {
  replicas?: number;
  parallelism?: number;
  selector?: LabelSelector;
  template: PodTemplateSpec;
  volumeClaimTemplates?: Array<{ metadata: Partial<ObjectMeta>; spec: PersistentVolumeClaimSpec }>;
}

/** Deployment, StatefulSet, ReplicaSet or Job. */
export interface Workload {
  apiVersion?: string;
  kind: "Deployment" | "StatefulSet" | "ReplicaSet" | "Job";
  metadata: ObjectMeta;
  spec: WorkloadSpec;
}

export interface PersistentVolumeClaimSpec {
  storageClassName?: string | null;
  volumeName?: string;
  accessModes?: string[];
  resources?: { requests?: QuantityMap };
}

export interface PersistentVolumeClaim {
  apiVersion?: "v1";
  kind?: "PersistentVolumeClaim";
  metadata: ObjectMeta;
  spec: PersistentVolumeClaimSpec;
  status?: { phase?: string };
}

export interface PersistentVolume {
  apiVersion?: "v1";
  kind?: "PersistentVolume";
  metadata: ObjectMeta;
  spec: {
    storageClassName?: string;
    claimRef?: { name: string; namespace?: string };
    nodeAffinity?: { required?: { nodeSelectorTerms: NodeSelectorTerm[] } };
    csi?: { driver: string; volumeHandle?: string };
    capacity?: QuantityMap;
    [field: string]: unknown;
  };
}

/**
 * storage.k8s.io/v1 VolumeAttachment: a volume attached to a node, created and deleted by the
 * attach/detach controller. Termination waits for a node's to go (Karpenter does the same).
 */
export interface VolumeAttachment {
  apiVersion?: "storage.k8s.io/v1";
  kind?: "VolumeAttachment";
  metadata: ObjectMeta;
  spec: { attacher: string; nodeName: string; source: { persistentVolumeName?: string; inlineVolumeSpec?: unknown } };
  status?: { attached: boolean };
}

export interface StorageClass {
  apiVersion?: "storage.k8s.io/v1";
  kind?: "StorageClass";
  metadata: ObjectMeta;
  provisioner: string;
  volumeBindingMode?: "Immediate" | "WaitForFirstConsumer";
  allowedTopologies?: Array<{ matchLabelExpressions?: Array<{ key: string; values: string[] }> }>;
  parameters?: Record<string, string>;
}

export interface PodDisruptionBudget {
  apiVersion?: "policy/v1";
  kind?: "PodDisruptionBudget";
  metadata: ObjectMeta;
  spec: { selector?: LabelSelector; minAvailable?: number | string; maxUnavailable?: number | string; unhealthyPodEvictionPolicy?: string };
  status?: { disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; expectedPods?: number };
}

/** `namespace/name`, namespace `default` when omitted: how pods are named in every output. */
export function podKey(pod: { metadata: { name: string; namespace?: string } }): string {
  return `${pod.metadata.namespace || "default"}/${pod.metadata.name}`;
}
