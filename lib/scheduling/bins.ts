/**
 * Bins pods are placed into: existing capacity (Nodes and in-flight NodeClaims) and claims being
 * built in this run. Each knows its requirements, taints, host ports and room left.
 */
import { LABEL_CAPACITY_TYPE, LABEL_HOSTNAME, LABEL_ZONE, normalizeLabelKey } from "../api/labels.ts";
import type { Taint } from "../api/types.ts";
import type { Pod } from "../api/kubernetes.ts";
import type { Resources } from "../quantity/resources.ts";
import { Requirement, Requirements, type AllowUndefined } from "../requirements/index.ts";
import { HostPortUsage, type HostPort } from "./host-ports.ts";
import { fits, sortByPrice, truncateTypes, typeCompatible, type PreparedType } from "./instance-types.ts";
import type { NodePoolTemplate } from "./templates.ts";
import { domainOfLabels } from "./topology.ts";
import type { ExistingNode } from "./types.ts";

export class ExistingBin {
  readonly kind = "existing" as const;
  /** Labels as requirements; an in-flight NodeClaim's narrow as pods are placed on it. */
  reqs: Requirements;
  readonly inFlight: boolean;
  readonly taints: readonly Taint[];
  readonly ports = new HostPortUsage();
  readonly pods: Pod[] = [];
  /** Room left: allocatable minus bound pods (and owed DaemonSet pods) minus placed pods. */
  readonly free: Record<string, number>;
  readonly allowUndefined: AllowUndefined | undefined = undefined;
  /** No pending pod can fit any more. */
  closed = false;

  constructor(
    readonly index: number,
    readonly node: ExistingNode,
    used: Resources,
  ) {
    const hostname = node.labels[LABEL_HOSTNAME] ?? node.name;
    let reqs = Requirements.fromLabels(node.labels).with(Requirement.single(LABEL_HOSTNAME, hostname));
    // A NodeClaim still in flight may not have decided zone or type yet: its requirements say what it can become.
    this.inFlight = !!node.nodeClaim && !node.node;
    if (this.inFlight) reqs = reqs.intersect(Requirements.fromNodeSelector(node.nodeClaim!.spec.requirements, normalizeLabelKey));
    this.reqs = reqs;
    this.taints = node.taints;
    const free: Record<string, number> = { ...node.allocatable };
    // A node that doesn't report a pod capacity (an in-flight claim) is not limited by it here.
    if (free.pods === undefined) free.pods = Infinity;
    for (const name in used) free[name] = (free[name] ?? 0) - used[name]!;
    this.free = free;
  }

  get name(): string {
    return this.node.name;
  }

  domain(key: string): string | undefined {
    return domainOfLabels(this.node.labels, key, this.node.name) ?? this.reqs.get(key)?.singleValue();
  }

  fitsRequests(requests: Resources): boolean {
    return fits(requests, this.free);
  }

  add(pod: Pod, requests: Resources, ports: readonly HostPort[], podReqs: Requirements): void {
    this.pods.push(pod);
    if (this.inFlight) this.reqs = this.reqs.intersect(podReqs);
    for (const name in requests) this.free[name] = (this.free[name] ?? 0) - requests[name]!;
    this.ports.add(ports);
  }

  /** Closes the bin when even the smallest pending pod no longer fits. */
  closeIfFull(smallest: Readonly<Record<string, number>>): boolean {
    if (!this.closed && !fits(smallest, this.free)) this.closed = true;
    return this.closed;
  }
}

/** A new NodeClaim being built: its requirements narrow and its instance types shrink as pods join. */
export class ClaimBin {
  readonly kind = "claim" as const;
  readonly taints: readonly Taint[];
  readonly ports = new HostPortUsage();
  readonly pods: Pod[] = [];
  /** Each pod's requests and host ports, parallel to `pods` (for repacking). */
  readonly podRequests: Resources[] = [];
  readonly podPorts: Array<readonly HostPort[]> = [];
  /** Sum of the pods' requests. */
  readonly requests: Record<string, number> = {};
  reqs: Requirements;
  /** Instance types that fit every pod here plus DaemonSet overhead, cheapest first. */
  types: PreparedType[];
  /** Each type's cheapest price under `reqs` (its zone and capacity-type requirements), parallel to `types`. */
  prices: number[];
  /** Per resource: the most any remaining type could still take (largest allocatable - used). */
  headroom: Record<string, number> = {};
  /** Component-wise smallest and largest allocatable of `types` (recomputed when `types` changes). */
  private smallest: Record<string, number> = {};
  private largest: Record<string, number> = {};
  private boundsOf: PreparedType[] | undefined;
  /** Component-wise largest capacity among the options kept: what NodePool limits reserve. */
  reserved: Record<string, number> = {};
  readonly allowUndefined: AllowUndefined;
  /** No pending pod can fit any more. */
  closed = false;

  constructor(
    readonly index: number,
    readonly template: NodePoolTemplate,
    readonly hostname: string,
    reqs: Requirements,
    types: PreparedType[],
    prices: number[],
  ) {
    this.taints = template.taints;
    this.reqs = reqs;
    this.types = types;
    this.prices = prices;
    this.allowUndefined = template.allowUndefined;
    this.ports.add(template.daemonPorts);
    this.refreshHeadroom();
  }

  domain(key: string): string | undefined {
    return this.reqs.get(key)?.singleValue();
  }

