/**
 * Instance types as the scheduler uses them: requirements parsed once, available offerings only,
 * and per-requirement-set lists sorted cheapest compatible offering first (ties: catalog order),
 * cached so that a new claim doesn't re-filter the whole catalog.
 */
import { LABEL_CAPACITY_TYPE, LABEL_HOSTNAME, LABEL_INSTANCE_TYPE, LABEL_ZONE, normalizeLabelKey } from "../api/labels.ts";
import type { InstanceType, Offering } from "../ports/instance-type.ts";
import type { Resources } from "../quantity/resources.ts";
import type { HostPort } from "./host-ports.ts";
import { Requirement, Requirements } from "../requirements/index.ts";

export interface PreparedType {
  readonly it: InstanceType;
  /** Position in the NodePool's catalog: the tie-breaker among equal prices. */
  readonly order: number;
  readonly reqs: Requirements;
  /** What pods may use: the type's allocatable less `daemon` (a NodePool's types, templates.ts). */
  readonly allocatable: Resources;
  readonly capacity: Resources;
  readonly offerings: readonly Offering[];
  /** Requests of the DaemonSets that would run on this type in its NodePool. */
  readonly daemon: Resources;
  /** Host ports those DaemonSets bind. */
  readonly daemonPorts: readonly HostPort[];
}

const ALLOW_ALL = (): boolean => true;
const NO_DAEMON: Resources = {};
const NO_PORTS: readonly HostPort[] = [];

/**
 * Each type's prepared form, by the type object: the catalog hands out the same frozen objects
 * call after call, and a disruption pass builds its templates for every simulation it runs, so
 * parsing a few hundred types' requirements each time dominated a replay's time. Only types
 * whose offerings are frozen (the bundled catalog's) are remembered: a caller's own objects may
 * change between calls.
 */
const prepared = new WeakMap<InstanceType, Omit<PreparedType, "order">>();

export function prepareTypes(types: readonly InstanceType[]): PreparedType[] {
  return types.map((it, order) => {
    let p = prepared.get(it);
    if (!p) {
      p = prepareType(it);
      if (Object.isFrozen(it) && Object.isFrozen(it.offerings)) prepared.set(it, p);
    }
    return { ...p, order };
  });
}

function prepareType(it: InstanceType): Omit<PreparedType, "order"> {
  {
    const available = it.offerings.filter((o) => o.available);
    let reqs = Requirements.fromNodeSelector(it.requirements, normalizeLabelKey).intersect(Requirements.fromLabels(it.labels, normalizeLabelKey));
    if (!reqs.hasKey(LABEL_INSTANCE_TYPE)) reqs = reqs.with(Requirement.in(LABEL_INSTANCE_TYPE, [it.name]));
    // Zone and capacity type follow the available offerings, whatever the catalog says.
    reqs = reqs.without(LABEL_ZONE).without(LABEL_CAPACITY_TYPE)
      .with(Requirement.in(LABEL_ZONE, available.map((o) => o.zone)))
      .with(Requirement.in(LABEL_CAPACITY_TYPE, available.map((o) => o.capacityType)));
    // The catalog's rule: a type that doesn't state a pod capacity takes 110 pods.
    const allocatable = it.allocatable.pods === undefined ? { ...it.allocatable, pods: 110 } : it.allocatable;
    return { it, reqs, allocatable, capacity: it.capacity, offerings: available, daemon: NO_DAEMON, daemonPorts: NO_PORTS };
  }
}

/** Cheapest available offering the requirements allow, or Infinity. */
export function cheapestPrice(t: PreparedType, reqs: Requirements): number {
  const zone = reqs.get(LABEL_ZONE);
  const ct = reqs.get(LABEL_CAPACITY_TYPE);
  let best = Infinity;
  for (const o of t.offerings) {
    if (o.price >= best) continue;
    if (zone && !zone.has(o.zone)) continue;
    if (ct && !ct.has(o.capacityType)) continue;
    best = o.price;
  }
  return best;
}

