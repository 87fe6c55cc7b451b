/**
 * The baselines' simulated cluster: nodes of fixed node groups, pods wanted over time, a
 * kube-scheduler-like binder, the cloud's events, and the measurements a RunResult reports.
 * Event-driven on virtual time; no I/O, no clock.
 *
 * Physics shared with the Tenon runs (ReplayTiming): a launched node is Ready `nodeReadyMs` after
 * the launch; a pod bound to a Ready node runs `podStartMs` after the binding; a Spot node
 * terminates `spotNoticeMs` after its interruption notice.
 *
 * Binding: pending pods in the order they became pending, each onto the Ready node with the most
 * room left after it (kube-scheduler's default NodeResourcesFit LeastAllocated score over cpu and
 * memory; ties go to the older node), among the nodes whose group and zone the pod accepts and
 * whose free requests fit it.
 */
import { LABEL_CAPACITY_TYPE } from "../../api/labels.ts";
import { fitsIn, type Resources } from "../../quantity/resources.ts";
import type { CloudEvent, ReplayInput, RunDisruption, RunResult, RunSample } from "../types.ts";
import type { NodeGroup, PodInfo } from "./groups.ts";

export interface SimNode {
  id: number;
  name: string;
  group: NodeGroup;
  zone: string;
  price: number;
  launchedAt: number;
  ready: boolean;
  gone: boolean;
  /** An interruption notice was received: it terminates at the end of the notice. */
  noticed: boolean;
  pods: Set<SimPod>;
  /** Sum of the bound pods' requests. */
  used: Record<string, number>;
}

interface Episode {
  since: number;
  /** When it ended: the pod running, removed, or the trace's end. Open while undefined. */
  until: number | undefined;
}

export interface SimPod {
  info: PodInfo;
  wanted: boolean;
  node: SimNode | undefined;
  episode: Episode;
}

/** What drives the node groups: the static groups or Cluster Autoscaler. */
export interface Controller {
  /** At time 0, before anything else. */
  start(sim: Simulation): void;
  /** Every `scanEveryMs` when given, after binding. */
  scanEveryMs?: number;
  scan?(sim: Simulation, t: number): void;
  /** A node was lost to a Spot interruption: the Auto Scaling group replaces it. */
  nodeLost(sim: Simulation, node: SimNode, t: number): void;
}

interface Internal {
  at: number;
  seq: number;
  kind: "ready" | "terminate";
  node: SimNode;
  reason: string;
}

interface Block {
  until: number;
  zone?: string;
  instanceType?: string;
  capacityType?: string;
}

const HOUR_MS = 3_600_000;

export class Simulation {
  readonly endMs: number;
  readonly nodes: SimNode[] = [];
  private readonly pods = new Map<string, SimPod>();
  /** Pods wanted now. */
  private readonly wanted = new Set<SimPod>();
  private readonly episodes: Episode[] = [];
  private pending: SimPod[] = [];
  private internal: Internal[] = [];
  private seq = 0;
  private dirty = false;
  private readonly blocks: Block[] = [];
  private readonly disruptions: RunDisruption[] = [];
  private readonly samples: RunSample[] = [];
  private nodeCounter = 0;
  /** Groups where a pod found no room while none of the group's nodes was on its way. */
  readonly starved = new Set<number>();
  podsEvicted = 0;
  podsEvictedWithoutPlace = 0;
  nodesLaunched = 0;
  nodesRemoved = 0;
  private cost = 0;

  constructor(
    readonly input: ReplayInput,
    readonly groups: readonly NodeGroup[],
    private readonly infos: ReadonlyMap<string, PodInfo>,
  ) {
    this.endMs = input.hours * HOUR_MS;
  }

  /** Nodes alive (launched, not terminated), Ready or not. */
  alive(): SimNode[] {
    return this.nodes.filter((n) => !n.gone);
  }

  /** Wanted pods not bound to any node, in the order they became pending. */
  unbound(): SimPod[] {
    return this.pending;
  }

