/**
 * Which offering a new NodeClaim is expected to launch with: the rule `tenon simulate` reports as
 * `launch` and the provisioner hands to the fleet request. Capacity types are tried in Karpenter's
 * priority (reserved, then spot, then on-demand) among those the claim's requirements allow and that
 * have an available offering; within that capacity type the cheapest offering wins. Ties keep the
 * claim's instance-type order, then zones sort by name, so the answer is deterministic.
 */
import { LABEL_CAPACITY_TYPE, LABEL_ZONE } from "../api/labels.ts";
import type { NodeSelectorRequirement } from "../api/types.ts";
import { labelSatisfies } from "../requirements/node-selector.ts";
import { CAPACITY_TYPE_PRIORITY, type CapacityType } from "../ports/instance-type.ts";
import type { NewNodeClaim } from "./types.ts";


export interface LaunchChoice {
  instanceType: string;
  zone: string;
  capacityType: CapacityType;
  price: number;
  reservationId?: string;
}

/** Whether every requirement on `key` admits `value` (no requirement on the key admits anything). */
export function requirementsAllow(requirements: readonly NodeSelectorRequirement[], key: string, value: string): boolean {
  return requirements.every((requirement) => requirement.key !== key || labelSatisfies(value, requirement));
}

/** The offering a launch of `claim` is expected to get, or undefined when no listed type has one the claim allows. */
export function resolveLaunch(claim: Pick<NewNodeClaim, "requirements" | "instanceTypes">): LaunchChoice | undefined {
  for (const capacityType of CAPACITY_TYPE_PRIORITY) {
    if (!requirementsAllow(claim.requirements, LABEL_CAPACITY_TYPE, capacityType)) continue;
    let best: LaunchChoice | undefined;
    for (const instanceType of claim.instanceTypes) {
      for (const offering of instanceType.offerings) {
        if (offering.capacityType !== capacityType || !offering.available) continue;
        if (!requirementsAllow(claim.requirements, LABEL_ZONE, offering.zone)) continue;
        // Strictly cheaper wins; an equal price only wins within the same instance type on a smaller zone name,
        // because earlier instance types keep precedence on ties.
        const better =
          best === undefined ||
          offering.price < best.price ||
          (offering.price === best.price && best.instanceType === instanceType.name && offering.zone < best.zone);
        if (!better) continue;
        best = { instanceType: instanceType.name, zone: offering.zone, capacityType, price: offering.price };
        if (offering.reservationId !== undefined) best.reservationId = offering.reservationId;
      }
    }
    if (best) return best;
  }
  return undefined;
}
