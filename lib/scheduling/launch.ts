/**
 * Which offering a new NodeClaim is expected to launch with: the rule `tenon simulate` reports as
 * `launch` and the provisioner hands to the fleet request. Capacity types are tried in Karpenter's
 * priority (reserved, then spot, then on-demand) among those the claim's requirements allow and that
 * have an available offering; within that capacity type the cheapest offering wins. Ties keep the
 * claim's instance-type order, then zones sort by name, so the answer is deterministic.
 */
import type { NodeSelectorRequirement } from "../api/types.ts";
import { CAPACITY_TYPE_PRIORITY, type CapacityType } from "../ports/instance-type.ts";
import type { NewNodeClaim } from "./types.ts";

export const ZONE_LABEL = "topology.kubernetes.io/zone";
export const CAPACITY_TYPE_LABEL = "karpenter.sh/capacity-type";

export interface LaunchChoice {
  instanceType: string;
  zone: string;
  capacityType: CapacityType;
  price: number;
  reservationId?: string;
}

/** Whether every requirement on `key` admits `value` (no requirement on the key admits anything). */
export function requirementsAllow(requirements: readonly NodeSelectorRequirement[], key: string, value: string): boolean {
  for (const requirement of requirements) {
    if (requirement.key !== key) continue;
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case "In":
        if (!values.includes(value)) return false;
        break;
      case "NotIn":
        if (values.includes(value)) return false;
        break;
      case "DoesNotExist":
        return false;
      case "Exists":
        break;
      default:
        // Gt/Lt/Gte/Lte compare integers; zone and capacity-type values are never numeric.
        if (!numericAllows(requirement.operator, values[0], value)) return false;
    }
  }
  return true;
}

function numericAllows(operator: string, bound: string | undefined, value: string): boolean {
  const n = Number(value);
  const b = Number(bound);
  if (!Number.isInteger(n) || !Number.isInteger(b)) return false;
  if (operator === "Gt") return n > b;
  if (operator === "Lt") return n < b;
  if (operator === "Gte") return n >= b;
  if (operator === "Lte") return n <= b;
  return false;
}

/** The offering a launch of `claim` is expected to get, or undefined when no listed type has one the claim allows. */
export function resolveLaunch(claim: Pick<NewNodeClaim, "requirements" | "instanceTypes">): LaunchChoice | undefined {
  for (const capacityType of CAPACITY_TYPE_PRIORITY) {
    if (!requirementsAllow(claim.requirements, CAPACITY_TYPE_LABEL, capacityType)) continue;
    let best: LaunchChoice | undefined;
    for (const instanceType of claim.instanceTypes) {
      for (const offering of instanceType.offerings) {
        if (offering.capacityType !== capacityType || !offering.available) continue;
        if (!requirementsAllow(claim.requirements, ZONE_LABEL, offering.zone)) continue;
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
