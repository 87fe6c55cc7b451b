/**
 * Static node groups sized for the peak: each NodePool's group gets as many nodes as first-fit
 * decreasing needs for the largest set of its pods alive at once, and keeps them all day, Ready
 * from the start. A lost node (interruption, outage) is replaced by the Auto Scaling group.
 */
import type { ReplayInput } from "../types.ts";
import type { Controller, SimNode, Simulation } from "./engine.ts";
import { podKey, type NodeGroup, type PodInfo } from "./groups.ts";

const SIZE_KEYS = (group: NodeGroup): string[] => Object.keys(group.podAllocatable).filter((r) => (group.podAllocatable[r] ?? 0) > 0);

/** Nodes first-fit decreasing needs for these pods on the group's type (largest dominant share first). */
export function firstFitDecreasing(group: NodeGroup, pods: readonly PodInfo[]): number {
  const keys = SIZE_KEYS(group);
  const alloc = group.podAllocatable;
  const share = (p: PodInfo): number => Math.max(0, ...keys.map((r) => (p.requests[r] ?? 0) / alloc[r]!));
  const sorted = pods.map((p) => ({ p, s: share(p) })).sort((a, b) => b.s - a.s || (a.p.key < b.p.key ? -1 : a.p.key > b.p.key ? 1 : 0));
  const bins: Array<Record<string, number>> = [];
  for (const { p } of sorted) {
    let placed = false;
    for (const free of bins) {
      if (keys.every((r) => (p.requests[r] ?? 0) <= free[r]!)) {
        for (const r of keys) free[r] = free[r]! - (p.requests[r] ?? 0);
        placed = true;
        break;
      }
    }
    if (!placed) {
      const free: Record<string, number> = {};
      for (const r of keys) free[r] = alloc[r]! - (p.requests[r] ?? 0);
      bins.push(free);
    }
  }
  return bins.length;
}

/**
 * Each group's peak node count: first-fit decreasing over the pods alive at every local peak of the
 * demand (the moment before a removal that follows additions: any other moment's pods are a subset
 * of one of these), the largest count, capped by the NodePool's limits.
 */
export function peakNodeCounts(input: ReplayInput, groups: readonly NodeGroup[], pods: ReadonlyMap<string, PodInfo>): number[] {
  const best = groups.map(() => 0);
  const alive = groups.map(() => new Map<string, PodInfo>());
  const changed = new Set<number>();
  const evaluate = (): void => {
    for (const g of changed) best[g] = Math.max(best[g]!, firstFitDecreasing(groups[g]!, [...alive[g]!.values()]));
    changed.clear();
  };
  const demand = input.demand;
  for (let i = 0; i < demand.length; ) {
    const t = demand[i]!.atMs;
    let j = i;
    while (j < demand.length && demand[j]!.atMs === t) j++;
    const removes = demand.slice(i, j).some((e) => e.kind === "remove");
    if (removes && changed.size > 0) evaluate();
    for (const e of demand.slice(i, j)) {
      const info = pods.get(podKey(e.pod));
      if (!info || info.home === undefined) continue;
      if (e.kind === "add") {
        alive[info.home]!.set(info.key, info);
        changed.add(info.home);
      } else {
        alive[info.home]!.delete(info.key);
      }
    }
    i = j;
  }
  evaluate();
  return best.map((n, g) => Math.min(n, groups[g]!.maxNodes));
}

export function staticController(counts: readonly number[]): Controller {
  return {
    start(sim: Simulation): void {
      sim.groups.forEach((g, i) => {
        for (let k = 0; k < counts[i]!; k++) sim.launch(g, 0, { readyNow: true });
      });
    },
    nodeLost(sim: Simulation, node: SimNode, t: number): void {
      sim.launch(node.group, t);
    },
  };
}
