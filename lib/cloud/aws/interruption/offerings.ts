/**
 * Which offerings an interruption makes unavailable: a spot interruption means EC2 wants that
 * capacity back, so (type, zone, spot) is skipped for the next launches, as after a capacity error.
 */
import type { CloudInstance } from "../../../ports/cloud.ts";
import type { OfferingKey } from "../../../ports/unavailable-offerings.ts";
import type { ClassifiedInterruption } from "./classify.ts";

export function offeringsToMarkUnavailable(event: ClassifiedInterruption, instances: ReadonlyMap<string, CloudInstance>): OfferingKey[] {
  if (event.kind !== "spot-interruption") return [];
  const keys: OfferingKey[] = [];
  for (const id of event.instanceIds) {
    const instance = instances.get(id);
    if (instance && instance.capacityType === "spot") keys.push({ instanceType: instance.instanceType, zone: instance.zone, capacityType: "spot" });
  }
  return keys;
}
