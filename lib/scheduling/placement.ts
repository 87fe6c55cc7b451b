/**
 * Trying one pod (its plan) on one bin: an existing node, a claim being built, or a new claim from
 * a NodePool. Each returns PLACED, or why not (and whether that can never change for this plan).
 */
import { LABEL_HOSTNAME } from "../api/labels.ts";
import type { Pod } from "../api/kubernetes.ts";
import type { Resources } from "../quantity/resources.ts";
import { formatResource } from "../quantity/quantity.ts";
import { Requirement, type Requirements } from "../requirements/index.ts";
import { ClaimBin, daemonPortClash, type ExistingBin } from "./bins.ts";
import { formatHostPort, HostPortUsage, type HostPort } from "./host-ports.ts";
import type { RunContext } from "./context.ts";
import { fits, unmetMinValues, type PreparedType } from "./instance-types.ts";
import { withinLimits } from "./limits.ts";
import { countingGroups, type PodPlan } from "./plan.ts";
import { applyTopology, pinCountedDomains, type AllowedMemo, type Pricing } from "./placement-topology.ts";
import { formatTaint, untoleratedTaint } from "./taints.ts";
import type { NodePoolTemplate } from "./templates.ts";

export const PLACED = 0;
/** Can't place here, and never will for this plan. */
export const NEVER = 1;
/** Can't place here now; a later pod of the group may. */
export const NOT_NOW = 2;
/**
 * Can't place here, and never will for this plan, for a reason that depends on the pod's size (or
 * may): a smaller pod with the same constraints might still fit, so pods of other groups that
 * share the candidate list keep the bin.
 */
export const TOO_SMALL = 3;
export type BinOutcome = typeof PLACED | typeof NEVER | typeof NOT_NOW | typeof TOO_SMALL;

function record(ctx: RunContext, pod: Pod, plan: PodPlan, on: ExistingBin | ClaimBin): void {
  const counting = countingGroups(plan, ctx.topology);
  ctx.topology.recordPlacement(pod, on, counting, plan.ownedInverse ?? []);
  if (on.closeIfFull(ctx.smallestRequest)) {
    ctx.closedInOpen++;
    if (ctx.closedInOpen > 64 && ctx.closedInOpen * 2 > ctx.open.length) {
      ctx.open = ctx.open.filter((b) => !b.closed);
      ctx.closedInOpen = 0;
    }
  }
}

/** An existing node's price plays no part in its topology check (its domains are fixed). */
const FIXED_PRICE: Pricing = { price: () => 0 };

export function tryExisting(ctx: RunContext, bin: ExistingBin, pod: Pod, plan: PodPlan, memo: AllowedMemo): BinOutcome {
  const g = plan.group;
  if (untoleratedTaint(plan.tolerations, bin.taints, plan.ignorePreferNoSchedule)) return NEVER;
  if (g.ports.length && bin.ports.conflict(g.ports)) return NEVER;
  if (!bin.fitsRequests(g.requests)) return TOO_SMALL;
  if (!bin.reqs.isCompatible(plan.nodeReqs)) return NEVER;
  if (plan.topo.length) {
    const outcome = applyTopology(plan, bin.reqs, memo, (key) => bin.domain(key), FIXED_PRICE);
    if ("fail" in outcome) return outcome.permanent ? NEVER : NOT_NOW;
  }
  bin.add(pod, g.requests, g.ports, plan.nodeReqs);
  record(ctx, pod, plan, bin);
  return PLACED;
}

