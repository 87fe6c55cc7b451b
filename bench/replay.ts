/**
 * Replay benchmark: `npm run bench -- --replay` (or `npx tsx bench/replay.ts [hours]`): the bundled
 * diurnal trace (examples/replay/01-diurnal-web-and-nightly-batch.yaml, a 500-pod peak) for 24
 * hours, seed 1, each Tenon run (with and without consolidation) timed on its own, wall and CPU,
 * with what it did. The goal: a 24-hour replay with a 500-pod peak in under a minute on this
 * 2-core machine (docs/benchmarks.md#replay).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDocuments } from "../lib/api/documents.ts";
import { runTenon } from "../lib/replay/tenon/run.ts";
import { expandTrace } from "../lib/replay/trace/expand.ts";
import { readReplayDocuments } from "../lib/replay/trace/parse.ts";

const ROOT = join(import.meta.dirname, "..");
export const REPLAY_BENCH_TRACE = "examples/replay/01-diurnal-web-and-nightly-batch.yaml";

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runReplayBench(hours = 24): Promise<void> {
  const docs = readReplayDocuments(await loadDocuments([REPLAY_BENCH_TRACE], { cwd: ROOT, readStdin: async () => "" }));
  const input = expandTrace(docs, { seed: 1, hours });
  let peak = 0;
  let wanted = 0;
  for (const e of input.demand) peak = Math.max(peak, (wanted += e.kind === "add" ? 1 : -1));
  console.log(`\nReplay: ${REPLAY_BENCH_TRACE}, ${hours} h, seed 1, ${input.demand.length} demand events, peak ${peak} pods wanted\n`);
  console.log("| run | wall s | cpu s | nodes launched | removed | pods evicted | without a place | p50 s | p95 s | max s | total $ |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const consolidation of [true, false]) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const r = await runTenon(input, { consolidation });
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    const cells = [
      r.name, wall.toFixed(1), ((used.user + used.system) / 1e6).toFixed(1), r.nodesLaunched, r.nodesRemoved, r.podsEvicted, r.podsEvictedWithoutPlace,
      percentile(r.podPendingSeconds, 50).toFixed(0), percentile(r.podPendingSeconds, 95).toFixed(0), percentile(r.podPendingSeconds, 100).toFixed(0), r.totalCost.toFixed(2),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runReplayBench(process.argv[2] ? Number(process.argv[2]) : 24);
