/**
 * The replay's baselines (docs/replay.md): static node groups sized for the peak, and
 * Cluster Autoscaler's algorithm, each with one node group of a fixed instance type per NodePool,
 * on the same trace and the same physics (ReplayTiming) as the Tenon runs. Pure: no I/O, no clock.
 */
import type { ReplayInput, RunBaselines, RunResult } from "../types.ts";
import { clusterAutoscalerController } from "./cluster-autoscaler.ts";
import { Simulation } from "./engine.ts";
import { planGroups } from "./groups.ts";
import { peakNodeCounts, staticController } from "./static.ts";

export { CLUSTER_AUTOSCALER_DEFAULTS } from "./cluster-autoscaler.ts";
export { planGroups, type NodeGroup } from "./groups.ts";

/** How many times the static groups are grown by a node when the day still leaves a pod without room. */
export const STATIC_GROWTH_ROUNDS = 20;

/**
 * Static node groups: sized by first-fit decreasing at the demand's peaks, then, since pods arrive
 * one by one and the scheduler spreads them (stranding room the packing used), grown a node at a
 * time for each group where the day's replay left a pod waiting for room, as a team sizing its
 * groups on what it sees would (at most STATIC_GROWTH_ROUNDS times, within the NodePool's limits).
 */
export function runStaticNodeGroups(input: ReplayInput): RunResult {
  const { groups, pods } = planGroups(input, "static");
  const counts = peakNodeCounts(input, groups, pods);
  for (let round = 0; ; round++) {
    const sim = new Simulation(input, groups, pods);
    const result = sim.run(staticController(counts), "staticNodeGroups", "Static node groups");
    const grow = [...sim.starved].filter((g) => counts[g]! < groups[g]!.maxNodes);
    if (grow.length === 0 || round >= STATIC_GROWTH_ROUNDS) return result;
    for (const g of grow) counts[g]!++;
  }
}

export function runClusterAutoscaler(input: ReplayInput): RunResult {
  const { groups, pods } = planGroups(input, "autoscaled");
  return new Simulation(input, groups, pods).run(clusterAutoscalerController(), "clusterAutoscaler", "Cluster Autoscaler");
}

export const runBaselines: RunBaselines = (input) => ({
  clusterAutoscaler: runClusterAutoscaler(input),
  staticNodeGroups: runStaticNodeGroups(input),
});
