/**
 * Capacity reservations as `reserved` offerings (karpenter-aws.md §2.2). A reservation adds one
 * offering to its instance type in its zone, priced at the on-demand price / 10,000,000: next to
 * free, so it sorts before spot and on-demand, yet reservations keep the relative order of their
 * types. The offering is available while the reservation has instances left, it was not recently
 * refused (ReservationCapacityExceeded, an interruption), and the type can launch in that zone.
 */
import type { ResolvedCapacityReservation } from "../../ports/cloud.ts";
import { offeringKeyString } from "../../ports/unavailable-offerings.ts";
import type { InstanceType, Offering } from "../../ports/instance-type.ts";
import { LABEL } from "./catalog/index.ts";
import { offeringRequirements } from "./catalog/labels.ts";

export const RESERVED_PRICE_DIVISOR = 10_000_000;

const OFFERING_KEYS = new Set<string>([LABEL.zone, LABEL.capacityType, LABEL.zoneId]);

/**
 * The on-demand offering in the reservation's zone, if the type can launch there at all: available,
 * or unavailable only because on-demand capacity ran short (which says nothing about the reservation).
 */
function onDemandIn(type: InstanceType, zone: string, unavailable: ReadonlySet<string>): Offering | undefined {
  return type.offerings.find((o) =>
    o.capacityType === "on-demand" && o.zone === zone && o.price > 0 &&
    (o.available || unavailable.has(offeringKeyString({ capacityType: "on-demand", instanceType: type.name, zone }))));
}

export function reservedOffering(type: InstanceType, r: ResolvedCapacityReservation, unavailable: ReadonlySet<string>): Offering | undefined {
  const onDemand = onDemandIn(type, r.zone, unavailable);
  const anyInZone = type.offerings.find((o) => o.zone === r.zone);
  // A zone without subnets has no offerings at all: a reservation there can't be reached.
  if (!anyInZone) return undefined;
  const refused = unavailable.has(offeringKeyString({ capacityType: "reserved", instanceType: type.name, zone: r.zone }));
  const zoneId = anyInZone.zoneId ?? r.zoneId;
  return {
    zone: r.zone,
    ...(zoneId ? { zoneId } : {}),
    capacityType: "reserved",
    price: (onDemand?.price ?? 0) / RESERVED_PRICE_DIVISOR,
    available: onDemand !== undefined && r.availableInstances > 0 && !refused,
    reservationId: r.id,
  };
}

/**
 * The types with their reserved offerings added (changed types are copies; the catalog's objects
 * are frozen and shared). `unavailable` holds `capacityType:instanceType:zone` keys.
 */
export function withReservedOfferings(types: readonly InstanceType[], reservations: readonly ResolvedCapacityReservation[], unavailable: ReadonlySet<string>): InstanceType[] {
  if (reservations.length === 0) return [...types];
  const byType = new Map<string, ResolvedCapacityReservation[]>();
  for (const r of reservations) byType.set(r.instanceType, [...(byType.get(r.instanceType) ?? []), r]);
  return types.map((type) => {
    const mine = byType.get(type.name);
    if (!mine) return type;
    const reserved = mine.map((r) => reservedOffering(type, r, unavailable)).filter((o): o is Offering => o !== undefined);
    if (reserved.length === 0) return type;
    const offerings = [...reserved, ...type.offerings];
    return {
      ...type,
      offerings,
      requirements: [...type.requirements.filter((r) => !OFFERING_KEYS.has(r.key)), ...offeringRequirements(offerings)],
    };
  });
}
