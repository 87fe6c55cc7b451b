// placeholder: replaced by the replay-baselines branch
import type { RunBaselines, RunResult } from "../types.ts";

const nothing = (name: string, label: string): RunResult => ({
  name, label, samples: [], disruptions: [], podPendingSeconds: [], podsEvicted: 0, podsEvictedWithoutPlace: 0, nodesLaunched: 0, nodesRemoved: 0, totalCost: 0,
});

export const runBaselines: RunBaselines = () => ({
  clusterAutoscaler: nothing("clusterAutoscaler", "Cluster Autoscaler"),
  staticNodeGroups: nothing("staticNodeGroups", "Static node groups"),
});
