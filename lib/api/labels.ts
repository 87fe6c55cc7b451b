/**
 * Label keys the whole product shares, and the rules Karpenter applies to them: which keys a
 * NodePool may use in requirements and template labels, which old keys alias new ones, and the
 * Kubernetes syntax of label keys and values.
 */

// Kubernetes well-known node labels.
export const LABEL_ARCH = "kubernetes.io/arch";
export const LABEL_OS = "kubernetes.io/os";
export const LABEL_HOSTNAME = "kubernetes.io/hostname";
export const LABEL_INSTANCE_TYPE = "node.kubernetes.io/instance-type";
export const LABEL_ZONE = "topology.kubernetes.io/zone";
export const LABEL_REGION = "topology.kubernetes.io/region";
export const LABEL_WINDOWS_BUILD = "node.kubernetes.io/windows-build";

// Karpenter (karpenter.sh) labels.
export const LABEL_NODEPOOL = "karpenter.sh/nodepool";
/** Marks what Tenon made for a cluster (its AWS tag has the same key): the NodeClaim objects it mirrors carry it. */
export const LABEL_MANAGED_BY = "tenon.sh/managed-by";
export const LABEL_CAPACITY_TYPE = "karpenter.sh/capacity-type";
export const LABEL_INITIALIZED = "karpenter.sh/initialized";
export const LABEL_REGISTERED = "karpenter.sh/registered";
export const LABEL_DO_NOT_SYNC_TAINTS = "karpenter.sh/do-not-sync-taints";
export const ANNOTATION_DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt";
/** Set by the PersistentVolume controller once a claim and its volume are bound to each other. */
export const ANNOTATION_BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
/**
 * On a NodePool: what each of its nodes costs per hour beyond the instance (licences, agents,
 * support fees), in USD, e.g. "0.05". Added to every offering's price, so packing and
 * consolidation weigh it (aws/karpenter-provider-aws#7572).
 */
export const ANNOTATION_NODE_COST = "tenon.sh/node-cost-per-hour";
/** What the EC2NodeClass resolved to at launch, recorded on the NodeClaim so EC2NodeClass drift can compare it (the AMI is `status.imageID`). */
export const ANNOTATION_SUBNET_ID = "tenon.sh/subnet-id";
/** Comma-separated, sorted. */
export const ANNOTATION_SECURITY_GROUP_IDS = "tenon.sh/security-group-ids";

export const CAPACITY_TYPE_ON_DEMAND = "on-demand";
export const CAPACITY_TYPE_SPOT = "spot";
export const CAPACITY_TYPE_RESERVED = "reserved";
export const ARCH_AMD64 = "amd64";
export const ARCH_ARM64 = "arm64";

// AWS provider labels.
export const LABEL_ZONE_ID = "topology.k8s.aws/zone-id";
export const LABEL_EC2NODECLASS = "karpenter.k8s.aws/ec2nodeclass";
export const LABEL_INSTANCE_CATEGORY = "karpenter.k8s.aws/instance-category";
export const LABEL_INSTANCE_FAMILY = "karpenter.k8s.aws/instance-family";
export const LABEL_INSTANCE_GENERATION = "karpenter.k8s.aws/instance-generation";
export const LABEL_INSTANCE_SIZE = "karpenter.k8s.aws/instance-size";
export const LABEL_INSTANCE_CPU = "karpenter.k8s.aws/instance-cpu";
export const LABEL_INSTANCE_CPU_MANUFACTURER = "karpenter.k8s.aws/instance-cpu-manufacturer";
export const LABEL_INSTANCE_CPU_SUSTAINED_CLOCK_SPEED_MHZ = "karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz";
export const LABEL_INSTANCE_MEMORY = "karpenter.k8s.aws/instance-memory";
export const LABEL_INSTANCE_EBS_BANDWIDTH = "karpenter.k8s.aws/instance-ebs-bandwidth";
export const LABEL_INSTANCE_NETWORK_BANDWIDTH = "karpenter.k8s.aws/instance-network-bandwidth";
export const LABEL_INSTANCE_GPU_NAME = "karpenter.k8s.aws/instance-gpu-name";
export const LABEL_INSTANCE_GPU_MANUFACTURER = "karpenter.k8s.aws/instance-gpu-manufacturer";
export const LABEL_INSTANCE_GPU_COUNT = "karpenter.k8s.aws/instance-gpu-count";
export const LABEL_INSTANCE_GPU_MEMORY = "karpenter.k8s.aws/instance-gpu-memory";
export const LABEL_INSTANCE_ACCELERATOR_NAME = "karpenter.k8s.aws/instance-accelerator-name";
export const LABEL_INSTANCE_ACCELERATOR_MANUFACTURER = "karpenter.k8s.aws/instance-accelerator-manufacturer";
export const LABEL_INSTANCE_ACCELERATOR_COUNT = "karpenter.k8s.aws/instance-accelerator-count";
export const LABEL_INSTANCE_LOCAL_NVME = "karpenter.k8s.aws/instance-local-nvme";
export const LABEL_INSTANCE_HYPERVISOR = "karpenter.k8s.aws/instance-hypervisor";
export const LABEL_INSTANCE_ENCRYPTION_IN_TRANSIT_SUPPORTED = "karpenter.k8s.aws/instance-encryption-in-transit-supported";
export const LABEL_INSTANCE_CAPABILITY_FLEX = "karpenter.k8s.aws/instance-capability-flex";
export const LABEL_INSTANCE_TENANCY = "karpenter.k8s.aws/instance-tenancy";
export const LABEL_NITRO_SANDBOX = "karpenter.k8s.aws/nitro-sandbox";
export const LABEL_CAPACITY_RESERVATION_ID = "karpenter.k8s.aws/capacity-reservation-id";
export const LABEL_CAPACITY_RESERVATION_TYPE = "karpenter.k8s.aws/capacity-reservation-type";
export const LABEL_CAPACITY_RESERVATION_INTERRUPTIBLE = "karpenter.k8s.aws/capacity-reservation-interruptible";
export const LABEL_PLACEMENT_GROUP_ID = "karpenter.k8s.aws/placement-group-id";
export const LABEL_PLACEMENT_GROUP_PARTITION = "karpenter.k8s.aws/placement-group-partition";

