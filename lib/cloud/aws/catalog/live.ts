/**
 * A region's instance types and offerings read from EC2 now (DescribeInstanceTypes,
 * DescribeInstanceTypeOfferings by zone id, DescribeAvailabilityZones), as Karpenter discovers
 * them, so Tenon works in every region, not only the bundled catalog's three. An instance type
 * the bundled catalog knows keeps its bundled facts (they are the same everywhere, and carry what
 * DescribeInstanceTypes lacks: trunking limits, Karpenter's bandwidth table); a type it does not
 * know is read from the API. Offerings are always the region's own.
 */
import {
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  type EC2Client,
  type InstanceTypeInfo,
} from "@aws-sdk/client-ec2";
import type { CatalogInstanceType } from "./data-format.ts";
import { catalogData, type CatalogRegionData } from "./load.ts";

/** What a live read found: the types Karpenter would discover, and the region's zones and offerings. */
export interface RegionCatalog {
  /** Identifies this read in caches: region and when it was read. */
  id: string;
  instanceTypes: CatalogInstanceType[];
  region: CatalogRegionData;
}

/** Karpenter discovers hvm types of the two architectures it supports, Mac types aside. */
function discoverable(info: InstanceTypeInfo): boolean {
  const name = info.InstanceType ?? "";
  if (!name || name.startsWith("mac")) return false;
  if (!(info.SupportedVirtualizationTypes ?? []).includes("hvm")) return false;
  return (info.ProcessorInfo?.SupportedArchitectures ?? []).some((a) => a === "x86_64" || a === "arm64");
}

/** One DescribeInstanceTypes entry in the catalog's shape (for types the bundled catalog lacks). */
export function catalogTypeOf(info: InstanceTypeInfo): CatalogInstanceType | undefined {
  const name = info.InstanceType;
  const vcpu = info.VCpuInfo?.DefaultVCpus;
  const memoryMiB = info.MemoryInfo?.SizeInMiB;
  if (!name || !vcpu || !memoryMiB) return undefined;
  const network = info.NetworkInfo;
  const defaultCard = network?.NetworkCards?.find((c) => c.NetworkCardIndex === (network.DefaultNetworkCardIndex ?? 0));
  const capacityTypes = (info.SupportedUsageClasses ?? []).filter((c): c is "on-demand" | "spot" => c === "on-demand" || c === "spot");
  const out: CatalogInstanceType = {
    name,
    vcpu,
    memoryMiB,
    awsArchitectures: (info.ProcessorInfo?.SupportedArchitectures ?? []).map(String),
    encryptionInTransit: network?.EncryptionInTransitSupported === true,
    nitroEnclaves: info.NitroEnclavesSupport === "supported",
    maxENIs: defaultCard?.MaximumNetworkInterfaces ?? network?.MaximumNetworkInterfaces ?? 1,
    ipv4PerENI: network?.Ipv4AddressesPerInterface ?? 1,
    capacityTypes,
  };
  if (info.ProcessorInfo?.Manufacturer) out.cpuManufacturer = info.ProcessorInfo.Manufacturer;
  if (info.ProcessorInfo?.SustainedClockSpeedInGhz !== undefined) out.sustainedClockSpeedGHz = info.ProcessorInfo.SustainedClockSpeedInGhz;
  if (info.Hypervisor) out.hypervisor = info.Hypervisor;
  if (info.EbsInfo?.EbsOptimizedSupport === "default" && info.EbsInfo.EbsOptimizedInfo?.MaximumBandwidthInMbps !== undefined) {
    out.ebsBandwidthMbps = info.EbsInfo.EbsOptimizedInfo.MaximumBandwidthInMbps;
  }
  if (defaultCard?.BaselineBandwidthInGbps !== undefined) out.networkBandwidthMbps = Math.round(defaultCard.BaselineBandwidthInGbps * 1000);
  const gpus = info.GpuInfo?.Gpus ?? [];
  if (gpus.length === 1 && gpus[0]!.Count) {
    const g = gpus[0]!;
    out.gpu = { count: g.Count!, name: g.Name ?? "", manufacturer: g.Manufacturer ?? "", memoryMiB: g.MemoryInfo?.SizeInMiB ?? 0 };
  }
  const neuron = info.NeuronInfo?.NeuronDevices?.[0];
  const inference = info.InferenceAcceleratorInfo?.Accelerators?.[0];
  if (neuron?.Count) {
    out.accelerator = { type: "neuron", name: neuron.Name ?? "", manufacturer: "AWS", count: neuron.Count, ...(neuron.CoreInfo?.Count ? { coresPerDevice: neuron.CoreInfo.Count } : {}) };
  } else if (inference?.Count) {
    out.accelerator = { type: "inference", name: inference.Name ?? "", manufacturer: inference.Manufacturer ?? "", count: inference.Count };
  }
  if (info.InstanceStorageInfo?.TotalSizeInGB) {
    out.localStorage = { totalSizeGB: info.InstanceStorageInfo.TotalSizeInGB, nvme: info.InstanceStorageInfo.NvmeSupport !== "unsupported" };
  }
  if (network?.EfaSupported && network.EfaInfo?.MaximumEfaInterfaces) out.maxEfaInterfaces = network.EfaInfo.MaximumEfaInterfaces;
  return out;
}

