/**
 * Well-known labels and scheduling requirements of an EC2 instance type (design/karpenter-aws.md
 * §2.3). Labels are the single-valued facts a node of the type carries; requirements add the
 * per-catalog facts (zones, capacity types, region) and `DoesNotExist` for well-known labels the
 * type lacks, so a NodePool asking for e.g. a GPU count never matches a type without GPUs.
 */
import type { NodeSelectorRequirement } from "../../../api/types.ts";
import type { Offering } from "../../../ports/instance-type.ts";
import type { AmiFamilyRules } from "./ami-family.ts";
import type { CatalogInstanceType } from "./data-format.ts";

const AWS = "karpenter.k8s.aws/";
export const LABEL = {
  instanceType: "node.kubernetes.io/instance-type",
  arch: "kubernetes.io/arch",
  os: "kubernetes.io/os",
  windowsBuild: "node.kubernetes.io/windows-build",
  zone: "topology.kubernetes.io/zone",
  region: "topology.kubernetes.io/region",
  zoneId: "topology.k8s.aws/zone-id",
  capacityType: "karpenter.sh/capacity-type",
  tenancy: `${AWS}instance-tenancy`,
  cpu: `${AWS}instance-cpu`,
  memory: `${AWS}instance-memory`,
  category: `${AWS}instance-category`,
  generation: `${AWS}instance-generation`,
  family: `${AWS}instance-family`,
  size: `${AWS}instance-size`,
  capabilityFlex: `${AWS}instance-capability-flex`,
  localNvme: `${AWS}instance-local-nvme`,
  networkBandwidth: `${AWS}instance-network-bandwidth`,
  ebsBandwidth: `${AWS}instance-ebs-bandwidth`,
  gpuName: `${AWS}instance-gpu-name`,
  gpuManufacturer: `${AWS}instance-gpu-manufacturer`,
  gpuCount: `${AWS}instance-gpu-count`,
  gpuMemory: `${AWS}instance-gpu-memory`,
  acceleratorName: `${AWS}instance-accelerator-name`,
  acceleratorManufacturer: `${AWS}instance-accelerator-manufacturer`,
  acceleratorCount: `${AWS}instance-accelerator-count`,
  cpuManufacturer: `${AWS}instance-cpu-manufacturer`,
  cpuClockMhz: `${AWS}instance-cpu-sustained-clock-speed-mhz`,
  hypervisor: `${AWS}instance-hypervisor`,
  encryptionInTransit: `${AWS}instance-encryption-in-transit-supported`,
  nitroSandbox: `${AWS}nitro-sandbox`,
} as const;

/** Labels some types have and others lack; a type without one gets `DoesNotExist`. */
const OPTIONAL_LABELS = [
  LABEL.localNvme,
  LABEL.networkBandwidth,
  LABEL.ebsBandwidth,
  LABEL.gpuName,
  LABEL.gpuManufacturer,
  LABEL.gpuCount,
  LABEL.gpuMemory,
  LABEL.acceleratorName,
  LABEL.acceleratorManufacturer,
  LABEL.acceleratorCount,
  LABEL.windowsBuild,
];

/** Dedicated hosts are not modelled, but both tenancies are valid for every type. */
const TENANCIES = ["default", "dedicated"];

const AWS_TO_KUBE_ARCH: Record<string, string> = { x86_64: "amd64", arm64: "arm64" };

/** Category and generation from names like `m5.large`, `c7i-flex.large`, `u-6tb1.metal` (u / 1). */
const NAME_SCHEME = /^([a-z]+)(-[0-9]+tb)?([0-9]+).*\./;

function lowerKebab(text: string): string {
  return text.toLowerCase().split(" ").join("-");
}

export function architectureOf(type: CatalogInstanceType): string | undefined {
  for (const arch of type.awsArchitectures) if (AWS_TO_KUBE_ARCH[arch]) return AWS_TO_KUBE_ARCH[arch];
  return undefined;
}

