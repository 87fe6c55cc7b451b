/**
 * Which offerings an interruption makes unavailable: a spot interruption means EC2 wants that
 * capacity back, so (type, zone, spot) is skipped for the next launches, as after a capacity error;
 * a capacity-reservation interruption does the same for the reserved offering (type, zone, reserved).
 */
import type { CloudInstance } from "../../../ports/cloud.ts";
import type { CapacityType } from "../../../ports/instance-type.ts";
import type { OfferingKey } from "../../../ports/unavailable-offerings.ts";
import type { ClassifiedInterruption } from "../../../ports/interruption.ts";

const CAPACITY_TYPE_TAKEN_BACK: Partial<Record<ClassifiedInterruption["kind"], CapacityType>> = {
  "spot-interruption": "spot",
  "capacity-reservation-interruption": "reserved",
};

export function offeringsToMarkUnavailable(event: ClassifiedInterruption, instances: ReadonlyMap<string, CloudInstance>): OfferingKey[] {
  const capacityType = CAPACITY_TYPE_TAKEN_BACK[event.kind];
  if (!capacityType) return [];
  const keys: OfferingKey[] = [];
  for (const id of event.instanceIds) {
    const instance = instances.get(id);
    if (instance && instance.capacityType === capacityType) keys.push({ instanceType: instance.instanceType, zone: instance.zone, capacityType });
  }
  return keys;
}
