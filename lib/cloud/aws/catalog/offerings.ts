/**
 * Offerings (zone × capacity type) of an instance type and their prices (design/karpenter-aws.md
 * §2.2, §3). An offering is available only when it has a price, its zone offers the type, it is
 * not marked unavailable (recent insufficient capacity), and the type suits the NodeClass.
 */
import type { CapacityType, Offering } from "../../instance-type.ts";
import type { CatalogInstanceType } from "./data-format.ts";

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
      out.push({ zone, zoneId, capacityType, price: price ?? 0, available });
    }
  }
  return out;
}
