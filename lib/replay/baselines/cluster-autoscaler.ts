/**
 * Cluster Autoscaler's algorithm over one node group per NodePool, with its default flags
 * (kubernetes/autoscaler cluster-autoscaler, FAQ.md and the flag defaults; docs/replay.md):
 *
 * - every `--scan-interval` (10 s): pods the scheduler could not place, less those that fit on
 *   nodes still coming up, are bin-packed onto each group's template node; the group that wastes
 *   the least cpu and memory (`--expander=least-waste`) grows by that many nodes, up to its max; one
 *   group per loop (`--parallel-scale-up=false`); a group whose launch failed backs off 5 minutes;
 * - a loop that scaled up does not scale down;
 * - a Ready node is unneeded when its requested cpu and memory are both under
 *   `--scale-down-utilization-threshold` (0.5) of allocatable (GPU nodes: GPU requests only) and
 *   every pod on it fits on another node, nodes found unneeded earlier in the same pass no longer
 *   counting as room, and none of its pods is annotated `safe-to-evict: "false"`;
 * - unneeded for `--scale-down-unneeded-time` (10 min), not within `--scale-down-delay-after-add`
 *   (10 min) of a scale-up (`--scale-down-delay-after-delete` is 0): empty nodes are deleted
 *   together, up to `--max-scale-down-parallelism` (10), and at most one non-empty node per loop
 *   (`--max-drain-parallelism` 1), its pods evicted to be placed by the scheduler again.
 */
import type { Controller, SimNode, SimPod, Simulation } from "./engine.ts";
import type { NodeGroup } from "./groups.ts";

export interface ClusterAutoscalerOptions {
  scanIntervalMs: number;
  scaleDownUtilizationThreshold: number;
  scaleDownUnneededTimeMs: number;
  scaleDownDelayAfterAddMs: number;
  scaleDownDelayAfterDeleteMs: number;
  maxScaleDownParallelism: number;
  maxDrainParallelism: number;
  /** How long a group is left alone after a failed launch (the initial scale-up backoff). */
  scaleUpBackoffMs: number;
}

export const CLUSTER_AUTOSCALER_DEFAULTS: ClusterAutoscalerOptions = {
  scanIntervalMs: 10_000,
  scaleDownUtilizationThreshold: 0.5,
  scaleDownUnneededTimeMs: 600_000,
  scaleDownDelayAfterAddMs: 600_000,
  scaleDownDelayAfterDeleteMs: 0,
  maxScaleDownParallelism: 10,
  maxDrainParallelism: 1,
  scaleUpBackoffMs: 300_000,
};

/** A pod annotated `"false"` keeps its node from being scaled down. */
export const SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict";

interface Bin {
  free: Record<string, number>;
  zones: Set<string>;
  pods: SimPod[];
}

/** CA's utilization of a node: max of cpu and memory requests over allocatable (GPU nodes: GPU only), DaemonSets counted. */
export function utilization(node: SimNode): number {
  const g = node.group;
  const keys = g.gpu ? Object.keys(g.allocatable).filter((r) => /gpu|neuron/.test(r) && (g.allocatable[r] ?? 0) > 0) : ["cpu", "memory"];
  let u = 0;
  for (const r of keys) {
    const alloc = g.allocatable[r] ?? 0;
    if (alloc <= 0) continue;
    const daemon = (g.allocatable[r] ?? 0) - (g.podAllocatable[r] ?? 0);
    u = Math.max(u, ((node.used[r] ?? 0) + daemon) / alloc);
  }
  return u;
}