async function describeAllInstanceTypes(ec2: EC2Client): Promise<InstanceTypeInfo[]> {
  const out: InstanceTypeInfo[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 100, ...(token ? { NextToken: token } : {}) }));
    out.push(...(page.InstanceTypes ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

async function describeOfferings(ec2: EC2Client): Promise<Map<string, Set<string>>> {
  const byType = new Map<string, Set<string>>();
  let token: string | undefined;
  do {
    const page = await ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: "availability-zone-id", MaxResults: 1000, ...(token ? { NextToken: token } : {}) }));
    for (const o of page.InstanceTypeOfferings ?? []) {
      if (!o.InstanceType || !o.Location) continue;
      let ids = byType.get(o.InstanceType);
      if (!ids) byType.set(o.InstanceType, (ids = new Set()));
      ids.add(o.Location);
    }
    token = page.NextToken;
  } while (token);
  return byType;
}

/** Reads the region's catalog from EC2 (the client's region). `readAt` names the read in caches. */
export async function readRegionCatalog(ec2: EC2Client, region: string, readAt: number): Promise<RegionCatalog> {
  const [infos, offered, zonesOut] = await Promise.all([
    describeAllInstanceTypes(ec2),
    describeOfferings(ec2),
    ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "zone-type", Values: ["availability-zone"] }] })),
  ]);
  const zones = new Map(
    (zonesOut.AvailabilityZones ?? [])
      .filter((z) => z.ZoneName && z.ZoneId && (z.ZoneType ?? "availability-zone") === "availability-zone")
      .map((z) => [z.ZoneName!, z.ZoneId!] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const bundled = new Map(catalogData().instanceTypes.map((t) => [t.name, t]));
  const instanceTypes = infos
    .filter(discoverable)
    .map((info) => bundled.get(info.InstanceType!) ?? catalogTypeOf(info))
    .filter((t): t is CatalogInstanceType => t !== undefined && offered.has(t.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const known = new Set(zones.values());
  const offeredZoneIds = new Map(instanceTypes.map((t) => [t.name, new Set([...offered.get(t.name)!].filter((id) => known.has(id)))] as const));
  if (instanceTypes.length === 0) throw new Error(`EC2 in ${region} reported no instance type Karpenter would use (DescribeInstanceTypes gave ${infos.length}, offered in ${offered.size})`);
  if (zones.size === 0) throw new Error(`EC2 in ${region} reported no availability zone`);
  return { id: `live:${region}:${readAt}`, instanceTypes, region: { region: region as CatalogRegionData["region"], zones, offeredZoneIds } };
}
