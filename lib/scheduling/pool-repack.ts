/**
 * Pooled repacking of free pods. First fit in size order leaves cost behind in three places: a
 * claim fills until the largest type is full, whatever its cpu:memory mix (a claim of cpu-heavy
 * pods on a type with memory to spare, a claim of memory-heavy pods on a memory-optimised one);
 * the last claims hold the smallest pods and are half empty; and each claim's pods are only ever
 * packed among themselves.
 *
 * Free pods are pods nothing ties to the node they are on: no node selector or affinity, no pod
 * affinity, anti-affinity or topology spread of their own, no other pod's term that selects them,
 * no host ports, and no volumes other than configuration and scratch. Where they land changes
 * nothing for any other pod, so per NodePool (without limits) their claims' free pods are pooled and
 * packed afresh: node by node, each node on the type that covers what is left most cheaply per unit,
 * filled alternately with the most cpu-heavy and the most memory-heavy pods left so that both run
 * out together, then launched on the cheapest type that holds what it got. The claims the free pods
 * came from keep their other pods, on the cheapest type that still holds those. The new packing
 * replaces the old only when it costs less in total.
 */
import { LABEL_HOSTNAME } from "../api/labels.ts";
import type { Pod } from "../api/kubernetes.ts";
import type { Resources } from "../quantity/resources.ts";
import { Requirement, type Requirements } from "../requirements/index.ts";
import { ClaimBin, daemonPortClash } from "./bins.ts";
import type { RunContext } from "./context.ts";
import type { HostPort } from "./host-ports.ts";
import { fits, unmetMinValues, type PreparedType, type PricedTypes } from "./instance-types.ts";
import type { NodePoolTemplate } from "./templates.ts";

const EPSILON = 1e-9;
/** How far in from each end of the ratio order a node's last pods are looked for. */
const SCAN = 64;
/** Volume sources that tie a pod to no node (configuration and scratch space). */
const NODE_FREE_VOLUMES = new Set(["name", "configMap", "secret", "emptyDir", "projected", "downwardAPI"]);

/** Whether nothing ties the pod to its node, and its node to no other pod (see the file comment). */
export function isFreePod(ctx: RunContext, pod: Pod, ports: readonly HostPort[]): boolean {
  const spec = pod.spec;
  if (ports.length > 0) return false;
  if (spec.topologySpreadConstraints?.length) return false;
  if (spec.affinity?.nodeAffinity || spec.affinity?.podAffinity || spec.affinity?.podAntiAffinity) return false;
  if (spec.nodeSelector && Object.keys(spec.nodeSelector).length > 0) return false;
  if ((spec.volumes ?? []).some((v) => Object.keys(v).some((k) => !NODE_FREE_VOLUMES.has(k)))) return false;
  if (spec.resourceClaims?.length) return false;
  return ctx.topology.countingGroupsFor(pod).length === 0 && ctx.topology.inverseFor(pod).length === 0;
}

interface Item {
  pod: Pod;
  req: Resources;
}

interface Node {
  load: Record<string, number>;
  items: Item[];
}

/** A packed node with the types that hold it. */
interface Placed extends Node {
  types: { types: PreparedType[]; prices: number[] };
}

/** A claim's pods split into free ones and the rest, and what the rest would cost alone. */
interface Source {
  claim: ClaimBin;
  free: Item[];
  kept: Array<{ pod: Pod; req: Resources; ports: readonly HostPort[] }>;
  /** What the claim costs with the kept pods alone (0 when none are kept). */
  keptPrice: number;
}

/** Free pods of each NodePool without limits, packed afresh when that costs less (see the file comment). */
export function repackFreePods(ctx: RunContext): void {
  for (const template of ctx.templates) {
    if (template.limits) continue;
    const claims = ctx.claims.filter((c) => c.template === template && c.pods.length > 0);
    if (claims.length === 0) continue;
    const sources = freeSources(ctx, template, claims);
    if (sources.length === 0) continue;
    // Pool the free pods of every claim that has some, or only of the claims that hold nothing else.
    const options = [sources, sources.filter((s) => s.kept.length === 0)];
    let best: { cost: number; sources: Source[]; nodes: Placed[] } | undefined;
    for (const option of options) {
      if (option.length === 0 || (best && option.length === best.sources.length)) continue;
      const items = option.flatMap((s) => s.free);
      if (items.length < 2) continue;
      const before = option.reduce((sum, s) => sum + s.claim.price, 0);
      const kept = option.reduce((sum, s) => sum + s.keptPrice, 0);
      const compat = template.catalog.compatible(template.reqs);
      const packed = packBalanced(items, compat);
      if (!packed) continue;
      const nodes: Placed[] = [];
      for (const n of packed) {
        const types = typesFitting(ctx, template.reqs, n.load, [], template, compat);
        if (!types) break;
        nodes.push({ ...n, types });
      }
      if (nodes.length < packed.length) continue;
      const cost = kept + nodes.reduce((sum, n) => sum + n.types.prices[0]!, 0);
      if (cost < before - EPSILON && (!best || cost < best.cost - EPSILON)) best = { cost, sources: option, nodes };
    }
    if (best) apply(ctx, template, best.sources, best.nodes);
  }
}

