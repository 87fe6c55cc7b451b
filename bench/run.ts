/**
 * Scheduling benchmark: `npm run bench` (all sizes) or `npm run bench -- --quick` (small sizes),
 * followed by the interruption case (bench/interruption.ts: 5,000 nodes, or 500 with --quick) and
 * the disruption benchmark (bench/disruption.ts).
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
import { benchmarkInput } from "./workload.ts";

const FULL_SIZES = [1, 50, 100, 500, 1000, 2000, 5000, 10000, 20000];
const QUICK_SIZES = [1, 50, 100, 500, 1000];

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

function measure(pods: number): Measurement {
  schedule(benchmarkInput(50));
  const input = benchmarkInput(pods);
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

function runChild(pods: number): Measurement {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [...process.execArgv, self, "--child", String(pods)], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`benchmark for ${pods} pods failed:\n${child.stderr}`);
  const line = child.stdout.trim().split("\n").pop()!;
  return JSON.parse(line) as Measurement;
}

function row(cells: Array<string | number>): string {
  return `| ${cells.join(" | ")} |`;
}

function main(argv: string[]): void {
  const childAt = argv.indexOf("--child");
  if (childAt >= 0) {
    process.stdout.write(`${JSON.stringify(measure(Number(argv[childAt + 1])))}\n`);
    return;
  }
  const sizes = argv.includes("--quick") ? QUICK_SIZES : FULL_SIZES;
  console.log(row(["pods", "wall ms", "pods/s (wall)", "cpu ms", "pods/s (cpu)", "new claims", "scheduled", "unschedulable", "$/hour", "peak RSS MiB"]));
  console.log(row(["---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]));
  for (const pods of sizes) {
    const m = runChild(pods);
    const rate = (ms: number) => (ms > 0 ? Math.round((m.pods / ms) * 1000) : 0);
    console.log(row([m.pods, m.ms.toFixed(1), rate(m.ms), m.cpuMs.toFixed(1), rate(m.cpuMs), m.newClaims, m.scheduled, m.unschedulable, m.pricePerHour.toFixed(4), m.peakRssMiB]));
  }
  // The interruption case (issue 17.8): a batch of 10 messages against a cluster of 5,000 nodes.
  console.log("\nInterruption: a batch of 10 Spot interruption warnings (bench/interruption.ts)\n");
  const interruption = fileURLToPath(new URL("./interruption.ts", import.meta.url));
  const child = spawnSync(process.execPath, [...process.execArgv, interruption, "--nodes", argv.includes("--quick") ? "500" : "5000"], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`interruption benchmark failed:\n${child.stderr}`);
  process.stdout.write(child.stdout);
  runDisruptionBench(argv.includes("--quick"));
}

main(process.argv.slice(2));
