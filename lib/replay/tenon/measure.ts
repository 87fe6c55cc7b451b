/**
 * What a Tenon run measures, fed by the driver (run.ts) as things happen: instances launched and
 * terminated (with the reason Tenon gave), each wanted pod's waits, evictions and whether the
 * evicted pod had somewhere to go, and a sample every `sampleEveryMs`. Turned into a RunResult.
 */
import type { Pod } from "../../api/kubernetes.ts";
import { podRequests } from "../../scheduling/pod-requests.ts";
import type { InstanceType } from "../../ports/instance-type.ts";
import type { Resources } from "../../quantity/resources.ts";
import type { ReplayInput, RunDisruption, RunResult, RunSample } from "../types.ts";

/** How long after an eviction it is judged whether the pod had somewhere to go. */
export const EVICTION_SETTLE_MS = 10_000;

export interface InstanceRecord {
  id: string;
  type: string;
  zone: string;
  capacityType: string;
  price: number;
  launchedAt: number;
  terminatedAt?: number;
  /** The node has registered (its Node exists). */
  joined: boolean;
  ready: boolean;
}

export interface WantedPod {
  pod: Pod;
  requests: Resources;
  /** Since when it has been waiting (its add, or its eviction). */
  since: number;
  /** When it was bound to a node, if it is. */
  boundAt?: number;
  node?: string;
}

/** USD/hour of an offering in the run's catalog; an offering not listed is priced as its type's cheapest. */
export function priceTable(types: readonly InstanceType[]): (type: string, zone: string, capacityType: string) => number {
  const exact = new Map<string, number>();
  const byType = new Map<string, number>();
  for (const t of types) {
    for (const o of t.offerings) {
      exact.set(`${t.name}/${o.zone}/${o.capacityType}`, o.price);
      byType.set(t.name, Math.min(byType.get(t.name) ?? Infinity, o.price));
    }
  }
  return (type, zone, capacityType) => exact.get(`${type}/${zone}/${capacityType}`) ?? byType.get(type) ?? 0;
}

export class RunMeasure {
  readonly instances = new Map<string, InstanceRecord>();
  readonly wanted = new Map<string, WantedPod>();
  readonly reasons = new Map<string, string>();
  readonly pendingSeconds: number[] = [];
  readonly disruptions: RunDisruption[] = [];
  readonly samples: RunSample[] = [];
  evicted = 0;
  evictedWithoutPlace = 0;
  private readonly unsettled: Array<{ key: string; at: number; requests: Resources; node: string | undefined }> = [];
  private readonly allocatable = new Map<string, Resources>();
  private readonly price: ReturnType<typeof priceTable>;

  constructor(private readonly input: ReplayInput, private readonly startMs: number) {
    this.price = priceTable(input.instanceTypes);
    for (const t of input.instanceTypes) this.allocatable.set(t.name, t.allocatable);
  }

  launched(id: string, type: string, zone: string, capacityType: string, at: number): void {
    if (this.instances.has(id)) return;
    this.instances.set(id, { id, type, zone, capacityType, price: this.price(type, zone, capacityType), launchedAt: at, joined: false, ready: false });
  }

  terminated(id: string, at: number): void {
    const record = this.instances.get(id);
    if (!record || record.terminatedAt !== undefined) return;
    record.terminatedAt = at;
    this.disruptions.push({ atMs: at - this.startMs, node: id, reason: this.reasons.get(id) ?? "Other" });
  }

  /** The pod became wanted (or wanted again after an eviction) at `at`. */
  want(pod: Pod, at: number): void {
    this.wanted.set(key(pod), { pod, requests: podRequests(pod), since: at });
  }

  /** The workload no longer wants it: a wait still open counts up to now. */
  unwant(pod: Pod, at: number): void {
    const w = this.wanted.get(key(pod));
    if (!w) return;
    if (w.boundAt === undefined) this.pendingSeconds.push((at - w.since) / 1000);
    this.wanted.delete(key(pod));
  }

  bound(podKey: string, node: string, at: number): void {
    const w = this.wanted.get(podKey);
    if (!w || w.boundAt !== undefined) return;
    w.boundAt = at;
    w.node = node;
    this.pendingSeconds.push((at + this.input.timing.podStartMs - w.since) / 1000);
  }

