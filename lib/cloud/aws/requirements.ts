/** Evaluating node-selector requirements against the labels an instance type would give a node. */
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_ZONE, LABEL_ZONE_ID } from "../../api/labels.ts";
import { labelSatisfies } from "../../requirements/node-selector.ts";
import type { NodeSelectorRequirement } from "../../api/types.ts";
import type { InstanceType, Offering } from "../../ports/instance-type.ts";

/** Labels plus every single-valued `In` requirement of the type. */
export function typeLabels(type: InstanceType): Record<string, string> {
  const labels: Record<string, string> = { ...type.labels, [LABEL_INSTANCE_TYPE]: type.name };
  for (const r of type.requirements) {
    if (r.operator === "In" && r.values?.length === 1 && !(r.key in labels)) labels[r.key] = r.values[0]!;
  }
  return labels;
}

/** Whether an offering (zone, capacity type) is allowed by the NodeClaim's requirements. */
export function offeringAllowed(offering: Offering, reqs: NodeSelectorRequirement[]): boolean {
  return reqs.every((r) => {
    if (r.key === LABEL_ZONE) return labelSatisfies(offering.zone, r);
    if (r.key === LABEL_CAPACITY_TYPE) return labelSatisfies(offering.capacityType, r);
    if (r.key === LABEL_ZONE_ID && offering.zoneId !== undefined) return labelSatisfies(offering.zoneId, r);
    return true;
  });
}

/** Whether the requirements allow a capacity type at all. */
export function capacityTypeAllowed(capacityType: string, reqs: NodeSelectorRequirement[]): boolean {
  return reqs.filter((r) => r.key === LABEL_CAPACITY_TYPE).every((r) => labelSatisfies(capacityType, r));
}