export function tryClaim(ctx: RunContext, claim: ClaimBin, pod: Pod, plan: PodPlan, memo: AllowedMemo): BinOutcome {
  const g = plan.group;
  if (untoleratedTaint(plan.tolerations, claim.taints, plan.ignorePreferNoSchedule)) return NEVER;
  if (g.ports.length && claim.ports.conflict(g.ports)) return NEVER;
  if (claim.exceedsHeadroom(g.requests)) return TOO_SMALL;
  if (!claim.reqs.isCompatible(plan.nodeReqs, claim.allowUndefined)) return NEVER;
  const merged = claim.reqs.intersect(plan.nodeReqs);
  const typesFor = new ClaimTypes(claim, claim.need(g.requests), g.ports);
  let reqs = merged;
  let pinned = false;
  if (plan.topo.length) {
    const outcome = applyTopology(plan, merged, memo, undefined, typesFor);
    // A permanent failure on the claim's own domain holds for every size; after a domain chosen by
    // price for this pod's size, it is not known to hold for other sizes.
    if ("fail" in outcome) return outcome.permanent ? (outcome.pinned ? TOO_SMALL : NEVER) : NOT_NOW;
    reqs = outcome.reqs;
    pinned = outcome.pinned;
  }
  const counting = countingGroups(plan, ctx.topology);
  if (counting.length) reqs = pinCountedDomains(reqs, counting, memo, typesFor);
  const types = typesFor.get(reqs);
  // Without a topology choice, the claim only gets fuller and narrower: no later pod alike fits.
  if (!types) return pinned ? NOT_NOW : TOO_SMALL;
  if (ctx.minValuesStrict && unmetMinValues(types.types, reqs)) return pinned ? NOT_NOW : TOO_SMALL;
  claim.add(pod, g.requests, g.ports, reqs, types);
  ctx.limits.reserve(claim, ctx.maxTypes);
  record(ctx, pod, plan, claim);
  return PLACED;
}

/** Why the pod can't use this NodePool at all, whatever else is placed (cached per plan). */
function staticReason(plan: PodPlan, t: NodePoolTemplate): string | null {
  const cached = plan.templateStatic[t.index];
  if (cached !== undefined) return cached;
  let reason: string | null = null;
  const taint = untoleratedTaint(plan.tolerations, t.taints, plan.ignorePreferNoSchedule);
  if (taint) reason = `incompatible with NodePool ${t.name}: taint ${formatTaint(taint)} not tolerated`;
  if (!reason) {
    const why = t.reqs.compatible(plan.nodeReqs, t.allowUndefined, { self: `NodePool ${t.name}`, other: "pod" });
    if (why) reason = `incompatible with NodePool ${t.name}: ${why}`;
  }
  if (!reason) {
    const requests = plan.group.requests;
    for (const name of Object.keys(requests).sort()) {
      const room = t.catalog.largest[name] ?? 0;
      if (requests[name]! > room) {
        // Name the type with the most room for it, and the DaemonSet overhead taken off there.
        const roomiest = t.catalog.types.reduce<PreparedType | undefined>((best, it) => (!best || (it.allocatable[name] ?? 0) > (best.allocatable[name] ?? 0) ? it : best), undefined);
        const overhead = roomiest?.daemon[name] ?? 0;
        const daemon = overhead ? ` including ${formatResource(name, overhead)} of DaemonSet overhead` : "";
        reason = `no instance type in NodePool ${t.name} has enough ${name} (wants ${formatResource(name, requests[name]! + overhead)}${daemon}, largest ${formatResource(name, room + overhead)})`;
        break;
      }
    }
  }
  plan.templateStatic[t.index] = reason;
  return reason;
}

