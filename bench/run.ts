/**
 * Scheduling benchmark: `npm run bench` (all sizes) or `npm run bench -- --quick` (small sizes;
 * `-- --karpenter [--sizes 1000,5000]` for the Karpenter-shaped part alone, with its variant where
 * every pod's requests differ as well; `-- --replay` for the replay benchmark alone, bench/replay.ts):
 * the synthetic workload (bench/workload.ts), then the Karpenter-shaped one of distinct pods
 * (bench/karpenter-shaped.ts) in-process and through the whole CLI (`tenon simulate` on the same
 * pods as a JSON List, and `tenon --help`), followed by the interruption case (bench/interruption.ts: 5,000 nodes, or 500 with --quick) and
 * the disruption benchmark (bench/disruption.ts), and last the packing quality against a HiGHS lower
 * bound (bench/packing-bound.ts; `-- --packing` runs it alone).
 * Each size runs in its own child process, so the reported peak RSS (getrusage maxrss) belongs to
 * that size alone. Only `schedule()` is timed; building the synthetic input is not, and a small
 * warm-up run first lets the JIT compile the hot paths. Wall time and the process's CPU time are both
 * reported: on a busy machine CPU time is the better estimate of what an idle one would take.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { resolveLaunch } from "../lib/scheduling/launch.ts";
import { schedule } from "../lib/scheduling/scheduler.ts";
import { runDisruptionBench } from "./disruption.ts";
import { runReplayBench } from "./replay.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distinctRequestsInput, karpenterShapedInput, writeCliInput } from "./karpenter-shaped.ts";
import { benchmarkInput } from "./workload.ts";

const FULL_SIZES = [1, 50, 100, 500, 1000, 2000, 5000, 10000, 20000];
const QUICK_SIZES = [1, 50, 100, 500, 1000];
const KARPENTER_SIZES = [1000, 5000, 20000, 100000];
const KARPENTER_QUICK_SIZES = [1000];
const CLI_PODS = 20000;
const CLI_QUICK_PODS = 1000;

type Workload = "synthetic" | "karpenter" | "distinct-requests";
const WORKLOADS: Record<Workload, (pods: number) => ReturnType<typeof benchmarkInput>> = { synthetic: benchmarkInput, karpenter: karpenterShapedInput, "distinct-requests": distinctRequestsInput };
/** The variant where every pod's requests differ too: no two pods share a scheduling group. */
const DISTINCT_SIZES = [1000, 5000, 20000];
const DISTINCT_QUICK_SIZES = [1000];

interface Measurement {
  pods: number;
  ms: number;
  cpuMs: number;
  newClaims: number;
  scheduled: number;
  unschedulable: number;
  pricePerHour: number;
  peakRssMiB: number;
}

