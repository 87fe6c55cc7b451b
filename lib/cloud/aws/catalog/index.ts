/**
 * The bundled AWS instance catalog: every instance type Karpenter would discover, sized exactly
 * as Karpenter sizes it for a given EC2NodeClass, with offerings for one region.
 *
 *   loadAwsInstanceTypes({ region: "us-east-1", nodeClass })
 *
 * Results are cached per options, and the returned objects are frozen: copy before changing.
 */
import type { EC2NodeClass, NodeSelectorRequirement } from "../../../api/types.ts";
import { InputError } from "../../../errors.ts";
import type { InstanceType } from "../../../ports/instance-type.ts";
import { amiFamilyOf } from "../../../api/ami-family.ts";
import { amiFamilyRules, type AmiFamilyRules } from "./ami-family.ts";
import { CATALOG_REGIONS, type CatalogInstanceType, type CatalogRegion } from "./data-format.ts";
import { architectureOf, instanceLabels, LABEL, labelRequirements, offeringRequirements } from "./labels.ts";
import type { RegionCatalog } from "./live.ts";
import { ebsCost, type EbsCost } from "../../../pricing/ebs.ts";
import { defaultBlockDeviceMappings } from "../launch/template.ts";
import { catalogData, type CatalogRegionData } from "./load.ts";
import { buildOfferings, offeringContext } from "./offerings.ts";
import { nodeSize, prepareSizing, type NodeSize, type PreparedSizing, type SizingContext } from "./resources.ts";

export { CATALOG_REGIONS, type CatalogRegion } from "./data-format.ts";
export { unavailableOfferingKey, spotPriceKey } from "./offerings.ts";
export { LABEL } from "./labels.ts";
export { RESOURCE } from "./resources.ts";
export { catalogData } from "./load.ts";
export type { RegionCatalog } from "./live.ts";

export interface AwsCatalogOptions {
  region: string;
  nodeClass?: EC2NodeClass;
  /** Share of memory the hypervisor keeps (Karpenter's --vm-memory-overhead-percent). Default 0.075. */
  vmMemoryOverheadPercent?: number;
  /** ENIs kept back from pod networking (Karpenter's --reserved-enis). Default 0. */
  reservedENIs?: number;
  /** Only offer these AZ names, e.g. the zones of the NodeClass's subnets. */
  zones?: readonly string[];
  /**
   * AZ name -> AZ id as the user's account maps them (EC2NodeClass status.subnets). Names map to
   * physical zones differently per account; offerings follow the ids. Default: the bundled map.
   */
  zoneIds?: ReadonlyMap<string, string>;
  /** `capacityType:instanceType:zone` keys of offerings that recently failed with insufficient capacity. */
  unavailable?: ReadonlySet<string>;
  /** Instance type -> on-demand USD/hour, merged over the bundled us-east-1 table. */
  onDemandPrices?: ReadonlyMap<string, number>;
  /** `instanceType:zone` -> spot USD/hour. Once given, a (type, zone) without a price has no spot offering available. */
  spotPrices?: ReadonlyMap<string, number>;
  /** The region's instance types and offerings read from EC2 (catalog/live.ts), instead of the bundled ones; any region. */
  regionCatalog?: RegionCatalog;
}

export interface AwsCatalog {
  instanceTypes: InstanceType[];
  /** Assumptions a user should know about (price fallbacks, incompatible types). */
  notes: string[];
  /** Types kept but never available, by reason; `note` is the line for them in `notes`. */
  incompatible: Array<{ reason: string; instanceTypes: string[]; note: string }>;
  /** Each node's EBS volumes and their hourly price, included in every offering's price. */
  ebs: EbsCost;
}

const OPTIONS_OBJECT = "instance catalog options";
/** EC2's licence-included Windows Server rate: what a Windows instance costs per vCPU-hour over the same Linux instance. */
export const WINDOWS_LICENCE_PER_VCPU_HOUR = 0.046;
export const DEFAULT_VM_MEMORY_OVERHEAD_PERCENT = 0.075;
const CACHE_LIMIT = 16;
const cache = new Map<string, AwsCatalog>();

function isCatalogRegion(region: string): region is CatalogRegion {
  return (CATALOG_REGIONS as readonly string[]).includes(region);
}