  /**
   * Launches a node of the group in `zones` (default: all the group's), choosing the zone with the
   * fewest nodes of the group (an Auto Scaling group balances its zones). Undefined when no zone
   * can launch (capacity error, outage).
   */
  launch(group: NodeGroup, t: number, options: { zones?: ReadonlySet<string>; readyNow?: boolean } = {}): SimNode | undefined {
    const counts = new Map<string, number>();
    for (const n of this.nodes) if (!n.gone && n.group === group) counts.set(n.zone, (counts.get(n.zone) ?? 0) + 1);
    let best: { zone: string; price: number } | undefined;
    for (const z of group.zones) {
      if (options.zones && !options.zones.has(z.zone)) continue;
      if (this.blocked(group, z.zone, t)) continue;
      if (!best || (counts.get(z.zone) ?? 0) < (counts.get(best.zone) ?? 0)) best = z;
    }
    if (!best) return undefined;
    const id = ++this.nodeCounter;
    const node: SimNode = {
      id,
      name: `${group.nodePool}-${group.instanceType}-${id}`,
      group,
      zone: best.zone,
      price: best.price,
      launchedAt: t,
      ready: false,
      gone: false,
      noticed: false,
      pods: new Set(),
      used: {},
    };
    this.nodes.push(node);
    this.nodesLaunched++;
    if (options.readyNow) {
      node.ready = true;
      this.dirty = true;
    } else {
      this.push({ at: t + this.input.timing.nodeReadyMs, kind: "ready", node, reason: "" });
    }
    return node;
  }

  /** Terminates the node now: its pods are evicted (pending again) and counted. */
  terminate(node: SimNode, t: number, reason: string): void {
    this.rehome(this.retire(node, t, reason), t);
  }

  /** A node lost to the cloud: the controller replaces it first, then its pods look for a place. */
  private lose(node: SimNode, t: number, reason: string, controller: Controller): void {
    const evicted = this.retire(node, t, reason);
    controller.nodeLost(this, node, t);
    this.rehome(evicted, t);
  }

  private retire(node: SimNode, t: number, reason: string): SimPod[] {
    if (node.gone) return [];
    node.gone = true;
    this.cost += (node.price * (t - node.launchedAt)) / HOUR_MS;
    this.nodesRemoved++;
    this.disruptions.push({ atMs: t, node: node.name, reason });
    const evicted = [...node.pods];
    node.pods.clear();
    node.used = {};
    return evicted;
  }

  private rehome(evicted: SimPod[], t: number): void {
    for (const p of evicted) this.evict(p, t);
    if (evicted.length === 0) return;
    // Pods evicted with nowhere to go: no room on a Ready node and none on a node still coming.
    this.bindPending(t);
    const free = this.freeOf(this.alive());
    for (const p of evicted) {
      if (!p.wanted || p.node) continue;
      if (!this.placeInto(p, free)) this.podsEvictedWithoutPlace++;
    }
  }

  /** Free requests per node (Ready or coming), for what-if placement. */
  freeOf(nodes: readonly SimNode[]): Map<SimNode, Record<string, number>> {
    const out = new Map<SimNode, Record<string, number>>();
    for (const n of nodes) {
      const free: Record<string, number> = { ...n.group.podAllocatable };
      for (const r in n.used) free[r] = (free[r] ?? 0) - n.used[r]!;
      out.set(n, free);
    }
    return out;
  }

  /** First fit of the pod into a what-if free map (excluding `except`); takes the room when it fits. */
  placeInto(p: SimPod, free: Map<SimNode, Record<string, number>>, except?: SimNode): SimNode | undefined {
    for (const [n, room] of free) {
      if (n === except || !accepts(p.info, n)) continue;
      if (!fitsIn(p.info.requests, room)) continue;
      for (const r in p.info.requests) room[r] = (room[r] ?? 0) - p.info.requests[r]!;
      return n;
    }
    return undefined;
  }

  /** Evicts a pod from its node: it is wanted again from now (or still, when it had not started). */
  private evict(p: SimPod, t: number): void {
    p.node = undefined;
    if (!p.wanted) return;
    this.podsEvicted++;
    if (p.episode.until !== undefined && p.episode.until > t) {
      p.episode.until = undefined; // it had not started: the same wait goes on
    } else {
      p.episode = { since: t, until: undefined };
      this.episodes.push(p.episode);
    }
    this.pending.push(p);
    this.dirty = true;
  }

  private push(e: Omit<Internal, "seq">): void {
    const item = { ...e, seq: this.seq++ };
    let i = this.internal.length;
    while (i > 0 && (this.internal[i - 1]!.at > item.at || (this.internal[i - 1]!.at === item.at && this.internal[i - 1]!.seq > item.seq))) i--;
    this.internal.splice(i, 0, item);
  }

  private blocked(group: NodeGroup, zone: string, t: number): boolean {
    return this.blocks.some(
      (b) =>
        t < b.until &&
        (b.zone === undefined || b.zone === zone) &&
        (b.instanceType === undefined || b.instanceType === group.instanceType) &&
        (b.capacityType === undefined || b.capacityType === group.capacityType),
    );
  }