function measure(workload: Workload, pods: number): Measurement {
  schedule(WORKLOADS[workload](50));
  const input = WORKLOADS[workload](pods);
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = schedule(input);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const price = result.newNodeClaims.reduce((sum, c) => sum + (resolveLaunch(c)?.price ?? 0), 0);
  const scheduled = result.newNodeClaims.reduce((n, c) => n + c.pods.length, 0) + result.existingNodes.reduce((n, e) => n + e.pods.length, 0);
  return {
    pods,
    ms,
    cpuMs,
    newClaims: result.newNodeClaims.length,
    scheduled,
    unschedulable: result.unschedulable.length,
    pricePerHour: Math.round(price * 1e4) / 1e4,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

function runChild(workload: Workload, pods: number): Measurement {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [...process.execArgv, self, "--child", workload, String(pods)], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`benchmark for ${pods} pods failed:\n${child.stderr}`);
  const line = child.stdout.trim().split("\n").pop()!;
  return JSON.parse(line) as Measurement;
}

function row(cells: Array<string | number>): string {
  return `| ${cells.join(" | ")} |`;
}

function printTable(workload: Workload, sizes: readonly number[]): void {
  console.log(row(["pods", "wall ms", "pods/s (wall)", "cpu ms", "pods/s (cpu)", "new claims", "scheduled", "unschedulable", "$/hour", "peak RSS MiB"]));
  console.log(row(["---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]));
  for (const pods of sizes) {
    const m = runChild(workload, pods);
    const rate = (ms: number) => (ms > 0 ? Math.round((m.pods / ms) * 1000) : 0);
    console.log(row([m.pods, m.ms.toFixed(1), rate(m.ms), m.cpuMs.toFixed(1), rate(m.cpuMs), m.newClaims, m.scheduled, m.unschedulable, m.pricePerHour.toFixed(4), m.peakRssMiB]));
  }
}

/** Wall time of `node bin/tenon.js <args>` as a user runs it (the built CLI when there is one), best of `runs`. */
function timeCli(args: string[], runs: number): { ms: number; note: string } {
  const bin = fileURLToPath(new URL("../bin/tenon.js", import.meta.url));
  let best = Infinity;
  let note = "";
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const child = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (child.status !== 0) throw new Error(`tenon ${args.join(" ")} failed:\n${child.stderr}`);
    note = child.stderr.split("\n").find((l) => l.startsWith("note: the built CLI")) ?? "";
    best = Math.min(best, ms);
  }
  return { ms: best, note };
}

function printCli(pods: number): void {
  const dir = mkdtempSync(join(tmpdir(), "tenon-bench-cli-"));
  try {
    const args = writeCliInput(dir, pods);
    const help = timeCli(["--help"], 5);
    const simulate = timeCli([...args, "-o", "json"], 1);
    console.log(row(["command", "wall ms"]));
    console.log(row(["---", "---:"]));
    console.log(row(["`tenon --help` (best of 5)", help.ms.toFixed(0)]));
    console.log(row([`\`tenon simulate\`, ${pods} Karpenter-shaped pods as one JSON List`, simulate.ms.toFixed(0)]));
    if (help.note) console.log(`\n${help.note}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(argv: string[]): void {
  const childAt = argv.indexOf("--child");
  if (childAt >= 0) {
    process.stdout.write(`${JSON.stringify(measure(argv[childAt + 1] as Workload, Number(argv[childAt + 2])))}\n`);
    return;
  }
  if (argv.includes("--replay")) {
    // --replay: the replay benchmark alone (bench/replay.ts), a 24-hour trace through the real functions.
    void runReplayBench();
    return;
  }
  if (argv.includes("--packing")) {
    // --packing: Tenon's $/hour against the integer program's lower bound (bench/packing-bound.ts).
    void packingBench(argv.includes("--verbose"));
    return;
  }
  const quick = argv.includes("--quick");
  // --karpenter: only the Karpenter-shaped part; --sizes 1000,5000: its sizes.
  const onlyKarpenter = argv.includes("--karpenter");
  const sizesAt = argv.indexOf("--sizes");
  const karpenterSizes = sizesAt >= 0 ? argv[sizesAt + 1]!.split(",").map(Number) : quick ? KARPENTER_QUICK_SIZES : KARPENTER_SIZES;
  if (!onlyKarpenter) printTable("synthetic", quick ? QUICK_SIZES : FULL_SIZES);
  // Karpenter's own benchmark pods (issue 12): every pod spec unique, so grouping must look past container names.
  console.log("\nKarpenter-shaped distinct pods (bench/karpenter-shaped.ts)\n");
  printTable("karpenter", karpenterSizes);
  console.log("\nThe same with every pod's requests distinct too (no two pods share a group)\n");
  printTable("distinct-requests", sizesAt >= 0 ? karpenterSizes.filter((n) => n <= 20000) : quick ? DISTINCT_QUICK_SIZES : DISTINCT_SIZES);
  console.log("\nWhole CLI, as a user runs it (node bin/tenon.js)\n");
  printCli(quick ? CLI_QUICK_PODS : CLI_PODS);
  if (onlyKarpenter) return;
  // The interruption case (issue 17.8): a batch of 10 messages against a cluster of 5,000 nodes.
  console.log("\nInterruption: a batch of 10 Spot interruption warnings (bench/interruption.ts)\n");
  const interruption = fileURLToPath(new URL("./interruption.ts", import.meta.url));
  const child = spawnSync(process.execPath, [...process.execArgv, interruption, "--nodes", quick ? "500" : "5000"], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`interruption benchmark failed:\n${child.stderr}`);
  process.stdout.write(child.stdout);
  runDisruptionBench(quick);
  console.log("\nPacking quality: Tenon's $/hour against a lower bound solved with HiGHS (bench/packing-bound.ts)\n");
  void packingBench(false);
}

/** Loaded on demand, so the timed child processes never load HiGHS (their peak RSS stays theirs). */
async function packingBench(verbose: boolean): Promise<void> {
  const { runPackingBench } = await import("./packing-bound.ts");
  await runPackingBench(verbose);
}

main(process.argv.slice(2));
