/**
 * Turning the scheduler's one new NodeClaim into a consolidation replacement: only options that
 * are strictly cheaper than the candidates stay (every offering the replacement could launch on,
 * in the zones and capacity types it allows), spot nodes are replaced by spot only when the
 * SpotToSpotConsolidation gate is on (off by default, as Karpenter's), which keeps Karpenter's floor
 * of 15 cheaper types for a single node, and multi-node consolidation never replaces nodes with one of their own
 * types (deleting the others would do). Returns the narrowed claim, or why there is none.
 */
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_ZONE } from "../api/labels.ts";
import type { NodeSelectorRequirement } from "../api/types.ts";
import type { InstanceType, Offering } from "../ports/instance-type.ts";
import { requirementsAllow } from "../scheduling/launch.ts";
import type { NewNodeClaim } from "../scheduling/types.ts";
import type { NodeView } from "./cluster.ts";

/** Karpenter's floor of cheaper instance types for replacing one spot node with spot. */
export const SPOT_TO_SPOT_MIN_TYPES = 15;
const EPSILON = 1e-9;

export function money(value: number): string {
  return `$${Math.round(value * 1e6) / 1e6}/hour`;
}

function allowedOfferings(it: InstanceType, requirements: readonly NodeSelectorRequirement[], capacityTypes: ReadonlySet<string>): Offering[] {
  return it.offerings.filter((o) => o.available && capacityTypes.has(o.capacityType) && requirementsAllow(requirements, LABEL_ZONE, o.zone));
}

function cheapest(offerings: readonly Offering[]): number {
  let best = Infinity;
  for (const o of offerings) best = Math.min(best, o.price);
  return best;
}

function withRequirement(requirements: readonly NodeSelectorRequirement[], key: string, values: string[]): NodeSelectorRequirement[] {
  const old = requirements.find((r) => r.key === key);
  const next: NodeSelectorRequirement = { key, operator: "In", values };
  if (old?.minValues !== undefined) next.minValues = old.minValues;
  return [...requirements.filter((r) => r.key !== key), next];
}

/** Distinct values of `key` among the types (instance type names for the instance-type key). */
function distinctValues(types: readonly InstanceType[], key: string): number {
  if (key === LABEL_INSTANCE_TYPE) return types.length;
  const values = new Set<string>();
  for (const t of types) {
    const label = t.labels[key];
    if (label !== undefined) values.add(label);
    for (const r of t.requirements) if (r.key === key && r.operator === "In") for (const v of r.values ?? []) values.add(v);
  }
  return values.size;
}

export type ReplacementOutcome = { claim: NewNodeClaim; price: number } | { reason: string };

/** Why an all-spot candidate set is not replaced by spot while the gate is off (deleting it stays possible). */
export const SPOT_TO_SPOT_DISABLED = "spot-to-spot consolidation is off (feature gate SpotToSpotConsolidation): a spot node is only deleted, never replaced by another spot node";

export function cheaperReplacement(claim: NewNodeClaim, candidates: readonly NodeView[], total: number, kind: "single" | "multi", spotToSpot = false): ReplacementOutcome {
  const requirements = claim.requirements;
  const offered = new Set<string>();
  for (const it of claim.instanceTypes) for (const o of it.offerings) if (o.available && requirementsAllow(requirements, LABEL_CAPACITY_TYPE, o.capacityType)) offered.add(o.capacityType);
  const allSpot = candidates.every((c) => c.capacityType === "spot");
  let capacityTypes = offered;
  // A spot node is not replaced by on-demand while spot is allowed; and an on-demand node whose
  // replacement may be spot is priced (and launched) as spot, so a spot shortage can't make it dearer.
  if (offered.has("spot") && (allSpot || offered.has("on-demand"))) capacityTypes = new Set(["spot", ...(offered.has("reserved") ? ["reserved"] : [])]);

  const priced = claim.instanceTypes
    .map((it, order) => ({ it, order, offerings: allowedOfferings(it, requirements, capacityTypes) }))
    .filter((x) => x.offerings.length > 0);
  if (priced.length === 0) return { reason: "no instance type that fits its pods has an available offering" };
  const cheapestOption = priced.reduce((a, b) => (cheapest(b.offerings) < cheapest(a.offerings) ? b : a));
  let kept = priced.filter((x) => x.offerings.every((o) => o.price < total - EPSILON));
  if (kept.length === 0) {
    return { reason: `no cheaper option: the cheapest node for its pods (${cheapestOption.it.name} at ${money(cheapest(cheapestOption.offerings))}) is not cheaper than ${money(total)}` };
  }
  kept.sort((a, b) => cheapest(a.offerings) - cheapest(b.offerings) || a.order - b.order);

  const spotOnly = capacityTypes.size === 1 && capacityTypes.has("spot");
  if (allSpot && spotOnly && !spotToSpot) return { reason: SPOT_TO_SPOT_DISABLED };
  if (kind === "single" && allSpot && spotOnly) {
    if (kept.length < SPOT_TO_SPOT_MIN_TYPES) {
      return { reason: `spot-to-spot consolidation needs at least ${SPOT_TO_SPOT_MIN_TYPES} cheaper instance types; only ${kept.length} cost less than ${money(total)}` };
    }
    const minValues = requirements.find((r) => r.key === LABEL_INSTANCE_TYPE)?.minValues ?? 0;
    kept = kept.slice(0, Math.max(SPOT_TO_SPOT_MIN_TYPES, minValues));
  }
  if (kind === "multi") {
    // Replacing several nodes with one of their own types is no better than deleting the others.
    const names = new Set(kept.map((k) => k.it.name));
    let limit = Infinity;
    for (const c of candidates) if (c.instanceType && names.has(c.instanceType.name) && c.price !== undefined) limit = Math.min(limit, c.price);
    if (limit < Infinity) {
      kept = kept.filter((x) => x.offerings.every((o) => o.price < limit - EPSILON));
      if (kept.length === 0) return { reason: "the only cheaper replacements are the candidates' own instance types; deleting fewer nodes would do" };
    }
  }
  const types = kept.map((k) => k.it);
  for (const r of requirements) {
    if (r.minValues === undefined) continue;
    const found = distinctValues(types, r.key);
    if (found < r.minValues) return { reason: `only ${found} cheaper values of ${r.key}, below its minValues ${r.minValues}` };
  }

  const zones = new Set<string>();
  const cts = new Set<string>();
  for (const k of kept) for (const o of k.offerings) {
    zones.add(o.zone);
    cts.add(o.capacityType);
  }
  let narrowed = withRequirement(requirements, LABEL_INSTANCE_TYPE, types.map((t) => t.name));
  narrowed = withRequirement(narrowed, LABEL_ZONE, [...zones].sort());
  narrowed = withRequirement(narrowed, LABEL_CAPACITY_TYPE, [...cts].sort());
  const labels: Record<string, string> = { ...claim.labels };
  for (const [key, values] of [[LABEL_INSTANCE_TYPE, types.map((t) => t.name)], [LABEL_ZONE, [...zones]], [LABEL_CAPACITY_TYPE, [...cts]]] as const) {
    if (values.length === 1) labels[key] = values[0]!;
    else delete labels[key];
  }
  return { claim: { ...claim, requirements: narrowed, labels, instanceTypes: types }, price: cheapest(kept[0]!.offerings) };
}