function validateOptions(options: AwsCatalogOptions, region: CatalogRegionData): void {
  const problems = [];
  const overhead = options.vmMemoryOverheadPercent;
  if (overhead !== undefined && !(Number.isFinite(overhead) && overhead >= 0 && overhead < 1)) {
    problems.push({ object: OPTIONS_OBJECT, path: "vmMemoryOverheadPercent", reason: `${overhead} is not a fraction in [0, 1)` });
  }
  const reserved = options.reservedENIs;
  if (reserved !== undefined && !(Number.isInteger(reserved) && reserved >= 0)) {
    problems.push({ object: OPTIONS_OBJECT, path: "reservedENIs", reason: `${reserved} is not a whole number >= 0` });
  }
  const knownIds = new Set(region.zones.values());
  for (const [zone, id] of options.zoneIds ?? []) {
    if (!knownIds.has(id)) problems.push({ object: OPTIONS_OBJECT, path: `zoneIds[${zone}]`, reason: `"${id}" is not a zone id of ${region.region} (${[...knownIds].sort().join(", ")})` });
  }
  const zoneNames = options.zoneIds ?? region.zones;
  (options.zones ?? []).forEach((zone, i) => {
    if (!zoneNames.has(zone)) {
      problems.push({ object: OPTIONS_OBJECT, path: `zones[${i}]`, reason: `"${zone}" is not a zone of ${region.region} (${[...zoneNames.keys()].sort().join(", ")})` });
    }
  });
  for (const [name, prices] of [["onDemandPrices", options.onDemandPrices], ["spotPrices", options.spotPrices]] as const) {
    for (const [key, price] of prices ?? []) {
      if (!(Number.isFinite(price) && price >= 0)) problems.push({ object: OPTIONS_OBJECT, path: `${name}[${key}]`, reason: `${price} is not a price >= 0` });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
}

function cacheKey(options: AwsCatalogOptions): string {
  const spec = options.nodeClass?.spec;
  return JSON.stringify([
    options.region,
    options.nodeClass?.metadata.name,
    spec && [amiFamilyOf(options.nodeClass), spec.kubelet, spec.blockDeviceMappings, spec.instanceStorePolicy, spec.networkInterfaces],
    options.vmMemoryOverheadPercent,
    options.reservedENIs,
    options.zones,
    options.zoneIds && [...options.zoneIds],
    options.unavailable && [...options.unavailable].sort(),
    options.onDemandPrices && [...options.onDemandPrices],
    options.spotPrices && [...options.spotPrices],
    options.regionCatalog?.id,
  ]);
}

/** Types the NodeClass cannot launch keep their offerings, all unavailable (as Karpenter). */
function incompatibility(type: CatalogInstanceType, family: AmiFamilyRules, nodeClass: EC2NodeClass | undefined): string | undefined {
  if (family.family === "AL2023" && type.name.startsWith("a1.")) return "a1 instance types are not supported by AL2023";
  const wantsEfa = (nodeClass?.spec.networkInterfaces ?? []).some((n) => n.interfaceType === "efa-only");
  if (wantsEfa && !type.maxEfaInterfaces) return "the EC2NodeClass asks for efa-only network interfaces and these types have no EFA";
  return undefined;
}

/**
 * Cached results are shared between callers, so the parts a caller might be tempted to change
 * are frozen: the list, each type, its offerings, requirement list, labels and resource maps.
 * The requirement objects inside are shared too but left unfrozen: freezing tens of thousands
 * of small objects would cost more than building the catalog.
 */
function freezeCatalog(catalog: AwsCatalog): AwsCatalog {
  for (const it of catalog.instanceTypes) {
    for (const offering of it.offerings) Object.freeze(offering);
    Object.freeze(it.offerings);
    Object.freeze(it.requirements);
    Object.freeze(it);
  }
  Object.freeze(catalog.instanceTypes);
  Object.freeze(catalog.notes);
  return Object.freeze(catalog);
}

/** Labels and label-derived requirements depend only on the type, the AMI family and the region. */
const staticParts = new Map<string, Map<string, { labels: Record<string, string>; requirements: NodeSelectorRequirement[] }>>();

function staticPartsOf(type: CatalogInstanceType, family: AmiFamilyRules, region: string) {
  const key = `${family.family}/${region}`;
  let byType = staticParts.get(key);
  if (!byType) staticParts.set(key, (byType = new Map()));
  let parts = byType.get(type.name);
  if (!parts) {
    const labels = Object.freeze(instanceLabels(type, family, region));
    parts = { labels, requirements: labelRequirements(labels) };
    byType.set(type.name, parts);
  }
  return parts;
}

function buildCatalog(options: AwsCatalogOptions): AwsCatalog {
  const data = catalogData();
  const live = options.regionCatalog;
  if (live && live.region.region !== options.region) {
    throw new InputError({ object: OPTIONS_OBJECT, path: "regionCatalog", reason: `was read in ${live.region.region}, not ${options.region}` });
  }
  if (!live && !isCatalogRegion(options.region)) {
    throw new InputError({ object: OPTIONS_OBJECT, path: "region", reason: `"${options.region}" is not a bundled region (${CATALOG_REGIONS.join(", ")}); read it from EC2 instead (--live, or the functions' INSTANCE_CATALOG=live)` });
  }
  const region = live ? live.region : data.regions.get(options.region as CatalogRegion)!;
  validateOptions(options, region);
  const { sizing, sizes } = sizesFor(options);
  const family = sizing.family;
  const notes: string[] = [];
  const mappings = options.nodeClass?.spec.blockDeviceMappings?.length ? options.nodeClass.spec.blockDeviceMappings : defaultBlockDeviceMappings(family.family);
  const ebs = ebsCost(mappings, region.region);
  const offeringCtx = offeringContext(
    {
      ...options,
      region,
      pricedRegion: data.pricedRegion,
      bundledOnDemandPrices: data.onDemandPrices,
      perNodeExtra: ebs.perHour,
      ...(family.os === "windows" ? { licencePerVcpuHour: WINDOWS_LICENCE_PER_VCPU_HOUR } : {}),
    },
    notes,
  );
  if (family.os === "windows") {
    notes.push(`Windows prices: Linux prices plus EC2's Windows licence at $${WINDOWS_LICENCE_PER_VCPU_HOUR} per vCPU-hour (what licence-included Windows instances cost over Linux ones)`);
  }
  if (ebs.pricedRegion !== region.region) notes.push(`EBS prices: the bundled table lacks ${region.region}; using ${ebs.pricedRegion}'s for each node's volumes`);
  const unpriced: string[] = [];
  const incompatible = new Map<string, string[]>();
  const instanceTypes: InstanceType[] = [];
  for (const type of live ? live.instanceTypes : data.instanceTypes) {
    // Windows AMIs exist for x86_64 only.
    if (family.os === "windows" && architectureOf(type) !== "amd64") continue;
    const offeredZoneIds = region.offeredZoneIds.get(type.name);
    if (!offeredZoneIds) continue;
    const reason = incompatibility(type, family, options.nodeClass);
    if (reason) incompatible.set(reason, [...(incompatible.get(reason) ?? []), type.name]);
    if (offeringCtx.onDemandPrice(type.name) === undefined) unpriced.push(type.name);
    const offerings = buildOfferings(type, offeredZoneIds, reason === undefined, offeringCtx);
    const { labels, requirements } = staticPartsOf(type, family, region.region);
    instanceTypes.push({ name: type.name, ...sizeOf(type, sizing, sizes), labels, requirements: [...requirements, ...offeringRequirements(offerings)], offerings });
  }
  if (unpriced.length > 0) {
    notes.push(`${unpriced.length} instance types have no on-demand price, so their offerings are unavailable: ${unpriced.join(", ")}`);
  }
  const unavailable = [...incompatible].map(([reason, names]) => ({ reason, instanceTypes: names, note: `${names.length} instance types are unavailable: ${reason}` }));
  for (const u of unavailable) notes.push(u.note);
  return freezeCatalog({ instanceTypes, notes, incompatible: unavailable, ebs });
}

/** A zone offering fewer than this share of what the best-offered zone offers is left out of the usual zones. */
const SPARSE_ZONE_SHARE = 0.5;

export interface UsualZones {
  /** The region's zones that offer most current instance types, sorted by name. */
  zones: string[];
  /** Zones left out, each with how many instance types it offers, of `total`. */
  leftOut: Array<{ zone: string; offered: number }>;
  total: number;
}

/**
 * The zones to assume when nothing says which a cluster uses (no EC2NodeClass `status.subnets`):
 * the region's zones, less those offering under half as many instance types as the best-offered
 * zone (us-east-1e offers a few dozen, mostly previous-generation types; a cluster rarely has a
 * subnet there, and a zone spread counting it would strand pods).
 */
export function usualZones(regionName: string, live?: RegionCatalog): UsualZones {
  const region = live?.region ?? (isCatalogRegion(regionName) ? catalogData().regions.get(regionName) : undefined);
  if (!region) throw new InputError({ object: OPTIONS_OBJECT, path: "region", reason: `"${regionName}" is not a bundled region (${CATALOG_REGIONS.join(", ")})` });
  const offeredById = new Map<string, number>();
  for (const ids of region.offeredZoneIds.values()) for (const id of ids) offeredById.set(id, (offeredById.get(id) ?? 0) + 1);
  const best = Math.max(0, ...offeredById.values());
  const out: UsualZones = { zones: [], leftOut: [], total: region.offeredZoneIds.size };
  for (const [zone, id] of region.zones) {
    const offered = offeredById.get(id) ?? 0;
    if (offered >= best * SPARSE_ZONE_SHARE) out.zones.push(zone);
    else out.leftOut.push({ zone, offered });
  }
  return out;
}

/** A region's zone names, sorted (for checking a user's --zones). */
export function regionZones(regionName: string, live?: RegionCatalog): string[] | undefined {
  const region = live?.region ?? (isCatalogRegion(regionName) ? catalogData().regions.get(regionName) : undefined);
  return region ? [...region.zones.keys()] : undefined;
}

/**
 * The zone options a NodeClass implies through `status.subnets`: offerings only in its subnets'
 * zones, and the account's own AZ name -> id pairing when every subnet reports its zone id.
 */
export function nodeClassZoneOptions(nodeClass: EC2NodeClass | undefined): Pick<AwsCatalogOptions, "zones" | "zoneIds"> {
  const subnets = nodeClass?.status?.subnets ?? [];
  if (subnets.length === 0) return {};
  const out: Pick<AwsCatalogOptions, "zones" | "zoneIds"> = { zones: [...new Set(subnets.map((s) => s.zone))].sort() };
  if (subnets.every((s) => s.zoneID)) out.zoneIds = new Map(subnets.map((s) => [s.zone, s.zoneID!]));
  return out;
}

export type AwsSizingOptions = Pick<AwsCatalogOptions, "nodeClass" | "vmMemoryOverheadPercent" | "reservedENIs">;

function sizingContext(options: AwsSizingOptions): SizingContext {
  return {
    family: amiFamilyRules(amiFamilyOf(options.nodeClass)),
    nodeClass: options.nodeClass,
    vmMemoryOverheadPercent: options.vmMemoryOverheadPercent ?? DEFAULT_VM_MEMORY_OVERHEAD_PERCENT,
    reservedENIs: options.reservedENIs ?? 0,
  };
}

/**
 * Node sizes depend only on the sizing options, not on zones, prices or availability, so they are
 * kept across loads: a provisioning loop that only changes the unavailable set reuses them.
 */
const sizeCache = new Map<string, Map<string, NodeSize>>();

function sizesFor(options: AwsSizingOptions): { sizing: PreparedSizing; sizes: Map<string, NodeSize> } {
  const context = sizingContext(options);
  const spec = options.nodeClass?.spec;
  const key = JSON.stringify([
    options.nodeClass?.metadata.name,
    context.family.family,
    context.vmMemoryOverheadPercent,
    context.reservedENIs,
    spec && [spec.kubelet, spec.blockDeviceMappings, spec.instanceStorePolicy, spec.networkInterfaces],
  ]);
  const sizing = prepareSizing(context);
  let sizes = sizeCache.get(key);
  if (!sizes) {
    if (sizeCache.size >= CACHE_LIMIT) sizeCache.delete(sizeCache.keys().next().value!);
    sizeCache.set(key, (sizes = new Map()));
  }
  return { sizing, sizes };
}

function sizeOf(type: CatalogInstanceType, sizing: PreparedSizing, sizes: Map<string, NodeSize>): NodeSize {
  let size = sizes.get(type.name);
  if (!size) {
    size = nodeSize(type, sizing);
    for (const part of [size.capacity, size.allocatable, size.overhead.kubeReserved, size.overhead.systemReserved, size.overhead.evictionThreshold]) Object.freeze(part);
    Object.freeze(size.overhead);
    sizes.set(type.name, size);
  }
  return size;
}

/**
 * Capacity, overhead, allocatable and region-free labels of one bundled type, whether or not any
 * bundled region offers it; undefined for an unknown name.
 */
export function sizeAwsInstanceType(name: string, options: AwsSizingOptions = {}): (NodeSize & { labels: Record<string, string> }) | undefined {
  const type = catalogData().instanceTypes.find((t) => t.name === name);
  if (!type) return undefined;
  const sizing = prepareSizing(sizingContext(options));
  const labels = instanceLabels(type, sizing.family, "");
  delete labels[LABEL.region];
  return { ...nodeSize(type, sizing), labels };
}

/**
 * Every bundled instance type offered in `options.region`, with Karpenter's capacity, overhead,
 * allocatable, labels, requirements and offerings. Throws InputError for a region we do not ship
 * or bad options.
 */
export function loadAwsInstanceTypes(options: AwsCatalogOptions): AwsCatalog {
  const key = cacheKey(options);
  const hit = cache.get(key);
  if (hit) return hit;
  const catalog = buildCatalog(options);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, catalog);
  return catalog;
}