/** Opens a new claim from `t` for the pod; returns PLACED or the reason it can't. */
export function tryNewClaim(ctx: RunContext, t: NodePoolTemplate, pod: Pod, plan: PodPlan, memo: AllowedMemo): typeof PLACED | string {
  const fixed = staticReason(plan, t);
  if (fixed) return fixed;
  const g = plan.group;
  if (g.ports.length && t.daemonPorts.length) {
    const usage = new HostPortUsage();
    usage.add(t.daemonPorts);
    const clash = usage.conflict(g.ports);
    if (clash) return `NodePool ${t.name}: host port ${formatHostPort(clash)} is taken by a DaemonSet on its nodes`;
  }
  const hostname = `hostname-placeholder-${ctx.nextHostname}`;
  const base = t.reqs.intersect(plan.nodeReqs).with(Requirement.single(LABEL_HOSTNAME, hostname));
  const remaining = ctx.limits.remaining(t);
  const typesFor = new NewClaimTypes(ctx.fitting, t, g.requests, g.ports, remaining);
  let reqs = base;
  if (plan.topo.length) {
    const outcome = applyTopology(plan, base, memo, undefined, typesFor);
    if ("fail" in outcome) {
      // A domain whose only fitting types are over the pool's limits reads as a topology failure;
      // when the topology could be met without the limits, the limits are what stopped the pod.
      if (remaining && !("fail" in applyTopology(plan, base, memo, undefined, new NewClaimTypes(ctx.fitting, t, g.requests, g.ports, NO_LIMITS)))) {
        return limitsReason(t, t.catalog.compatible(base).types.filter((it) => fits(g.requests, it.allocatable)), remaining);
      }
      return `NodePool ${t.name}: ${outcome.fail}`;
    }
    reqs = outcome.reqs;
  }
  const counting = countingGroups(plan, ctx.topology);
  if (counting.length) reqs = pinCountedDomains(reqs, counting, memo, typesFor);
  const types = typesFor.get(reqs);
  if (!types) return noTypeReason(t, reqs, g.requests, remaining);
  const unmet = unmetMinValues(types.types, reqs);
  if (unmet && ctx.minValuesStrict) {
    return `NodePool ${t.name}: minValues ${unmet.req.minValues} for ${unmet.req.key} not met (instance types that fit offer ${unmet.found})`;
  }
  ctx.nextHostname++;
  const claim = new ClaimBin(ctx.bins.length, t, hostname, reqs, [], []);
  claim.add(pod, g.requests, g.ports, reqs, types);
  ctx.claims.push(claim);
  ctx.bins.push(claim);
  ctx.open.push(claim);
  ctx.limits.reserve(claim, ctx.maxTypes);
  record(ctx, pod, plan, claim);
  return PLACED;
}

/** An empty set of limits: nothing is limited (`undefined` would take the default). */
const NO_LIMITS: Record<string, number> = {};

type PricedTypes = { types: PreparedType[]; prices: number[] };

/** A claim's instance types under each requirement set one attempt looks at, each worked out once. */
class ClaimTypes implements Pricing {
  private readonly seen = new Map<Requirements, PricedTypes | undefined>();
  constructor(
    private readonly claim: ClaimBin,
    private readonly need: Record<string, number>,
    private readonly ports: readonly HostPort[],
  ) {}

  get(reqs: Requirements): PricedTypes | undefined {
    if (this.seen.has(reqs)) return this.seen.get(reqs);
    const out = this.claim.typesFor(reqs, this.need, this.ports);
    this.seen.set(reqs, out);
    return out;
  }

  price(reqs: Requirements): number | undefined {
    return this.get(reqs)?.prices[0];
  }
}

function sharedFits(cache: RunContext["fitting"], compat: PricedTypes): Map<string, PricedTypes | undefined> {
  let m = cache.get(compat);
  if (!m) cache.set(compat, (m = new Map()));
  return m;
}

function requestsKey(need: Resources): string {
  let key = "";
  for (const name in need) key += `${name}=${need[name]};`;
  return key;
}

/** A new claim's instance types from a NodePool under each requirement set, within `limits`, each worked out once. */
class NewClaimTypes implements Pricing {
  private readonly seen = new Map<Requirements, PricedTypes | undefined>();
  private readonly portCheck: boolean;
  constructor(
    private readonly cache: RunContext["fitting"],
    private readonly t: NodePoolTemplate,
    private readonly need: Resources,
    private readonly ports: readonly HostPort[],
    private readonly limits: Record<string, number> | undefined,
  ) {
    this.portCheck = ports.length > 0 && t.daemonPortsVary;
  }

