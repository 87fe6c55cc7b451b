/** Hand-built replay RunResults for the report's tests: figures chosen so every answer is computed by hand. */
import type { RunResult, RunSample } from "../../lib/replay/types.ts";

export function sampleRun(o: {
  name: string;
  label: string;
  totalCost: number;
  podPendingSeconds: number[];
  nodes?: number;
  spot?: number;
  disruptions?: RunResult["disruptions"];
  podsEvicted?: number;
  nodesLaunched?: number;
  nodesRemoved?: number;
}): RunResult {
  const samples: RunSample[] = Array.from({ length: 5 }, (_, i) => ({
    atMs: i * 3_600_000,
    nodes: { onDemand: (o.nodes ?? 2) + (i % 2), spot: o.spot ?? 0 },
    costPerHour: o.totalCost / 4,
    pendingPods: i === 1 ? 3 : 0,
    requested: { cpuMillis: 3000 + i * 100, memoryBytes: 4 * 2 ** 30 },
    allocatable: { cpuMillis: 8000, memoryBytes: 32 * 2 ** 30 },
  }));
  return {
    name: o.name,
    label: o.label,
    samples,
    disruptions: o.disruptions ?? [],
    podPendingSeconds: o.podPendingSeconds,
    podsEvicted: o.podsEvicted ?? 0,
    podsEvictedWithoutPlace: 0,
    nodesLaunched: o.nodesLaunched ?? 2,
    nodesRemoved: o.nodesRemoved ?? 0,
    totalCost: o.totalCost,
  };
}

/** Four runs: Tenon at $60, without consolidation $70, Cluster Autoscaler $100, static groups $150. */
export function fourRuns(): RunResult[] {
  const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);
  return [
    sampleRun({ name: "tenon", label: "Tenon", totalCost: 60.00004, podPendingSeconds: oneToTwenty, spot: 1, podsEvicted: 4, nodesLaunched: 9, nodesRemoved: 7,
      disruptions: [{ atMs: 3_600_000, node: "n1", reason: "Underutilized" }, { atMs: 7_200_000, node: "n2", reason: "Empty" }] }),
    sampleRun({ name: "tenonNoConsolidation", label: "Tenon without consolidation", totalCost: 70, podPendingSeconds: [30, 10, 20], nodesLaunched: 5, nodesRemoved: 3 }),
    sampleRun({ name: "clusterAutoscaler", label: "Cluster Autoscaler", totalCost: 100, podPendingSeconds: [75, 75, 75, 80, 200], podsEvicted: 3, nodesLaunched: 6, nodesRemoved: 4,
      disruptions: [{ atMs: 3_600_000, node: "ca-1", reason: "ScaleDownUnderutilized" }] }),
    sampleRun({ name: "staticNodeGroups", label: "Static node groups", totalCost: 150, podPendingSeconds: [10, 10], nodes: 4 }),
  ];
}