  private add(info: PodInfo, t: number): void {
    if (this.pods.get(info.key)?.wanted) return;
    const episode: Episode = { since: t, until: undefined };
    this.episodes.push(episode);
    const p: SimPod = { info, wanted: true, node: undefined, episode };
    this.pods.set(info.key, p);
    this.wanted.add(p);
    this.pending.push(p);
    this.dirty = true;
  }

  private remove(key: string, t: number): void {
    const p = this.pods.get(key);
    if (!p || !p.wanted) return;
    p.wanted = false;
    this.wanted.delete(p);
    if (p.episode.until === undefined || p.episode.until > t) p.episode.until = t;
    if (p.node) {
      const n = p.node;
      n.pods.delete(p);
      for (const r in p.info.requests) n.used[r] = (n.used[r] ?? 0) - p.info.requests[r]!;
      p.node = undefined;
      this.dirty = true;
    } else {
      this.pending = this.pending.filter((x) => x !== p);
    }
  }

  /** Binds what can be bound now (kube-scheduler). */
  bindPending(t: number): void {
    if (!this.dirty) return;
    this.dirty = false;
    const ready = this.nodes.filter((n) => n.ready && !n.gone);
    const failed = new Set<string>();
    const left: SimPod[] = [];
    for (const p of this.pending) {
      if (failed.has(p.info.shape)) {
        left.push(p);
        continue;
      }
      const node = this.bestNode(p, ready);
      if (!node) {
        failed.add(p.info.shape);
        left.push(p);
        const home = p.info.home;
        if (home !== undefined && !this.nodes.some((n) => !n.gone && !n.ready && n.group.index === home)) this.starved.add(home);
        continue;
      }
      this.bind(p, node, t);
    }
    this.pending = left;
  }

  private bestNode(p: SimPod, ready: readonly SimNode[]): SimNode | undefined {
    let best: SimNode | undefined;
    let bestScore = -Infinity;
    const req = p.info.requests;
    for (const n of ready) {
      if (!accepts(p.info, n)) continue;
      const alloc = n.group.podAllocatable;
      let fits = true;
      for (const r in req) {
        if ((req[r] ?? 0) > 0 && (n.used[r] ?? 0) + req[r]! > (alloc[r] ?? 0)) {
          fits = false;
          break;
        }
      }
      if (!fits) continue;
      const score = leastAllocated(n, req);
      if (score > bestScore) {
        best = n;
        bestScore = score;
      }
    }
    return best;
  }

  private bind(p: SimPod, node: SimNode, t: number): void {
    p.node = node;
    node.pods.add(p);
    for (const r in p.info.requests) node.used[r] = (node.used[r] ?? 0) + p.info.requests[r]!;
    p.episode.until = t + this.input.timing.podStartMs;
  }

  private cloudEvent(ev: CloudEvent, t: number, controller: Controller): void {
    const d = ev.detail;
    const str = (k: string): string | undefined => (d[k] === undefined ? undefined : String(d[k]));
    const untilOf = (): number => (d.durationMs !== undefined ? t + Number(d.durationMs) : d.untilMs !== undefined ? Number(d.untilMs) : Infinity);
    if (ev.kind === "spot-interruption") {
      const matching = this.alive().filter(
        (n) =>
          n.group.capacityType === "spot" &&
          !n.noticed &&
          (str("nodePool") === undefined || n.group.nodePool === str("nodePool")) &&
          (str("instanceType") === undefined || n.group.instanceType === str("instanceType")) &&
          (str("zone") === undefined || n.zone === str("zone")),
      );
      const count = d.count !== undefined ? Number(d.count) : d.share !== undefined ? Math.ceil(Number(d.share) * matching.length) : 1;
      for (const n of matching.slice(0, Math.max(0, count))) {
        n.noticed = true;
        this.push({ at: t + this.input.timing.spotNoticeMs, kind: "terminate", node: n, reason: "Interrupted" });
      }
    } else if (ev.kind === "zone-outage") {
      // Launches in the zone fail until it ends; running nodes stay (as in the Tenon runs).
      const zone = str("zone");
      if (zone !== undefined) this.blocks.push({ until: untilOf(), zone });
    } else if (ev.kind === "capacity-error") {
      const zone = str("zone");
      const instanceType = str("instanceType");
      const capacityType = str("capacityType") ?? str(LABEL_CAPACITY_TYPE);
      this.blocks.push({
        until: untilOf(),
        ...(zone !== undefined ? { zone } : {}),
        ...(instanceType !== undefined ? { instanceType } : {}),
        ...(capacityType !== undefined ? { capacityType } : {}),
      });
    }
    // ami-release and nodepool-change: node groups do not roll their nodes on their own.
  }