  get(reqs: Requirements): PricedTypes | undefined {
    if (this.seen.has(reqs)) return this.seen.get(reqs);
    const compat = this.t.catalog.compatible(reqs);
    // Without limits or port checks the answer depends on the compatible types and the requests
    // alone: claims opened alike share it (and the bounds bins.ts works out from it).
    const shared = this.limits === undefined && !this.portCheck ? sharedFits(this.cache, compat) : undefined;
    const key = shared ? requestsKey(this.need) : "";
    if (shared?.has(key)) {
      const out = shared.get(key);
      this.seen.set(reqs, out);
      return out;
    }
    const types: PreparedType[] = [];
    const prices: number[] = [];
    for (let i = 0; i < compat.types.length; i++) {
      const it = compat.types[i]!;
      if (!fits(this.need, it.allocatable) || !withinLimits(it.capacity, this.limits)) continue;
      if (this.portCheck && daemonPortClash(it, this.ports)) continue;
      types.push(it);
      prices.push(compat.prices[i]!);
    }
    const out = types.length ? { types, prices } : undefined;
    this.seen.set(reqs, out);
    shared?.set(key, out);
    return out;
  }

  price(reqs: Requirements): number | undefined {
    return this.get(reqs)?.prices[0];
  }
}

function noTypeReason(t: NodePoolTemplate, reqs: Requirements, need: Record<string, number>, remaining: Record<string, number> | undefined): string {
  const compat = t.catalog.compatible(reqs).types;
  if (compat.length === 0) return `no instance type in NodePool ${t.name} meets the pod's requirements (${describeReqs(reqs)})`;
  const fitting = compat.filter((it) => fits(need, it.allocatable));
  if (fitting.length === 0) {
    for (const name of Object.keys(need).sort()) {
      let largest = 0;
      for (const it of compat) largest = Math.max(largest, it.allocatable[name] ?? 0);
      if (need[name]! > largest) {
        return `no instance type in NodePool ${t.name} that meets the pod's requirements has enough ${name} (wants ${formatResource(name, need[name]!)}, largest ${formatResource(name, largest)})`;
      }
    }
    const wants = Object.keys(need).sort().filter((n) => n !== "pods").map((n) => `${n} ${formatResource(n, need[n]!)}`).join(", ");
    return `no instance type in NodePool ${t.name} fits ${wants} at once`;
  }
  return limitsReason(t, fitting, remaining ?? {});
}

/**
 * Why instance types that fit the pod are all over the NodePool's limits: each limited resource
 * that blocks them, with the limit, what is left of it and the least the fitting types would add.
 */
function limitsReason(t: NodePoolTemplate, fitting: readonly PreparedType[], remaining: Record<string, number>): string {
  const blocking: string[] = [];
  for (const name of Object.keys(remaining).sort()) {
    const left = Math.max(0, remaining[name]!);
    const show = (v: number) => (name === "nodes" ? String(v) : formatResource(name, v));
    let smallest = Infinity;
    for (const it of fitting) smallest = Math.min(smallest, name === "nodes" ? 1 : (it.capacity[name] ?? 0));
    if (fitting.length > 0 && smallest <= remaining[name]!) continue;
    const limit = show(t.limits?.[name] ?? 0);
    const needs = fitting.length > 0 ? `, a node that fits the pod adds at least ${show(smallest)}` : "";
    blocking.push(`${name} limit ${limit} has ${show(left)} left${needs}`);
  }
  if (blocking.length === 0) {
    // Smaller types fit the pod elsewhere (another zone); the ones its topology allows are too big.
    const left = Object.keys(remaining).sort().map((n) => `${n} ${n === "nodes" ? Math.max(0, remaining[n]!) : formatResource(n, Math.max(0, remaining[n]!))} left`);
    return `NodePool ${t.name} limits reached: the instance types that fit the pod where its topology allows need more than is left (${left.join(", ")})`;
  }
  return `NodePool ${t.name} limits reached: ${blocking.join("; ")}`;
}

function describeReqs(reqs: Requirements): string {
  const parts: string[] = [];
  for (const key of [...reqs.keys()].sort()) {
    if (key === LABEL_HOSTNAME) continue;
    parts.push(`${key} ${reqs.get(key)}`);
  }
  return parts.join(", ");
}
