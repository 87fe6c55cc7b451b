/**
 * Whether a node's label satisfies a node-selector requirement, as kube-scheduler reads one:
 * `In`/`NotIn` by value, `Exists`/`DoesNotExist` by presence, `Gt`/`Gte`/`Lt`/`Lte` as numbers
 * (a missing or non-numeric label never satisfies them). Used wherever one concrete set of labels
 * is checked: AMI and launch choices in the cloud adapters, affinity in the simulated cluster.
 */
import type { NodeSelectorRequirement } from "./types.ts";

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

export function labelsSatisfy(labels: Readonly<Record<string, string>>, reqs: readonly NodeSelectorRequirement[]): boolean {
  return reqs.every((r) => labelSatisfies(labels[r.key], r));
}