  private sample(t: number): void {
    let onDemand = 0;
    let spot = 0;
    let costPerHour = 0;
    const requested = { cpuMillis: 0, memoryBytes: 0 };
    const allocatable = { cpuMillis: 0, memoryBytes: 0 };
    for (const n of this.nodes) {
      if (n.gone) continue;
      if (n.group.capacityType === "spot") spot++;
      else onDemand++;
      costPerHour += n.price;
      allocatable.cpuMillis += n.group.allocatable.cpu ?? 0;
      allocatable.memoryBytes += n.group.allocatable.memory ?? 0;
      for (const p of n.pods) {
        requested.cpuMillis += p.info.requests.cpu ?? 0;
        requested.memoryBytes += p.info.requests.memory ?? 0;
      }
    }
    let pendingPods = 0;
    for (const p of this.wanted) if (p.episode.until === undefined || p.episode.until > t) pendingPods++;
    this.samples.push({ atMs: t, nodes: { onDemand, spot }, costPerHour: round(costPerHour, 6), pendingPods, requested, allocatable });
  }

  /** Runs the trace to its end and measures it. */
  run(controller: Controller, name: string, label: string): RunResult {
    const demand = this.input.demand;
    const events = [...this.input.events].sort((a, b) => a.atMs - b.atMs);
    let di = 0;
    let ei = 0;
    let nextScan = controller.scan ? 0 : Infinity;
    let nextSample = 0;
    const sampleEvery = this.input.timing.sampleEveryMs;
    controller.start(this);
    for (;;) {
      const t = Math.min(
        di < demand.length ? demand[di]!.atMs : Infinity,
        ei < events.length ? events[ei]!.atMs : Infinity,
        this.internal.length ? this.internal[0]!.at : Infinity,
        nextScan,
        nextSample,
      );
      if (!(t < this.endMs)) break;
      while (di < demand.length && demand[di]!.atMs === t) {
        const ev = demand[di++]!;
        const key = `${ev.pod.metadata.namespace ?? "default"}/${ev.pod.metadata.name}`;
        if (ev.kind === "add") this.add(this.infos.get(key)!, t);
        else this.remove(key, t);
      }
      while (ei < events.length && events[ei]!.atMs === t) this.cloudEvent(events[ei++]!, t, controller);
      while (this.internal.length && this.internal[0]!.at === t) {
        const e = this.internal.shift()!;
        if (e.node.gone) continue;
        if (e.kind === "ready") {
          e.node.ready = true;
          this.dirty = true;
        } else {
          this.lose(e.node, t, e.reason, controller);
        }
      }
      this.bindPending(t);
      if (t === nextScan) {
        controller.scan!(this, t);
        this.bindPending(t);
        nextScan += controller.scanEveryMs!;
      }
      if (t === nextSample) {
        this.sample(t);
        nextSample += sampleEvery;
      }
    }
    for (const n of this.nodes) if (!n.gone) this.cost += (n.price * (this.endMs - n.launchedAt)) / HOUR_MS;
    const podPendingSeconds = this.episodes.map((e) => (Math.min(e.until ?? this.endMs, this.endMs) - e.since) / 1000);
    return {
      name,
      label,
      samples: this.samples,
      disruptions: this.disruptions,
      podPendingSeconds,
      podsEvicted: this.podsEvicted,
      podsEvictedWithoutPlace: this.podsEvictedWithoutPlace,
      nodesLaunched: this.nodesLaunched,
      nodesRemoved: this.nodesRemoved,
      totalCost: this.cost,
    };
  }
}

/** Whether the pod may run on this node: its group and zone (taints, selector, affinity, size). */
export function accepts(info: PodInfo, node: SimNode): boolean {
  return info.places.get(node.group.index)?.has(node.zone) ?? false;
}

/** kube-scheduler's LeastAllocated score: the mean share of cpu and memory left after binding. */
function leastAllocated(n: SimNode, req: Resources): number {
  let score = 0;
  for (const r of ["cpu", "memory"]) {
    const alloc = n.group.podAllocatable[r] ?? 0;
    if (alloc <= 0) continue;
    score += (alloc - (n.used[r] ?? 0) - (req[r] ?? 0)) / alloc;
  }
  return score / 2;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
