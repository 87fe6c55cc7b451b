/**
 * `tenon disrupt`: which nodes the consolidator and drift checker would remove or replace, why,
 * what replaces them and what it saves, and why every other node stays (contract: the disrupt
 * spec). Input handling, --instance-types, --region, -o and exit codes are simulate's.
 */
import type { Command } from "commander";
import { loadDocuments } from "../../api/documents.ts";
import { renderJson } from "../../disruption/output.ts";
import { runDisruption } from "../../disruption/run.ts";
import { renderPassTable, renderPlanTable } from "../../disruption/table.ts";
import { priceBasis } from "../../simulate/instance-types.ts";
import { resolveOutputFormat, UsageError, type CliIO } from "../io.ts";
import { outputOption } from "../io.ts";
import { featureGatesFlag } from "../feature-gates.ts";
import { inputOptions, instanceTypeSource, type InputFlags } from "../input.ts";

interface DisruptFlags extends InputFlags {
  at?: string;
  plan?: boolean;
  featureGates?: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export function parseAt(text: string | undefined, now: () => number): number {
  if (text === undefined) return now();
  const ms = RFC3339.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--at: "${text}" is not an RFC 3339 time like 2026-12-03T10:00:00Z`);
  return ms;
}

export async function runDisrupt(flags: DisruptFlags, io: CliIO, now: () => number = Date.now): Promise<void> {
  const format = resolveOutputFormat(flags.output, io);
  if (flags.filename.length === 0) throw new UsageError("disrupt needs at least one -f <file|dir|->");
  const at = parseAt(flags.at, now);
  const gates = featureGatesFlag(flags.featureGates);
  const source = await instanceTypeSource(flags, io);
  const documents = await loadDocuments(flags.filename, io);
  const run = runDisruption(documents, source, at, flags.plan === true, gates);
  if (format === "json") {
    for (const message of run.notes) io.err(`note: ${message}\n`);
    io.out(renderJson(run.output));
  } else if ("passes" in run.output) {
    io.out(renderPlanTable(run.output, run.notes, priceBasis(source)));
  } else {
    io.out(renderPassTable(run.output, run.notes, priceBasis(source)));
  }
}

export function registerDisrupt(program: Command, io: CliIO): void {
  inputOptions(program.command("disrupt").description("show which nodes consolidation, drift and expiration would remove or replace, and why the others stay"))
    .option("--at <time>", "the time the decision is made at (RFC 3339; default now)")
    .option("--plan", "repeat passes, applying each, until nothing more is decided (at most 100)")
    .option("--feature-gates <list>", "Karpenter's feature gates, e.g. SpotToSpotConsolidation=true (default: all off, as the functions' FEATURE_GATES)")
    .addOption(outputOption())
    .action(async (flags: DisruptFlags) => {
      await runDisrupt(flags, io);
    });
}
