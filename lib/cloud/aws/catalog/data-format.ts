/**
 * Shapes of the generated JSON files under ./data/. `scripts/generate-catalog.ts` writes them and
 * `load.ts` reads them; both import these types so the two cannot drift apart.
 * Only facts that Tenon's rules need are kept; every Karpenter-derived value (allocatable, labels,
 * requirements) is computed at load time from these raw EC2 facts.
 */

export const CATALOG_REGIONS = ["us-east-1", "us-west-2", "eu-west-1"] as const;
export type CatalogRegion = (typeof CATALOG_REGIONS)[number];

/** The region whose on-demand prices we ship; Karpenter falls back to it for every other region. */
export const PRICED_REGION: CatalogRegion = "us-east-1";

/** One EC2 instance type as DescribeInstanceTypes reports it, reduced to what Tenon uses. */
export interface CatalogInstanceType {
  name: string;
  vcpu: number;
  /** MemoryInfo.SizeInMiB, before any reduction. */
  memoryMiB: number;
  /** ProcessorInfo.SupportedArchitectures as EC2 spells them (`x86_64`, `arm64`, `i386`). */
  awsArchitectures: string[];
  /** `Intel`, `AMD`, `AWS`, `Apple`. */
  cpuManufacturer?: string;
  sustainedClockSpeedGHz?: number;
  /** `nitro` or `xen`; absent on bare metal. */
  hypervisor?: string;
  encryptionInTransit: boolean;
  nitroEnclaves: boolean;
  /** MaximumBandwidthInMbps when EBS optimization is on by default. */
  ebsBandwidthMbps?: number;
  /** Baseline network bandwidth from the EC2 docs; absent for "Up to ..." types. */
  networkBandwidthMbps?: number;
  /** Present only when the type has exactly one GPU model (all current types). */
  gpu?: { count: number; name: string; manufacturer: string; memoryMiB: number };
  accelerator?: { type: "neuron" | "inference"; name: string; manufacturer: string; count: number; coresPerDevice?: number };
  localStorage?: { totalSizeGB: number; nvme: boolean };
  /** ENIs on the default network card, and IPv4 addresses per ENI. */
  maxENIs: number;
  ipv4PerENI: number;
  /** EfaInfo.MaximumEfaInterfaces; absent without EFA support. */
  maxEfaInterfaces?: number;
  /** Branch ENIs when the type is trunking-compatible (security groups for pods). */
  podENIs?: number;
  /** SupportedUsageClasses ∩ {on-demand, spot}. */
  capacityTypes: Array<"on-demand" | "spot">;
}

export interface CatalogInstanceTypesFile {
  instanceTypes: CatalogInstanceType[];
}

/** `zones` maps AZ name -> AZ id; `types` maps instance type -> the AZ names offering it. */
export interface CatalogOfferingsFile {
  region: string;
  zones: Record<string, string>;
  types: Record<string, string[]>;
}

/** On-demand USD per hour, Linux, shared tenancy. */
export interface CatalogPricingFile {
  region: string;
  onDemand: Record<string, number>;
}

export interface CatalogProvenance {
  generatedAt: string;
  generator: string;
  sourceDirectory: string;
  sourceConvertedOn?: string;
  sources: Array<{ id: string; repository: string; commit: string; files: string; date: string }>;
  counts: Record<string, number>;
}
