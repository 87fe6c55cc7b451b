/**
 * The replay's baselines (docs/replay-baselines.md): static node groups sized for the peak, and
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

export function runStaticNodeGroups(input: ReplayInput): RunResult {
  const { groups, pods } = planGroups(input, "static");
  const counts = peakNodeCounts(input, groups, pods);
  return new Simulation(input, groups, pods).run(staticController(counts), "staticNodeGroups", "Static node groups");
}

export function runClusterAutoscaler(input: ReplayInput): RunResult {
  const { groups, pods } = planGroups(input, "autoscaled");
  return new Simulation(input, groups, pods).run(clusterAutoscalerController(), "clusterAutoscaler", "Cluster Autoscaler");
}

export const runBaselines: RunBaselines = (input) => ({
  clusterAutoscaler: runClusterAutoscaler(input),
  staticNodeGroups: runStaticNodeGroups(input),
});