/** Whether the type can be a node meeting `reqs`: shared keys intersect and an offering is allowed. */
export function typeCompatible(t: PreparedType, reqs: Requirements): boolean {
  return t.reqs.isCompatible(reqs, ALLOW_ALL) && cheapestPrice(t, reqs) < Infinity;
}

export function fits(requests: Resources, allocatable: Resources): boolean {
  for (const name in requests) {
    const wanted = requests[name]!;
    if (wanted > 0 && wanted > (allocatable[name] ?? 0)) return false;
  }
  return true;
}

export interface PricedTypes {
  readonly types: PreparedType[];
  readonly prices: number[];
}

/** Sorts types by their cheapest offering under `reqs`, ties by catalog order. */
export function sortByPrice(types: readonly PreparedType[], reqs: Requirements): PricedTypes {
  const priced = types.map((t) => ({ t, p: cheapestPrice(t, reqs) }));
  priced.sort((a, b) => a.p - b.p || a.t.order - b.t.order);
  return { types: priced.map((x) => x.t), prices: priced.map((x) => x.p) };
}

/** A NodePool's types with a cache of compatible lists per requirement set. */
export class TypeCatalog {
  private readonly cache = new Map<string, PricedTypes>();
  /** Component-wise largest allocatable: a quick "can't fit anywhere" test and for reasons. */
  readonly largest: Record<string, number> = {};

  constructor(readonly types: readonly PreparedType[]) {
    for (const t of types) for (const name in t.allocatable) this.largest[name] = Math.max(this.largest[name] ?? 0, t.allocatable[name]!);
  }

  /** Types compatible with `reqs` (hostname ignored), cheapest first. */
  compatible(reqs: Requirements): PricedTypes {
    const sig = reqs.signature(LABEL_HOSTNAME);
    let hit = this.cache.get(sig);
    if (!hit) {
      hit = sortByPrice(this.types.filter((t) => typeCompatible(t, reqs)), reqs);
      this.cache.set(sig, hit);
    }
    return hit;
  }
}

/**
 * How many distinct values of `key` the types offer within `reqs` (instance type name for the
 * instance-type key): the count minValues is checked against.
 */
export function distinctValues(types: readonly PreparedType[], key: string, reqs: Requirements): number {
  const seen = new Set<string>();
  const allowed = reqs.get(key);
  for (const t of types) {
    const r = t.reqs.get(key);
    if (!r || r.complement) continue;
    for (const v of r.values) if (!allowed || allowed.has(v)) seen.add(v);
  }
  return seen.size;
}

/** The first requirement whose minValues the types don't meet, with the count they do offer. */
export function unmetMinValues(types: readonly PreparedType[], reqs: Requirements): { req: Requirement; found: number } | undefined {
  for (const r of reqs.withMinValues()) {
    const found = distinctValues(types, r.key, reqs);
    if (found < r.minValues!) return { req: r, found };
  }
  return undefined;
}

/**
 * The claim's instance-type options: the cheapest `max`, extended with further types while a
 * minValues requirement still lacks distinct values.
 */
export function truncateTypes(types: readonly PreparedType[], reqs: Requirements, max: number): PreparedType[] {
  if (types.length <= max) return [...types];
  const out = types.slice(0, max);
  const mins = reqs.withMinValues();
  if (mins.length === 0) return out;
  for (const r of mins) {
    const seen = new Set<string>();
    for (const t of out) for (const v of t.reqs.get(r.key)?.values ?? []) seen.add(v);
    for (let i = max; i < types.length && seen.size < r.minValues!; i++) {
      const t = types[i]!;
      const vals = [...(t.reqs.get(r.key)?.values ?? [])].filter((v) => !seen.has(v) && (!reqs.get(r.key) || reqs.get(r.key)!.has(v)));
      if (vals.length && !out.includes(t)) {
        out.push(t);
        for (const v of vals) seen.add(v);
      }
    }
  }
  return out;
}