function freeSources(ctx: RunContext, template: NodePoolTemplate, claims: readonly ClaimBin[]): Source[] {
  const out: Source[] = [];
  const base = template.reqs.signature(LABEL_HOSTNAME);
  for (const claim of claims) {
    const free: Item[] = [];
    const kept: Source["kept"] = [];
    claim.pods.forEach((pod, i) => {
      const req = claim.podRequests[i]!;
      const ports = claim.podPorts[i]!;
      if (isFreePod(ctx, pod, ports)) free.push({ pod, req });
      else kept.push({ pod, req, ports });
    });
    if (free.length === 0) continue;
    if (kept.length === 0) {
      // A claim of free pods only has the NodePool's requirements: anything else was a choice of its own.
      if (claim.reqs.signature(LABEL_HOSTNAME) !== base) continue;
      out.push({ claim, free, kept, keptPrice: 0 });
      continue;
    }
    const load = sumRequests(kept.map((p) => p.req));
    const ports = kept.flatMap((p) => p.ports);
    const compat = template.catalog.compatible(claim.reqs);
    // Only minValues needs every type that holds them; otherwise the cheapest one prices the claim.
    const keptPrice = claim.reqs.withMinValues().length > 0 ? typesFitting(ctx, claim.reqs, load, ports, template, compat)?.prices[0] : cheapestHolding(load, ports, template, compat);
    if (keptPrice !== undefined) out.push({ claim, free, kept, keptPrice });
  }
  return out;
}

function sumRequests(requests: readonly Resources[]): Record<string, number> {
  const load: Record<string, number> = {};
  for (const req of requests) for (const name in req) load[name] = (load[name] ?? 0) + req[name]!;
  return load;
}

/** Whether a type can hold `load` with these host ports (DaemonSets on some types bind ports). */
function holds(t: PreparedType, load: Resources, ports: readonly HostPort[], template: NodePoolTemplate): boolean {
  return fits(load, t.allocatable) && !(ports.length > 0 && template.daemonPortsVary && daemonPortClash(t, ports));
}

/** The price of the cheapest type that holds `load`, or undefined when none does. */
function cheapestHolding(load: Resources, ports: readonly HostPort[], template: NodePoolTemplate, compat: PricedTypes): number | undefined {
  for (let i = 0; i < compat.types.length; i++) if (holds(compat.types[i]!, load, ports, template)) return compat.prices[i]!;
  return undefined;
}

/** The types that hold `load`, cheapest first; undefined when none do or minValues can't be met. */
function typesFitting(
  ctx: RunContext,
  reqs: Requirements,
  load: Resources,
  ports: readonly HostPort[],
  template: NodePoolTemplate,
  compat: PricedTypes,
): { types: PreparedType[]; prices: number[] } | undefined {
  const types: PreparedType[] = [];
  const prices: number[] = [];
  for (let i = 0; i < compat.types.length; i++) {
    if (!holds(compat.types[i]!, load, ports, template)) continue;
    types.push(compat.types[i]!);
    prices.push(compat.prices[i]!);
  }
  if (types.length === 0) return undefined;
  if (ctx.minValuesStrict && unmetMinValues(types, reqs)) return undefined;
  return { types, prices };
}

function memoryPerCpu(req: Resources): number {
  const cpu = req.cpu ?? 0;
  const memory = req.memory ?? 0;
  return cpu > 0 ? memory / cpu : memory > 0 ? Infinity : 0;
}

/**
 * Packs the items node by node (see the file comment); undefined when some item fits no type.
 * Items are ordered by memory per cpu; a node takes from the cpu-heavy end while its memory is the
 * fuller share of its type's and from the memory-heavy end otherwise, and when neither end fits,
 * the first item that does within a few of either end.
 */
