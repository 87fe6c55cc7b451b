/** Evaluating node-selector requirements against the labels an instance type would give a node. */
import type { NodeSelectorRequirement } from "../../api/types.ts";
import type { InstanceType, Offering } from "../instance-type.ts";

export const LABEL_INSTANCE_TYPE = "node.kubernetes.io/instance-type";
export const LABEL_ZONE = "topology.kubernetes.io/zone";
export const LABEL_CAPACITY_TYPE = "karpenter.sh/capacity-type";

/** Labels plus every single-valued `In` requirement of the type. */
export function typeLabels(type: InstanceType): Record<string, string> {
  const labels: Record<string, string> = { ...type.labels, [LABEL_INSTANCE_TYPE]: type.name };
  for (const r of type.requirements) {
    if (r.operator === "In" && r.values?.length === 1 && !(r.key in labels)) labels[r.key] = r.values[0]!;
  }
  return labels;
}

export function labelSatisfies(value: string | undefined, req: NodeSelectorRequirement): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Gte":
    case "Lt":
    case "Lte": {
      if (value === undefined || values[0] === undefined) return false;
      const a = Number(value);
      const b = Number(values[0]);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
      return req.operator === "Gt" ? a > b : req.operator === "Gte" ? a >= b : req.operator === "Lt" ? a < b : a <= b;
    }
  }
}

export function labelsSatisfy(labels: Record<string, string>, reqs: NodeSelectorRequirement[]): boolean {
  return reqs.every((r) => labelSatisfies(labels[r.key], r));
}

/** Whether an offering (zone, capacity type) is allowed by the NodeClaim's requirements. */
export function offeringAllowed(offering: Offering, reqs: NodeSelectorRequirement[]): boolean {
  return reqs.every((r) => {
    if (r.key === LABEL_ZONE) return labelSatisfies(offering.zone, r);
    if (r.key === LABEL_CAPACITY_TYPE) return labelSatisfies(offering.capacityType, r);
    if (r.key === "topology.k8s.aws/zone-id" && offering.zoneId !== undefined) return labelSatisfies(offering.zoneId, r);
    return true;
  });
}

/** Whether the requirements allow a capacity type at all. */
export function capacityTypeAllowed(capacityType: string, reqs: NodeSelectorRequirement[]): boolean {
  return reqs.filter((r) => r.key === LABEL_CAPACITY_TYPE).every((r) => labelSatisfies(capacityType, r));
}