export function instanceLabels(type: CatalogInstanceType, family: AmiFamilyRules, region: string): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL.instanceType]: type.name,
    [LABEL.region]: region,
    [LABEL.arch]: architectureOf(type) ?? type.awsArchitectures.join(","),
    [LABEL.os]: family.os,
    [LABEL.cpu]: String(type.vcpu),
    [LABEL.memory]: String(type.memoryMiB),
    [LABEL.hypervisor]: type.hypervisor ?? "",
    [LABEL.encryptionInTransit]: String(type.encryptionInTransit),
    [LABEL.nitroSandbox]: String(type.nitroEnclaves),
    [LABEL.cpuClockMhz]: String(Math.round((type.sustainedClockSpeedGHz ?? 0) * 1000)),
  };
  const scheme = NAME_SCHEME.exec(type.name);
  if (scheme) {
    labels[LABEL.category] = scheme[1]!;
    labels[LABEL.generation] = scheme[3]!;
  }
  const parts = type.name.split(".");
  if (parts.length === 2) {
    labels[LABEL.family] = parts[0]!;
    labels[LABEL.size] = parts[1]!;
  }
  labels[LABEL.capabilityFlex] = String(parts[0]!.includes("-flex"));
  if (type.cpuManufacturer) labels[LABEL.cpuManufacturer] = lowerKebab(type.cpuManufacturer);
  if (type.localStorage?.nvme) labels[LABEL.localNvme] = String(type.localStorage.totalSizeGB);
  if (type.networkBandwidthMbps !== undefined) labels[LABEL.networkBandwidth] = String(type.networkBandwidthMbps);
  if (type.ebsBandwidthMbps !== undefined) labels[LABEL.ebsBandwidth] = String(type.ebsBandwidthMbps);
  if (type.gpu) {
    labels[LABEL.gpuName] = lowerKebab(type.gpu.name);
    labels[LABEL.gpuManufacturer] = lowerKebab(type.gpu.manufacturer);
    labels[LABEL.gpuCount] = String(type.gpu.count);
    labels[LABEL.gpuMemory] = String(type.gpu.memoryMiB);
  }
  if (type.accelerator) {
    labels[LABEL.acceleratorName] = lowerKebab(type.accelerator.name);
    labels[LABEL.acceleratorManufacturer] = lowerKebab(type.accelerator.manufacturer);
    labels[LABEL.acceleratorCount] = String(type.accelerator.count);
  }
  if (family.windowsBuild) labels[LABEL.windowsBuild] = family.windowsBuild;
  return labels;
}

/** The requirements that follow from the labels alone: `In [v]` per label, `DoesNotExist` for absent optional labels, tenancy. */
export function labelRequirements(labels: Readonly<Record<string, string>>): NodeSelectorRequirement[] {
  const requirements: NodeSelectorRequirement[] = Object.keys(labels)
    .sort()
    .map((key) => ({ key, operator: "In", values: [labels[key]!] }));
  for (const key of OPTIONAL_LABELS) if (!(key in labels)) requirements.push({ key, operator: "DoesNotExist" });
  requirements.push({ key: LABEL.tenancy, operator: "In", values: [...TENANCIES] });
  return requirements;
}

/** The zone, capacity-type and zone-id sets of the available offerings (empty `In` when none is available). */
export function offeringRequirements(offerings: readonly Offering[]): NodeSelectorRequirement[] {
  const zones = new Set<string>();
  const capacityTypes = new Set<string>();
  const zoneIds = new Set<string>();
  for (const o of offerings) {
    if (!o.available) continue;
    zones.add(o.zone);
    capacityTypes.add(o.capacityType);
    if (o.zoneId) zoneIds.add(o.zoneId);
  }
  const requirements: NodeSelectorRequirement[] = [
    { key: LABEL.zone, operator: "In", values: [...zones].sort() },
    { key: LABEL.capacityType, operator: "In", values: [...capacityTypes].sort() },
  ];
  if (zoneIds.size > 0) requirements.push({ key: LABEL.zoneId, operator: "In", values: [...zoneIds].sort() });
  return requirements;
}

export function instanceRequirements(labels: Readonly<Record<string, string>>, offerings: readonly Offering[]): NodeSelectorRequirement[] {
  return [...labelRequirements(labels), ...offeringRequirements(offerings)];
}