  /**
   * A wanted pod was taken off its node (evicted, or its node went) at `at`. Whether it had
   * somewhere to go is judged by `settleEvictions` EVICTION_SETTLE_MS later, once its controller,
   * kube-scheduler and Tenon have had the time to react (an interruption evicts first and wakes
   * the provisioner, which plans the new pods once kube-scheduler has marked them).
   */
  evictedFrom(podKey: string, at: number): WantedPod | undefined {
    const w = this.wanted.get(podKey);
    if (!w || w.boundAt === undefined) return undefined;
    this.evicted++;
    this.unsettled.push({ key: podKey, at, requests: w.requests, node: w.node });
    return w;
  }

  /** When the oldest eviction not yet judged is due to be. */
  nextSettleAt(): number | undefined {
    return this.unsettled.length === 0 ? undefined : this.unsettled[0]!.at + EVICTION_SETTLE_MS;
  }

  /**
   * Judges the evictions EVICTION_SETTLE_MS old: a pod had somewhere to go when it runs again
   * already, capacity is on its way (an instance launched since whose node is not Ready yet), or
   * a Ready node has room for its requests.
   */
  settleEvictions(now: number, room: (requests: Resources, from: string | undefined) => boolean): void {
    while (this.unsettled.length > 0 && this.unsettled[0]!.at + EVICTION_SETTLE_MS <= now) {
      const e = this.unsettled.shift()!;
      const again = this.wanted.get(e.key);
      if (again?.boundAt !== undefined && again.boundAt >= e.at) continue;
      const inFlight = [...this.instances.values()].some((i) => i.terminatedAt === undefined && !i.ready);
      if (!inFlight && !room(e.requests, e.node)) this.evictedWithoutPlace++;
    }
  }

  sample(at: number): void {
    let onDemand = 0;
    let spot = 0;
    let costPerHour = 0;
    const allocatable = { cpuMillis: 0, memoryBytes: 0 };
    for (const i of this.instances.values()) {
      if (i.terminatedAt !== undefined) continue;
      if (i.capacityType === "spot") spot++;
      else onDemand++;
      costPerHour += i.price;
      if (i.joined) {
        const a = this.allocatable.get(i.type);
        allocatable.cpuMillis += a?.cpu ?? 0;
        allocatable.memoryBytes += a?.memory ?? 0;
      }
    }
    let pendingPods = 0;
    const requested = { cpuMillis: 0, memoryBytes: 0 };
    for (const w of this.wanted.values()) {
      if (w.boundAt === undefined || w.boundAt + this.input.timing.podStartMs > at) pendingPods++;
      if (w.boundAt !== undefined) {
        requested.cpuMillis += w.requests.cpu ?? 0;
        requested.memoryBytes += w.requests.memory ?? 0;
      }
    }
    this.samples.push({ atMs: at - this.startMs, nodes: { onDemand, spot }, costPerHour: round(costPerHour, 6), pendingPods, requested, allocatable });
  }

  result(name: string, label: string, endMs: number): RunResult {
    const pending = [...this.pendingSeconds];
    for (const w of this.wanted.values()) if (w.boundAt === undefined) pending.push((endMs - w.since) / 1000);
    let totalCost = 0;
    let launched = 0;
    let removed = 0;
    for (const i of this.instances.values()) {
      launched++;
      if (i.terminatedAt !== undefined) removed++;
      totalCost += (i.price * ((i.terminatedAt ?? endMs) - i.launchedAt)) / 3_600_000;
    }
    return {
      name, label, samples: this.samples, disruptions: this.disruptions, podPendingSeconds: pending.map((s) => round(s, 3)),
      podsEvicted: this.evicted, podsEvictedWithoutPlace: this.evictedWithoutPlace, nodesLaunched: launched, nodesRemoved: removed, totalCost: round(totalCost, 6),
    };
  }
}

export function key(pod: Pick<Pod, "metadata">): string {
  return `${pod.metadata.namespace || "default"}/${pod.metadata.name}`;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
