/**
 * Price-aware repacking. First-fit-decreasing fills a claim until its largest instance type is
 * full, so a claim can end up on one big type when the same pods would cost less on several
 * smaller ones (prices are not proportional to size across the catalog). After placement, each
 * claim's pods are re-packed first-fit-decreasing onto a few promising cheaper types; when the
 * resulting nodes (each on its own cheapest fitting type) cost less in total, the claim is split.
 *
 * Before that, pods nothing ties to their node are pooled across claims and packed afresh when
 * that costs less (pool-repack.ts).
 *
 * Splitting keeps the claim's requirements (zone and other domains stay pinned), and each new
 * node holds a subset of the pods, so spread counts per node only drop and anti-affinity
 * stays met. Claims with pods that need to share a hostname (pod affinity on hostname) and claims
 * of NodePools with limits are left alone.
 */
import { LABEL_HOSTNAME } from "../api/labels.ts";
import type { Pod } from "../api/kubernetes.ts";
import type { Resources } from "../quantity/resources.ts";
import { Requirement } from "../requirements/index.ts";
import { ClaimBin, daemonPortClash } from "./bins.ts";
import type { RunContext } from "./context.ts";
import { HostPortUsage, type HostPort } from "./host-ports.ts";
import { fits, unmetMinValues, type PreparedType } from "./instance-types.ts";
import { repackFreePods } from "./pool-repack.ts";

const EPSILON = 1e-9;
/** How many cheaper types a claim is re-packed onto. */
const TYPES_TRIED = 8;

function needsSharedHostname(pod: Pod): boolean {
  const a = pod.spec.affinity?.podAffinity;
  if (!a) return false;
  return (
    (a.requiredDuringSchedulingIgnoredDuringExecution ?? []).some((t) => t.topologyKey === LABEL_HOSTNAME) ||
    (a.preferredDuringSchedulingIgnoredDuringExecution ?? []).some((t) => t.podAffinityTerm.topologyKey === LABEL_HOSTNAME)
  );
}

interface Packed {
  load: Record<string, number>;
  members: number[];
  ports: HostPortUsage;
}

/** FFD of the claim's pods onto nodes of `type`; undefined when some pod doesn't fit it at all. */
function packOnto(claim: ClaimBin, order: readonly number[], type: PreparedType): Packed[] | undefined {
  const bins: Packed[] = [];
  for (const i of order) {
    const req = claim.podRequests[i]!;
    const ports = claim.podPorts[i]!;
    let target: Packed | undefined;
    for (const b of bins) {
      if (ports.length && b.ports.conflict(ports)) continue;
      if (fits(sum(b.load, req), type.allocatable)) {
        target = b;
        break;
      }
    }
    if (!target) {
      // The type's allocatable is already less its DaemonSets' overhead.
      const load: Record<string, number> = {};
      if (!fits(req, type.allocatable)) return undefined;
      target = { load, members: [], ports: new HostPortUsage() };
      bins.push(target);
    }
    for (const name in req) target.load[name] = (target.load[name] ?? 0) + req[name]!;
    target.members.push(i);
    target.ports.add(ports);
  }
  return bins;
}

function sum(a: Resources, b: Resources): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const name in b) out[name] = (out[name] ?? 0) + b[name]!;
  return out;
}

/** What the claim's load would cost on fractional nodes of `type`: how promising the type is. */
function estimate(load: Resources, type: PreparedType, price: number): number {
  let nodes = 0;
  for (const name in load) {
    const have = type.allocatable[name] ?? 0;
    if (load[name]! <= 0) continue;
    if (have <= 0) return Infinity;
    nodes = Math.max(nodes, load[name]! / have);
  }
  return nodes * price;
}

export function repackClaims(ctx: RunContext): void {
  repackFreePods(ctx);
  for (let c = 0; c < ctx.claims.length; c++) {
    const claim = ctx.claims[c]!;
    if (claim.pods.length < 2 || claim.template.limits || claim.pods.some(needsSharedHostname)) continue;
    const current = claim.price;
    const compat = claim.template.catalog.compatible(claim.reqs);
    const load = claim.requests;
    const promising: Array<{ t: PreparedType; est: number }> = [];
    for (let i = 0; i < compat.types.length; i++) {
      const price = compat.prices[i]!;
      if (price >= current - EPSILON) break; // sorted by price
      const est = estimate(load, compat.types[i]!, price);
      if (est < current - EPSILON) promising.push({ t: compat.types[i]!, est });
    }
    if (promising.length === 0) continue;
    promising.sort((a, b) => a.est - b.est || a.t.order - b.t.order);
    const order = claim.pods.map((_, i) => i);
    order.sort((a, b) => (claim.podRequests[b]!.cpu ?? 0) - (claim.podRequests[a]!.cpu ?? 0) || (claim.podRequests[b]!.memory ?? 0) - (claim.podRequests[a]!.memory ?? 0) || a - b);
    let best: { cost: number; bins: Packed[] } | undefined;
    for (const { t } of promising.slice(0, TYPES_TRIED)) {
      const bins = packOnto(claim, order, t);
      if (!bins || bins.length < 2) continue;
      let cost = 0;
      for (const b of bins) {
        let price = Infinity;
        for (let i = 0; i < compat.types.length; i++) {
          if (fits(b.load, compat.types[i]!.allocatable)) {
            price = compat.prices[i]!;
            break;
          }
        }
        cost += price;
      }
      // Cheaper wins; at (nearly) equal cost, fewer nodes.
      if (cost < current - EPSILON && (!best || cost < best.cost - EPSILON || (cost <= best.cost + EPSILON && bins.length < best.bins.length))) best = { cost, bins };
    }
    if (!best) continue;
    const parts = split(ctx, claim, best.bins, compat.types, compat.prices);
    if (!parts) continue;
    ctx.claims.splice(c, 1, ...parts);
    c += parts.length - 1;
  }
}

function split(ctx: RunContext, claim: ClaimBin, bins: Packed[], types: readonly PreparedType[], prices: readonly number[]): ClaimBin[] | undefined {
  const parts: ClaimBin[] = [];
  for (const b of bins) {
    const kept: PreparedType[] = [];
    const keptPrices: number[] = [];
    const ports = b.members.flatMap((i) => claim.podPorts[i]!);
    const portCheck = ports.length > 0 && claim.template.daemonPortsVary;
    for (let i = 0; i < types.length; i++) {
      if (fits(b.load, types[i]!.allocatable) && !(portCheck && daemonPortClash(types[i]!, ports))) {
        kept.push(types[i]!);
        keptPrices.push(prices[i]!);
      }
    }
    if (kept.length === 0) return undefined;
    const hostname = `hostname-placeholder-${ctx.nextHostname++}`;
    const reqs = claim.reqs.without(LABEL_HOSTNAME).with(Requirement.single(LABEL_HOSTNAME, hostname));
    if (ctx.minValuesStrict && unmetMinValues(kept, reqs)) return undefined;
    const part = new ClaimBin(claim.index, claim.template, hostname, reqs, [], []);
    for (const i of b.members) {
      part.add(claim.pods[i]!, claim.podRequests[i]!, claim.podPorts[i]! as HostPort[], reqs, { types: kept, prices: keptPrices });
    }
    parts.push(part);
  }
  return parts;
}