/** The AWS provider's own keys in the karpenter.k8s.aws domain; every other key there is reserved. */
const AWS_PROVIDER_LABEL_KEYS: readonly string[] = [
  LABEL_INSTANCE_TENANCY,
  LABEL_CAPACITY_RESERVATION_TYPE,
  LABEL_CAPACITY_RESERVATION_ID,
  LABEL_CAPACITY_RESERVATION_INTERRUPTIBLE,
  LABEL_INSTANCE_ENCRYPTION_IN_TRANSIT_SUPPORTED,
  LABEL_NITRO_SANDBOX,
  LABEL_INSTANCE_CATEGORY,
  LABEL_INSTANCE_HYPERVISOR,
  LABEL_INSTANCE_FAMILY,
  LABEL_INSTANCE_GENERATION,
  LABEL_INSTANCE_LOCAL_NVME,
  LABEL_INSTANCE_SIZE,
  LABEL_INSTANCE_CPU,
  LABEL_INSTANCE_CPU_MANUFACTURER,
  LABEL_INSTANCE_CPU_SUSTAINED_CLOCK_SPEED_MHZ,
  LABEL_INSTANCE_MEMORY,
  LABEL_INSTANCE_EBS_BANDWIDTH,
  LABEL_INSTANCE_NETWORK_BANDWIDTH,
  LABEL_INSTANCE_GPU_NAME,
  LABEL_INSTANCE_GPU_MANUFACTURER,
  LABEL_INSTANCE_GPU_COUNT,
  LABEL_INSTANCE_GPU_MEMORY,
  LABEL_INSTANCE_ACCELERATOR_NAME,
  LABEL_INSTANCE_ACCELERATOR_MANUFACTURER,
  LABEL_INSTANCE_ACCELERATOR_COUNT,
  LABEL_INSTANCE_CAPABILITY_FLEX,
  LABEL_PLACEMENT_GROUP_ID,
  LABEL_PLACEMENT_GROUP_PARTITION,
];

/**
 * Keys whose values a NodePool or a pod may narrow and that Tenon resolves from the instance type
 * and offering it picks. `kubernetes.io/hostname` is deliberately absent: no one may constrain it
 * ahead of launch (it is restricted), and topology code treats it as one domain per node.
 * `karpenter.k8s.aws/ec2nodeclass` is absent too: it is set from the nodeClassRef, not chosen.
 */
export const WELL_KNOWN_LABEL_KEYS: ReadonlySet<string> = new Set([
  LABEL_NODEPOOL,
  LABEL_ZONE,
  LABEL_REGION,
  LABEL_INSTANCE_TYPE,
  LABEL_ARCH,
  LABEL_OS,
  LABEL_CAPACITY_TYPE,
  LABEL_WINDOWS_BUILD,
  LABEL_ZONE_ID,
  ...AWS_PROVIDER_LABEL_KEYS,
]);

/** Values Karpenter knows for some well-known keys; `In` requirements need at least one of them. */
export const WELL_KNOWN_LABEL_VALUES: Readonly<Record<string, readonly string[]>> = {
  [LABEL_CAPACITY_TYPE]: [CAPACITY_TYPE_ON_DEMAND, CAPACITY_TYPE_SPOT, CAPACITY_TYPE_RESERVED],
  [LABEL_INSTANCE_TENANCY]: ["default", "dedicated"],
};

