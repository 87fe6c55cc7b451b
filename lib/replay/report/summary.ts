/**
 * The report's figures from the runs: `summary.json` (ReplaySummary) and the savings the page shows.
 * Percentiles are nearest-rank: the p-th percentile of n values is the ceil(p/100 × n)-th smallest
 * (0 when there are none), always one of the measured values. Costs are rounded to 1/100 cent.
 */
import type { ReplayInput, ReplaySummary, RunResult, RunSummary } from "../types.ts";

export function nearestRank(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function roundCost(usd: number): number {
  return Math.round(usd * 10_000) / 10_000;
}

export function summarizeRun(run: RunResult): RunSummary {
  const max = run.podPendingSeconds.reduce((m, s) => Math.max(m, s), 0);
  return {
    totalCost: roundCost(run.totalCost),
    pendingSeconds: { p50: nearestRank(run.podPendingSeconds, 50), p95: nearestRank(run.podPendingSeconds, 95), max },
    podsEvicted: run.podsEvicted,
    nodesLaunched: run.nodesLaunched,
    nodesRemoved: run.nodesRemoved,
  };
}

/** `summary.json`: the trace, its seed and length, and each run's figures under the run's name. */
export function summarize(input: Pick<ReplayInput, "name" | "seed" | "hours">, runs: readonly RunResult[]): ReplaySummary {
  const out: Record<string, RunSummary> = {};
  for (const run of runs) {
    if (out[run.name]) throw new Error(`writeReport: runs[${runs.indexOf(run)}].name: "${run.name}" appears twice; each run needs its own name`);
    out[run.name] = summarizeRun(run);
  }
  return { trace: input.name, seed: input.seed, hours: input.hours, runs: out as ReplaySummary["runs"] };
}

/** The run the others are compared against: "tenon" when present, else the first. */
export function referenceRun(runs: readonly RunResult[]): RunResult | undefined {
  return runs.find((r) => r.name === "tenon") ?? runs[0];
}

/** How much cheaper `reference` is than `other`, in percent of `other`'s cost (negative: dearer); undefined when `other` cost nothing. */
export function savingsPercent(reference: RunSummary, other: RunSummary): number | undefined {
  if (other.totalCost <= 0) return undefined;
  return ((other.totalCost - reference.totalCost) / other.totalCost) * 100;
}