function packBalanced(items: readonly Item[], compat: PricedTypes): Node[] | undefined {
  const order = items.map((item, i) => ({ item, i, ratio: memoryPerCpu(item.req) }));
  order.sort((a, b) => a.ratio - b.ratio || a.i - b.i);
  const sorted = order.map((o) => o.item);
  const taken = new Uint8Array(sorted.length);
  const remaining: Record<string, number> = {};
  const largest: Record<string, number> = {};
  for (const { req } of sorted) {
    for (const name in req) {
      remaining[name] = (remaining[name] ?? 0) + req[name]!;
      largest[name] = Math.max(largest[name] ?? 0, req[name]!);
    }
  }
  const average: Record<string, number> = {};
  for (const name in remaining) average[name] = remaining[name]! / sorted.length;
  // Types that hold any one item: every node can then take at least one.
  const candidates: Array<{ t: PreparedType; price: number }> = [];
  for (let i = 0; i < compat.types.length; i++) if (fits(largest, compat.types[i]!.allocatable)) candidates.push({ t: compat.types[i]!, price: compat.prices[i]! });
  if (candidates.length === 0) return undefined;
  const nodes: Node[] = [];
  let left = sorted.length;
  let lo = 0;
  let hi = sorted.length - 1;
  while (left > 0) {
    const type = bestPerUnit(candidates, remaining, average);
    const cap = type.allocatable;
    const node: Node = { load: {}, items: [] };
    const take = (k: number): boolean => {
      const req = sorted[k]!.req;
      for (const name in req) if (req[name]! > 0 && (node.load[name] ?? 0) + req[name]! > (cap[name] ?? 0)) return false;
      taken[k] = 1;
      left--;
      node.items.push(sorted[k]!);
      for (const name in req) {
        node.load[name] = (node.load[name] ?? 0) + req[name]!;
        remaining[name]! -= req[name]!;
      }
      return true;
    };
    while (left > 0) {
      while (taken[lo]) lo++;
      while (taken[hi]) hi--;
      const cpuShare = (node.load.cpu ?? 0) / (cap.cpu || 1);
      const memoryShare = (node.load.memory ?? 0) / (cap.memory || 1);
      const ends = memoryShare < cpuShare ? [hi, lo] : [lo, hi];
      if (take(ends[0]!) || take(ends[1]!)) continue;
      let found = false;
      for (let k = lo + 1, seen = 0; k < hi && seen < SCAN && !found; k++) if (!taken[k] && (seen++, take(k))) found = true;
      for (let k = hi - 1, seen = 0; k > lo && seen < SCAN && !found; k--) if (!taken[k] && (seen++, take(k))) found = true;
      if (!found) break;
    }
    if (node.items.length === 0) return undefined;
    nodes.push(node);
  }
  return nodes;
}

/**
 * The type that covers `remaining` most cheaply on fractional nodes, each node's room taken as its
 * allocatable less half an average item (what the last item left out wastes, on average).
 */
function bestPerUnit(candidates: ReadonlyArray<{ t: PreparedType; price: number }>, remaining: Resources, average: Resources): PreparedType {
  let best = candidates[0]!.t;
  let bestCost = Infinity;
  for (const { t, price } of candidates) {
    let nodes = 0;
    for (const name in remaining) {
      const want = remaining[name]!;
      if (want <= 0) continue;
      const room = (t.allocatable[name] ?? 0) - (average[name] ?? 0) / 2;
      nodes = room > 0 ? Math.max(nodes, want / room) : Infinity;
      if (nodes === Infinity) break;
    }
    const cost = nodes * price;
    if (cost < bestCost - EPSILON) {
      bestCost = cost;
      best = t;
    }
  }
  return best;
}

function apply(ctx: RunContext, template: NodePoolTemplate, sources: readonly Source[], nodes: readonly Placed[]): void {
  const bySource = new Map(sources.map((s) => [s.claim, s]));
  const fresh: ClaimBin[] = [];
  const index = sources[0]!.claim.index;
  for (const node of nodes) {
    const hostname = `hostname-placeholder-${ctx.nextHostname++}`;
    const reqs: Requirements = template.reqs.with(Requirement.single(LABEL_HOSTNAME, hostname));
    const claim = new ClaimBin(index, template, hostname, reqs, [], []);
    for (const item of node.items) claim.add(item.pod, item.req, [], reqs, node.types);
    fresh.push(claim);
  }
  // A claim that keeps other pods stays where it was, without its free pods; the new claims take
  // the place of the first claim they took pods from.
  const out: ClaimBin[] = [];
  for (const c of ctx.claims) {
    const s = bySource.get(c);
    if (!s) {
      out.push(c);
      continue;
    }
    if (fresh.length) out.push(...fresh.splice(0));
    if (s.kept.length === 0) continue;
    // Found to exist when the claim was priced: some type holds the kept pods and meets minValues.
    const types = typesFitting(ctx, c.reqs, sumRequests(s.kept.map((p) => p.req)), s.kept.flatMap((p) => p.ports), template, template.catalog.compatible(c.reqs))!;
    const kept = new ClaimBin(c.index, template, c.hostname, c.reqs, [], []);
    for (const p of s.kept) kept.add(p.pod, p.req, p.ports as HostPort[], c.reqs, types);
    out.push(kept);
  }
  ctx.claims.length = 0;
  ctx.claims.push(...out);
}
