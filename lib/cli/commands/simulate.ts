/**
 * `tenon simulate`: which nodes would be launched for the pending pods in the input, and at what
 * price (contract: the simulate spec). Reads files, runs lib/simulate, prints JSON or a table;
 * notes go to stderr for JSON and into the table otherwise.
 */
import type { Command } from "commander";
import { loadDocuments } from "../../api/documents.ts";
import { renderJson } from "../../simulate/output.ts";
import { runSimulation } from "../../simulate/run.ts";
import { renderTable } from "../../simulate/table.ts";
import { priceBasis } from "../../simulate/instance-types.ts";
import { resolveOutputFormat, UsageError, type CliIO } from "../io.ts";
import { inputOptions, instanceTypeSource, type InputFlags } from "../input.ts";
import { outputOption } from "../io.ts";

type SimulateFlags = InputFlags;

export async function runSimulate(flags: SimulateFlags, io: CliIO): Promise<void> {
  const format = resolveOutputFormat(flags.output, io);
  if (flags.filename.length === 0) throw new UsageError("simulate needs at least one -f <file|dir|->");
  const source = await instanceTypeSource(flags, io);
  const documents = await loadDocuments(flags.filename, io);
  const run = runSimulation(documents, source);
  if (format === "json") {
    for (const message of run.notes) io.err(`note: ${message}\n`);
    io.out(renderJson(run.output));
  } else {
    io.out(renderTable(run.output, run.notes, priceBasis(source)));
  }
}

export function registerSimulate(program: Command, io: CliIO): void {
  inputOptions(program.command("simulate").description("show which nodes would be launched for pending pods, and at what price"))
    .addOption(outputOption())
    .action(async (flags: SimulateFlags) => {
      await runSimulate(flags, io);
    });
}