/** Deprecated and CSI keys that mean the same as a stable key; pod requirements are translated. */
export const LABEL_ALIASES: Readonly<Record<string, string>> = {
  "beta.kubernetes.io/arch": LABEL_ARCH,
  "beta.kubernetes.io/os": LABEL_OS,
  "beta.kubernetes.io/instance-type": LABEL_INSTANCE_TYPE,
  "failure-domain.beta.kubernetes.io/zone": LABEL_ZONE,
  "failure-domain.beta.kubernetes.io/region": LABEL_REGION,
  "topology.ebs.csi.aws.com/zone": LABEL_ZONE,
};

/** The stable key for an aliased one; any other key unchanged. */
export function normalizeLabelKey(key: string): string {
  return Object.hasOwn(LABEL_ALIASES, key) ? LABEL_ALIASES[key]! : key;
}

const KARPENTER_SH_ALLOWED_KEYS: ReadonlySet<string> = new Set([LABEL_CAPACITY_TYPE, LABEL_NODEPOOL]);
const AWS_ALLOWED_KEYS: ReadonlySet<string> = new Set([...AWS_PROVIDER_LABEL_KEYS, LABEL_EC2NODECLASS]);

/**
 * Where a key is used: NodePool `requirements`, NodePool template `labels`, or NodeClaim
 * `requirements` (which may name the owning NodePool).
 */
export type LabelUse = "requirement" | "label" | "nodeclaim-requirement";

/**
 * The label's domain as Karpenter's CEL rules read it: everything before the first `/`, or the
 * whole key when there is none.
 */
function domainOf(key: string): string {
  const slash = key.indexOf("/");
  return slash === -1 ? key : key.slice(0, slash);
}

/**
 * Why Karpenter refuses this key in a NodePool (or NodeClaim), or undefined when it is allowed.
 * The reason text is the message Karpenter's CRD validation prints.
 */
export function restrictedLabelReason(key: string, where: LabelUse): string | undefined {
  const domain = domainOf(key);
  if (key === LABEL_HOSTNAME) return `label "${LABEL_HOSTNAME}" is restricted`;
  if (key === LABEL_NODEPOOL && where !== "nodeclaim-requirement") return `label "${LABEL_NODEPOOL}" is restricted`;
  // The kubernetes.io and k8s.io domains are open, as in Karpenter 1.9 and later: such labels reach
  // the Node through registration (the NodeClaim's labels), never through the kubelet's
  // --node-labels, which the NodeRestriction plugin would refuse (cloud/aws/userdata/node-labels.ts).
  if (domain.endsWith("karpenter.sh") && !KARPENTER_SH_ALLOWED_KEYS.has(key)) return 'label domain "karpenter.sh" is restricted';
  if (domain.endsWith("karpenter.k8s.aws") && !AWS_ALLOWED_KEYS.has(key)) return 'label domain "karpenter.k8s.aws" is restricted';
  return undefined;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Why `key` is not a Kubernetes qualified name (`[prefix/]name`: a DNS subdomain of at most 253
 * characters, then a name of at most 63), or undefined when it is one.
 */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return `${JSON.stringify(key)} is not a qualified name: at most one "/" allowed`;
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === "") return `${JSON.stringify(key)} is not a qualified name: the prefix before "/" is empty`;
    if (prefix.length > 253) return `${JSON.stringify(key)} is not a qualified name: the prefix is longer than 253 characters`;
    if (!DNS_SUBDOMAIN.test(prefix)) {
      return `${JSON.stringify(key)} is not a qualified name: the prefix must be a lowercase DNS subdomain`;
    }
  }
  if (name === "") return `${JSON.stringify(key)} is not a qualified name: the name part is empty`;
  if (name.length > 63) return `${JSON.stringify(key)} is not a qualified name: the name part is longer than 63 characters`;
  if (!NAME_PART.test(name)) {
    return `${JSON.stringify(key)} is not a qualified name: the name part must be alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`;
  }
  return undefined;
}

/** Why `value` is not a valid label value (at most 63 characters, may be empty), or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return `${JSON.stringify(value)} is not a valid label value: longer than 63 characters`;
  if (!LABEL_VALUE.test(value)) {
    return `${JSON.stringify(value)} is not a valid label value: must be empty or alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`;
  }
  return undefined;
}

/** The finalizer Tenon puts on its Nodes: their deletion waits for the termination path (lib/termination). */
export const TERMINATION_FINALIZER = "karpenter.sh/termination";
