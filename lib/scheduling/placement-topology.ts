/**
 * Applying a pod's topology groups to one bin: which domains of each topology key the pod may use
 * there. A bin whose domain for the key is fixed (an existing node, a claim already pinned, a
 * claim's own hostname) is simply checked; a claim that still allows several domains is pinned to
 * the most preferred allowed one that leaves it some instance type, so that the pod is counted
 * in exactly one domain.
 */
import { LABEL_HOSTNAME } from "../api/labels.ts";
import { Requirement, type Requirements } from "../requirements/index.ts";
import type { PodPlan } from "./plan.ts";
import type { TopologyGroup, Topology } from "./topology.ts";

/**
 * `permanent`: the failure holds for every later pod of the plan. `pinned`: an earlier group of
 * the pod had pinned a domain before this one failed (a choice that may weigh the pod's size).
 */
/** The price a claim with these requirements could launch at, or undefined when no instance type is left. */
export interface Pricing {
  price(reqs: Requirements): number | undefined;
}

export type TopologyOutcome = { reqs: Requirements; pinned: boolean } | { fail: string; permanent: boolean; pinned: boolean };

/** Allowed domains of a group over the whole key universe, computed once per placement attempt. */
export class AllowedMemo {
  private readonly memo = new Map<TopologyGroup, { list: string[]; set: Set<string> }>();
  constructor(private readonly topology: Topology) {}

  universe(key: string): readonly string[] {
    return this.topology.domainUniverse(key);
  }

  get(g: TopologyGroup, self: boolean): { list: string[]; set: Set<string> } {
    let m = this.memo.get(g);
    if (!m) {
      const list = g.allowed(this.topology.domainUniverse(g.key), self);
      m = { list, set: new Set(list) };
      this.memo.set(g, m);
    }
    return m;
  }
}

function describeFailure(g: TopologyGroup): string {
  switch (g.kind) {
    case "spread":
      return `topology spread on ${g.key} (maxSkew ${g.maxSkew}) can't be met`;
    case "affinity":
      return `pod affinity on ${g.key}: no matching pod in a domain this node could be in`;
    case "anti-affinity":
      return `pod anti-affinity on ${g.key}: matching pods already in every domain this node could be in`;
    default:
      return `required anti-affinity of running or placed pods on ${g.key} excludes every domain this node could be in`;
  }
}

/**
 * `fixedDomain`: for existing nodes, the node's own domain per key. `pricing`: the price a claim
 * with these requirements could launch at, or undefined when no instance type is left. Among
 * domains the constraint likes equally (same spread count; any for affinity), the cheapest wins,
 * ties by name.
 */
export function applyTopology(
  plan: PodPlan,
  reqs: Requirements,
  memo: AllowedMemo,
  fixedDomain: ((key: string) => string | undefined) | undefined,
  pricing: Pricing,
): TopologyOutcome {
  let pinned = false;
  for (let i = 0; i < plan.topo.length; i++) {
    const g = plan.topo[i]!;
    const own = i < plan.ownCount;
    const self = own ? plan.selfSelects[i]! : false;
    const repels = g.kind === "anti-affinity" || g.kind === "inverse-anti-affinity";
    // A self-affine pod none of whose own domains holds a pod of its group yet may start one in
    // any of them, as the first pod of the group does (Karpenter: no compatible pod domain).
    const seed = self && g.kind === "affinity" && g.total > 0 && !g.anyCountedIn(plan.nodeReqs.get(g.key));
    let single: string | undefined;
    if (fixedDomain) single = fixedDomain(g.key);
    else single = reqs.get(g.key)?.singleValue();
    if (single !== undefined || fixedDomain || g.key === LABEL_HOSTNAME) {
      if (single === undefined) {
        if (repels) continue; // a node without the label shares no domain with anyone
        return { fail: `${describeFailure(g)} (node has no ${g.key} label)`, permanent: !!fixedDomain, pinned };
      }
      const ok = seed || (g.key === LABEL_HOSTNAME ? g.allowed([single], self).length > 0 : memo.get(g, self).set.has(single));
      if (!ok) {
        // Counts only grow: repelling constraints and hostname spreads never recover on this node.
        const permanent = repels || (g.kind === "spread" && g.key === LABEL_HOSTNAME);
        return { fail: describeFailure(g), permanent, pinned };
      }
      continue;
    }
    const cur = reqs.get(g.key);
    const allowed = (seed ? memo.universe(g.key) : memo.get(g, self).list).filter((d) => !cur || cur.has(d));
    if (allowed.length === 0) {
      // Only a key no node can have leaves the node without a domain, sharing none.
      if (repels && memo.universe(g.key).length === 0) continue;
      return { fail: describeFailure(g), permanent: false, pinned };
    }
    if (!own) {
      // Only keep away from the repelling domains; no need to choose one.
      const narrowed = reqs.with(Requirement.in(g.key, allowed));
      if (narrowed !== reqs) {
        reqs = narrowed;
        pinned = true;
      }
      continue;
    }
    let best: { reqs: Requirements; rank: number; price: number } | undefined;
    for (const d of allowed) {
      const rank = g.kind === "spread" ? g.count(d) : 0;
      if (best && rank > best.rank) break; // `allowed` comes in preference order
      const candidate = reqs.with(Requirement.single(g.key, d));
      const price = pricing.price(candidate);
      if (price === undefined) continue;
      if (!best || rank < best.rank || price < best.price) best = { reqs: candidate, rank, price };
    }
    if (!best) return { fail: `${describeFailure(g)}: no instance type offers an allowed ${g.key}`, permanent: false, pinned };
    reqs = best.reqs;
    pinned = true;
  }
  return { reqs, pinned };
}

/**
 * Pins a claim, for each non-hostname key a group counting this pod is about, to one domain, even
 * when the pod has no constraint of its own there. Otherwise the pod would sit on a claim that may
 * still launch in any zone, counted in none, and a spread or anti-affinity of other pods that
 * selects it would be judged on counts short of what the nodes end up holding. A spread group
 * prefers its least-filled domain; then the cheapest wins, ties by name. A key no instance type can
 * be pinned on is left open (the node won't carry that label, so the pod is in no domain).
 */
export function pinCountedDomains(
  reqs: Requirements,
  counting: readonly TopologyGroup[],
  memo: AllowedMemo,
  pricing: Pricing,
): Requirements {
  for (const g of counting) {
    if (g.key === LABEL_HOSTNAME) continue;
    const cur = reqs.get(g.key);
    if (cur?.singleValue() !== undefined) continue;
    let best: { reqs: Requirements; rank: number; price: number } | undefined;
    for (const d of memo.universe(g.key)) {
      if (cur && !cur.has(d)) continue;
      const rank = g.kind === "spread" ? g.count(d) : 0;
      if (best && rank > best.rank) continue;
      const candidate = reqs.with(Requirement.single(g.key, d));
      const price = pricing.price(candidate);
      if (price === undefined) continue;
      if (!best || rank < best.rank || price < best.price) best = { reqs: candidate, rank, price };
    }
    if (best) reqs = best.reqs;
  }
  return reqs;
}