  /** The pods' requests plus `extra` (DaemonSet overhead is off each type's allocatable already). */
  need(extra: Resources): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name in this.requests) out[name] = (out[name] ?? 0) + this.requests[name]!;
    for (const name in extra) out[name] = (out[name] ?? 0) + extra[name]!;
    return out;
  }

  /** Quick rejection: some resource exceeds what even the largest remaining type could take. */
  exceedsHeadroom(requests: Resources): boolean {
    for (const name in requests) {
      const wanted = requests[name]!;
      if (wanted > 0 && wanted > (this.headroom[name] ?? 0)) return true;
    }
    return false;
  }

  /**
   * The types left if the claim had requirements `reqs` and needed `need`, cheapest first, or
   * undefined when none are.
   */
  typesFor(reqs: Requirements, need: Resources, ports?: readonly HostPort[]): { types: PreparedType[]; prices: number[] } | undefined {
    const changed = reqs !== this.reqs;
    // Only some types run a DaemonSet binding host ports: a pod binding ports keeps the others.
    const portCheck = ports !== undefined && ports.length > 0 && this.template.daemonPortsVary;
    // Fast path: when even the smallest type takes `need`, every type does.
    if (!changed && !portCheck && fits(need, this.smallest) && this.boundsOf === this.types) return { types: this.types, prices: this.prices };
    const out: PreparedType[] = [];
    // A type's price depends on the zone and capacity-type requirements alone: while those are
    // the same objects, each kept type keeps its price.
    const repriced = changed && (reqs.get(LABEL_ZONE) !== this.reqs.get(LABEL_ZONE) || reqs.get(LABEL_CAPACITY_TYPE) !== this.reqs.get(LABEL_CAPACITY_TYPE));
    const prices: number[] = [];
    const types = this.types;
    for (let i = 0; i < types.length; i++) {
      const t = types[i]!;
      if (!fits(need, t.allocatable)) continue;
      if (changed && !typeCompatible(t, reqs)) continue;
      if (portCheck && daemonPortClash(t, ports)) continue;
      out.push(t);
      if (!repriced) prices.push(this.prices[i]!);
    }
    if (out.length === 0) return undefined;
    if (repriced) return sortByPrice(out, reqs);
    if (!changed && out.length === this.types.length) return { types: this.types, prices: this.prices };
    return { types: out, prices };
  }

  add(pod: Pod, requests: Resources, ports: readonly HostPort[], reqs: Requirements, types: { types: PreparedType[]; prices: number[] }): void {
    this.pods.push(pod);
    this.podRequests.push(requests);
    this.podPorts.push(ports);
    for (const name in requests) this.requests[name] = (this.requests[name] ?? 0) + requests[name]!;
    this.ports.add(ports);
    this.reqs = reqs;
    this.types = types.types;
    this.prices = types.prices;
    this.refreshHeadroom();
  }

  /** Closes the claim when even the smallest pending pod exceeds its headroom. */
  closeIfFull(smallest: Readonly<Record<string, number>>): boolean {
    if (!this.closed && this.exceedsHeadroom(smallest)) this.closed = true;
    return this.closed;
  }

  /** The cheapest price the claim can launch at now. */
  get price(): number {
    return this.prices[0] ?? Infinity;
  }

  private refreshHeadroom(): void {
    if (this.boundsOf !== this.types) {
      const bounds = typeBounds(this.types);
      this.largest = bounds.largest;
      this.smallest = bounds.smallest;
      this.boundsOf = this.types;
    }
    const headroom: Record<string, number> = { ...this.largest };
    for (const name in this.requests) headroom[name] = (headroom[name] ?? 0) - this.requests[name]!;
    this.headroom = headroom;
  }

  /** Recomputes what limits reserve, over the first `max` options. */
  refreshReserved(max: number): void {
    const r: Record<string, number> = { nodes: 1 };
    for (const t of truncateTypes(this.types, this.reqs, max)) {
      const cap = t.capacity;
      for (const name in cap) if ((r[name] ?? 0) < cap[name]!) r[name] = cap[name]!;
    }
    this.reserved = r;
  }
}

export type Bin = ExistingBin | ClaimBin;

interface TypeBounds {
  readonly largest: Record<string, number>;
  readonly smallest: Record<string, number>;
}

/** Bounds by type list: claims opened alike share one list (placement.ts), and lists never change. */
const boundsOf = new WeakMap<readonly PreparedType[], TypeBounds>();

/** Component-wise largest and smallest allocatable of `types`; a resource some type lacks counts as zero. */
function typeBounds(types: readonly PreparedType[]): TypeBounds {
  const known = boundsOf.get(types);
  if (known) return known;
  const largest: Record<string, number> = {};
  const smallest: Record<string, number> = {};
  const count: Record<string, number> = {};
  for (let i = 0; i < types.length; i++) {
    const a = types[i]!.allocatable;
    for (const name in a) {
      const v = a[name]!;
      const c = count[name];
      if (c === undefined) {
        count[name] = 1;
        largest[name] = v;
        smallest[name] = v;
      } else {
        count[name] = c + 1;
        if (v > largest[name]!) largest[name] = v;
        if (v < smallest[name]!) smallest[name] = v;
      }
    }
  }
  for (const name in count) {
    if (largest[name]! < 0) largest[name] = 0;
    if (count[name]! < types.length && smallest[name]! > 0) smallest[name] = 0;
  }
  const bounds = { largest, smallest };
  boundsOf.set(types, bounds);
  return bounds;
}

/** Whether a DaemonSet running on this type binds one of `ports`. */
export function daemonPortClash(t: PreparedType, ports: readonly HostPort[]): boolean {
  if (t.daemonPorts.length === 0) return false;
  const usage = new HostPortUsage();
  usage.add(t.daemonPorts);
  return usage.conflict(ports) !== undefined;
}