export function clusterAutoscalerController(options: ClusterAutoscalerOptions = CLUSTER_AUTOSCALER_DEFAULTS): Controller {
  let lastScaleUp = -Infinity;
  let lastDelete = -Infinity;
  const backoffUntil = new Map<NodeGroup, number>();
  let unneededSince = new Map<SimNode, number>();

  function scaleUp(sim: Simulation, t: number): boolean {
    const pending = sim.unbound();
    if (pending.length === 0) return false;
    const alive = sim.alive();
    // Pods that will fit on nodes still coming up need no new node.
    const coming = sim.freeOf(alive.filter((n) => !n.ready && !n.noticed));
    const remaining = pending.filter((p) => !sim.placeInto(p, coming));
    if (remaining.length === 0) return false;
    let best: { group: NodeGroup; bins: Bin[]; waste: number } | undefined;
    for (const group of sim.groups) {
      if ((backoffUntil.get(group) ?? -Infinity) > t) continue;
      const room = group.maxNodes - alive.filter((n) => n.group === group).length;
      if (room <= 0) continue;
      const bins = binPack(group, remaining).slice(0, room);
      if (bins.length === 0) continue;
      let waste = 0;
      for (const r of ["cpu", "memory"]) {
        const total = (group.podAllocatable[r] ?? 0) * bins.length;
        if (total > 0) waste += bins.reduce((s, b) => s + (b.free[r] ?? 0), 0) / total;
      }
      if (!best || waste < best.waste) best = { group, bins, waste };
    }
    if (!best) return false;
    let launched = 0;
    for (const b of best.bins) if (sim.launch(best.group, t, { zones: b.zones })) launched++;
    if (launched < best.bins.length) backoffUntil.set(best.group, t + options.scaleUpBackoffMs);
    if (launched === 0) return false;
    lastScaleUp = t;
    return true;
  }

  function scaleDown(sim: Simulation, t: number): void {
    const ready = sim.alive().filter((n) => n.ready && !n.noticed);
    const candidates = ready.filter((n) => utilization(n) < options.scaleDownUtilizationThreshold);
    // Empty nodes first, then the rest in age order.
    candidates.sort((a, b) => (a.pods.size === 0 ? 0 : 1) - (b.pods.size === 0 ? 0 : 1) || a.id - b.id);
    const free = sim.freeOf(ready);
    const next = new Map<SimNode, number>();
    for (const c of candidates) {
      // A node found unneeded is no room for the next ones; its pods take room where they would go.
      if ([...c.pods].some((p) => p.info.pod.metadata.annotations?.[SAFE_TO_EVICT] === "false")) continue;
      const own = free.get(c)!;
      free.delete(c);
      const taken: Array<[Record<string, number>, SimPod]> = [];
      for (const p of c.pods) {
        const n = sim.placeInto(p, free);
        if (!n) break;
        taken.push([free.get(n)!, p]);
      }
      if (taken.length < c.pods.size) {
        for (const [room, p] of taken) for (const r in p.info.requests) room[r] = (room[r] ?? 0) + p.info.requests[r]!;
        free.set(c, own);
        continue;
      }
      next.set(c, unneededSince.get(c) ?? t);
    }
    unneededSince = next;
    if (t < lastScaleUp + options.scaleDownDelayAfterAddMs || t < lastDelete + options.scaleDownDelayAfterDeleteMs) return;
    const due = [...unneededSince].filter(([, since]) => t - since >= options.scaleDownUnneededTimeMs).map(([n]) => n);
    let deleted = 0;
    for (const n of due.filter((x) => x.pods.size === 0)) {
      if (deleted >= options.maxScaleDownParallelism) break;
      sim.terminate(n, t, "ScaleDownEmpty");
      unneededSince.delete(n);
      deleted++;
    }
    let drained = 0;
    for (const n of due.filter((x) => x.pods.size > 0)) {
      if (deleted >= options.maxScaleDownParallelism || drained >= options.maxDrainParallelism) break;
      // Its pods' places were found in this scan's simulation; the empty nodes deleted above held none.
      sim.terminate(n, t, "ScaleDownUnderutilized");
      unneededSince.delete(n);
      deleted++;
      drained++;
    }
    if (deleted > 0) lastDelete = t;
  }

  return {
    scanEveryMs: options.scanIntervalMs,
    start(): void {},
    scan(sim: Simulation, t: number): void {
      for (const n of [...unneededSince.keys()]) if (n.gone) unneededSince.delete(n);
      if (scaleUp(sim, t)) return;
      scaleDown(sim, t);
    },
    nodeLost(sim: Simulation, node: SimNode, t: number): void {
      // The Auto Scaling group keeps its desired size: a lost instance is replaced.
      unneededSince.delete(node);
      sim.launch(node.group, t);
    },
  };
}

/**
 * CA's binpacking estimate: pods (largest cpu+memory share first) first-fit onto new template
 * nodes; a node holds pods whose zones for this group overlap, and launches in one of them.
 */
export function binPack(group: NodeGroup, pods: readonly SimPod[]): Bin[] {
  const alloc = group.podAllocatable;
  const score = (p: SimPod): number => (p.info.requests.cpu ?? 0) / Math.max(1, alloc.cpu ?? 0) + (p.info.requests.memory ?? 0) / Math.max(1, alloc.memory ?? 0);
  const list = pods.filter((p) => p.info.places.has(group.index)).sort((a, b) => score(b) - score(a));
  const bins: Bin[] = [];
  for (const p of list) {
    const zones = p.info.places.get(group.index)!;
    let bin = bins.find((b) => [...b.zones].some((z) => zones.has(z)) && fits(p, b.free));
    if (!bin) {
      bin = { free: { ...alloc }, zones: new Set(zones), pods: [] };
      bins.push(bin);
    }
    for (const r in p.info.requests) bin.free[r] = (bin.free[r] ?? 0) - p.info.requests[r]!;
    bin.zones = new Set([...bin.zones].filter((z) => zones.has(z)));
    bin.pods.push(p);
  }
  return bins;
}

function fits(p: SimPod, free: Record<string, number>): boolean {
  for (const r in p.info.requests) if ((p.info.requests[r] ?? 0) > 0 && p.info.requests[r]! > (free[r] ?? 0)) return false;
  return true;
}
