/**
 * `tenon replay`: replays a trace (docs/replay.md) through Tenon's real functions on the
 * simulated cluster and cloud, and through the baselines, and writes the report. A progress bar
 * on a terminal (stderr), none otherwise; a short summary table and the report's path at the end.
 * A bad trace is exit 2 with one line per problem.
 */
import { resolve } from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { loadDocuments } from "../../api/documents.ts";
import { BASELINES, type BaselineName } from "../../replay/types.ts";
import { expandTrace } from "../../replay/trace/expand.ts";
import { readReplayDocuments } from "../../replay/trace/parse.ts";
import type { ReplaySummary } from "../../replay/types.ts";
import { featureGatesFlag } from "../feature-gates.ts";
import { UsageError, type CliIO } from "../io.ts";

interface ReplayFlags {
  filename: string[];
  hours?: string;
  seed: string;
  out: string;
  baseline: string;
  featureGates?: string;
}

const MAX_HOURS = 24 * 14;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseReplayFlags(flags: ReplayFlags): { hours?: number; seed: number; baselines: BaselineName[] } {
  let hours: number | undefined;
  if (flags.hours !== undefined) {
    hours = Number(flags.hours);
    if (!/^\d+(\.\d+)?$/.test(flags.hours) || !(hours > 0) || hours > MAX_HOURS) throw new UsageError(`--hours: "${flags.hours}" is not a number of hours above 0 and at most ${MAX_HOURS}`);
  }
  const seed = Number(flags.seed);
  if (!/^\d+$/.test(flags.seed) || !Number.isSafeInteger(seed) || seed > 0xffffffff) throw new UsageError(`--seed: "${flags.seed}" is not a whole number from 0 to 4294967295`);
  const names = flags.baseline.split(",").map((s) => s.trim()).filter((s) => s !== "" && s !== "none");
  const unknown = names.filter((n) => !(n in BASELINES));
  if (unknown.length > 0) throw new UsageError(`--baseline: ${unknown.map((u) => `"${u}"`).join(", ")} ${unknown.length === 1 ? "is" : "are"} not one of ${Object.keys(BASELINES).join(", ")} (or none)`);
  return { ...(hours !== undefined ? { hours } : {}), seed, baselines: [...new Set(names)] as BaselineName[] };
}

/** The summary as a small table: one row per run. */
export function summaryTable(summary: ReplaySummary): string {
  const header = ["RUN", "COST $", "VS TENON", "PENDING P50 s", "P95 s", "MAX s", "EVICTED", "LAUNCHED", "REMOVED"];
  const tenon = summary.runs.tenon?.totalCost;
  const rows = Object.entries(summary.runs).map(([name, r]) => [
    name, r.totalCost.toFixed(2),
    name === "tenon" || tenon === undefined || r.totalCost === 0 ? "" : `${(((r.totalCost - tenon) / r.totalCost) * 100).toFixed(0)}% saved`,
    r.pendingSeconds.p50.toFixed(0), r.pendingSeconds.p95.toFixed(0), r.pendingSeconds.max.toFixed(0),
    String(r.podsEvicted), String(r.nodesLaunched), String(r.nodesRemoved),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

export async function runReplay(flags: ReplayFlags, io: CliIO): Promise<ReplaySummary> {
  if (flags.filename.length === 0) throw new UsageError("replay needs at least one -f <file|dir|->");
  const options = parseReplayFlags(flags);
  const documents = await loadDocuments(flags.filename, io);
  const docs = readReplayDocuments(documents, (message) => io.err(`note: ${message}\n`));
  if (docs.ignored.length > 0) io.err(`note: not replayed: ${[...new Set(docs.ignored)].join(", ")} (a replay starts from an empty cluster; its pods come from the workloads and the Trace)\n`);
  const input = expandTrace(docs, { seed: options.seed, ...(options.hours !== undefined ? { hours: options.hours } : {}) });
  const bar = io.isTTY && process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: "{run} |{bar}| {percentage}% of {hours} h", stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(100, 0, { run: "Tenon", hours: input.hours });
  // The functions and the simulated world load only here: every other command starts without them.
  const { replayRuns } = await import("../../replay/replay.ts");
  const { writeReport } = await import("../../replay/report/index.ts");
  let runs;
  try {
    const featureGates = featureGatesFlag(flags.featureGates);
    runs = await replayRuns(input, { baselines: options.baselines, ...(featureGates ? { featureGates } : {}), onProgress: (run, done) => bar?.update(Math.round(done * 100), { run }) });
  } finally {
    bar?.stop();
  }
  const out = resolve(io.cwd, flags.out);
  const summary = await writeReport(out, input, runs);
  io.out(`Replayed ${input.name}: ${input.hours} h, seed ${input.seed}, ${input.demand.filter((d) => d.kind === "add").length} pod(s) wanted, ${input.events.length} event(s)\n\n`);
  io.out(summaryTable(summary));
  io.out(`\nReport: ${resolve(out, "index.html")}\n`);
  return summary;
}

export function registerReplay(program: Command, io: CliIO): void {
  program
    .command("replay")
    .description("replay a workload trace through Tenon's real functions and the baselines; report cost, pending time and disruption")
    .requiredOption("-f, --filename <file|dir|->", "the trace with its NodePools, EC2NodeClasses and workloads: YAML/JSON files, a directory, or - (repeatable)", collect, [])
    .option("--hours <hours>", "replay this many hours instead of the trace's")
    .option("--seed <n>", "seed for the trace's noise and the choice of interrupted nodes", "1")
    .option("--out <dir>", "where to write the report (index.html, summary.json)", "report")
    .option("--baseline <list>", "baselines to run, comma-separated: no-consolidation, ca, static (or none)", "no-consolidation,ca,static")
    .option("--feature-gates <list>", "Karpenter's feature gates for Tenon's runs, e.g. SpotToSpotConsolidation=true (default: all off, as deployed)")
    .action(async (flags: ReplayFlags) => {
      await runReplay(flags, io);
    });
}
