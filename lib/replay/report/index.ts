// placeholder: replaced by the replay-baselines branch
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ReplaySummary, RunSummary, WriteReport } from "../types.ts";

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);

export const writeReport: WriteReport = async (dir, input, runs) => {
  const summary = { trace: input.name, seed: input.seed, hours: input.hours, runs: {} as Record<string, RunSummary> };
  for (const r of runs) {
    const sorted = [...r.podPendingSeconds].sort((a, b) => a - b);
    summary.runs[r.name] = {
      totalCost: r.totalCost, pendingSeconds: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? 0 },
      podsEvicted: r.podsEvicted, nodesLaunched: r.nodesLaunched, nodesRemoved: r.nodesRemoved,
    };
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(dir, "index.html"), `<!doctype html><title>${input.name}</title><pre>${JSON.stringify(summary, null, 2)}</pre>\n`);
  return summary as ReplaySummary;
};
