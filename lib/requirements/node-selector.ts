/**
 * Whether a node's label satisfies a node-selector requirement, as kube-scheduler reads one:
 * `In`/`NotIn` by value, `Exists`/`DoesNotExist` by presence, `Gt`/`Gte`/`Lt`/`Lte` as integers
 * (a missing or non-integer label never satisfies them). One concrete set of labels checked against
 * requirements: AMI and launch choices in the cloud adapters, affinity in the in-memory cluster, the
 * expected launch in lib/scheduling/launch.ts. Evaluated by `Requirement` (requirement.ts), the one
 * place operators are interpreted.
 */
import type { NodeSelectorRequirement } from "../api/types.ts";
import { Requirement } from "./requirement.ts";

export function labelSatisfies(value: string | undefined, req: NodeSelectorRequirement): boolean {
  if (value === undefined) return req.operator === "NotIn" || req.operator === "DoesNotExist";
  return Requirement.fromNodeSelector(req).has(value);
}

export function labelsSatisfy(labels: Readonly<Record<string, string>>, reqs: readonly NodeSelectorRequirement[]): boolean {
  return reqs.every((r) => labelSatisfies(labels[r.key], r));
}
