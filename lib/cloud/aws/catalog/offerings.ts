/**
 * Offerings (zone × capacity type) of an instance type and their prices (design/karpenter-aws.md
 * §2.2, §3). An offering is available only when it has a price, its zone offers the type, it is
 * not marked unavailable (recent insufficient capacity), and the type suits the NodeClass.
 */
import type { CapacityType, Offering } from "../../../ports/instance-type.ts";
import type { CatalogInstanceType } from "./data-format.ts";
import type { CatalogRegionData } from "./load.ts";

/** The key Karpenter's unavailable-offerings cache uses. */
export function unavailableOfferingKey(capacityType: CapacityType, instanceType: string, zone: string): string {
  return `${capacityType}:${instanceType}:${zone}`;
}

export function spotPriceKey(instanceType: string, zone: string): string {
  return `${instanceType}:${zone}`;
}

export interface OfferingContext {
  /** AZ name -> AZ id as the account sees them, in the order offerings are listed. */
  zones: ReadonlyMap<string, string>;
  onDemandPrice(instanceType: string): number | undefined;
  /** Undefined when no spot price is known for (type, zone). */
  spotPrice(instanceType: string, zone: string): number | undefined;
  unavailable: ReadonlySet<string>;
  /** USD per hour every node of this load costs beyond its instance (its EBS volumes). */
  perNodeExtra: number;
  /** USD per vCPU-hour added for an OS licence (Windows: EC2's licence-included rate over Linux prices); 0 for Linux. */
  licencePerVcpuHour: number;
}

/**
 * One offering per (offered zone, supported capacity type). A missing price leaves the offering
 * unavailable at price 0, so it is listed but never chosen.
 */
export function buildOfferings(type: CatalogInstanceType, offeredZoneIds: ReadonlySet<string>, compatible: boolean, ctx: OfferingContext): Offering[] {
  const out: Offering[] = [];
  for (const [zone, zoneId] of ctx.zones) {
    if (!offeredZoneIds.has(zoneId)) continue;
    for (const capacityType of type.capacityTypes) {
      const price = capacityType === "spot" ? ctx.spotPrice(type.name, zone) : ctx.onDemandPrice(type.name);
      const available = compatible && price !== undefined && !ctx.unavailable.has(unavailableOfferingKey(capacityType, type.name, zone));
      const extra = ctx.perNodeExtra + ctx.licencePerVcpuHour * type.vcpu;
      const total = price === undefined ? 0 : extra > 0 ? Math.round((price + extra) * 1e6) / 1e6 : price;
      out.push({ zone, zoneId, capacityType, price: total, available });
    }
  }
  return out;
}

export interface OfferingInputs {
  region: CatalogRegionData;
  /** The region the bundled on-demand table is for. */
  pricedRegion: string;
  bundledOnDemandPrices: ReadonlyMap<string, number>;
  zones?: readonly string[];
  zoneIds?: ReadonlyMap<string, string>;
  unavailable?: ReadonlySet<string>;
  onDemandPrices?: ReadonlyMap<string, number>;
  spotPrices?: ReadonlyMap<string, number>;
  perNodeExtra?: number;
  licencePerVcpuHour?: number;
}

function byName([a]: [string, string], [b]: [string, string]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Zones, prices and availability for one load. Given on-demand prices merge over the bundled
 * table; without spot prices, spot costs the on-demand price (Karpenter before its first spot
 * refresh). Each fallback adds a note.
 */
export function offeringContext(inputs: OfferingInputs, notes: string[]): OfferingContext {
  const { region, zones: only, zoneIds, onDemandPrices: onDemand, spotPrices: spot } = inputs;
  const accountZones = zoneIds ? new Map([...zoneIds].sort(byName)) : region.zones;
  const zones = only ? new Map([...accountZones].filter(([zone]) => only.includes(zone))) : accountZones;
  if (region.region !== inputs.pricedRegion && !onDemand) {
    notes.push(`on-demand prices: the bundled table covers ${inputs.pricedRegion} only; using ${inputs.pricedRegion} prices for ${region.region}, as Karpenter does until it reaches the Pricing API`);
  }
  const onDemandPrice = (type: string): number | undefined => onDemand?.get(type) ?? inputs.bundledOnDemandPrices.get(type);
  if (!spot) notes.push("spot prices: none given; spot offerings are priced at the on-demand price, as Karpenter does before its first spot price refresh");
  const spotPrice = spot ? (type: string, zone: string) => spot.get(spotPriceKey(type, zone)) : onDemandPrice;
  return { zones, onDemandPrice, spotPrice, unavailable: inputs.unavailable ?? new Set(), perNodeExtra: inputs.perNodeExtra ?? 0, licencePerVcpuHour: inputs.licencePerVcpuHour ?? 0 };
}
