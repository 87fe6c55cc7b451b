/**
 * `tenon simulate`: which nodes would be launched for the pending pods in the input, and at what
 * price (contract: the simulate spec). Reads files, runs lib/simulate, prints JSON or a table;
 * notes go to stderr for JSON and into the table otherwise.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { loadDocuments } from "../../api/documents.ts";
import { parseCatalogJson } from "../../cloud/catalog-format.ts";
import { InputError } from "../../errors.ts";
import type { InstanceTypeSource } from "../../simulate/instance-types.ts";
import { renderJson } from "../../simulate/output.ts";
import { runSimulation } from "../../simulate/run.ts";
import { renderTable } from "../../simulate/table.ts";
import { resolveOutputFormat, UsageError, type CliIO } from "../io.ts";
import { outputOption } from "../main.ts";

export const DEFAULT_REGION = "us-east-1";

interface SimulateFlags {
  filename: string[];
  instanceTypes?: string;
  region: string;
  output?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function instanceTypeSource(flags: Pick<SimulateFlags, "instanceTypes" | "region">, io: CliIO): Promise<InstanceTypeSource> {
  if (flags.instanceTypes === undefined) return { kind: "aws", region: flags.region };
  const file = path.resolve(io.cwd, flags.instanceTypes);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : `cannot be read (${(error as Error).message})`;
    throw new InputError({ object: `file ${flags.instanceTypes}`, path: "", reason });
  }
  return { kind: "catalog", instanceTypes: parseCatalogJson(text, flags.instanceTypes) };
}

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
    io.out(renderTable(run.output, run.notes));
  }
}

/** The input options `simulate` and `disrupt` share: -f, --instance-types, --region. */
export function inputOptions(command: Command): Command {
  return command
    .requiredOption("-f, --filename <file|dir|->", "input: a YAML/JSON file, a directory of them, or - for stdin (repeatable)", collect, [])
    .option("--instance-types <catalog.json>", "instance-type catalog to use instead of the bundled AWS catalog")
    .option("--region <region>", "AWS region of the bundled catalog", DEFAULT_REGION);
}

export function registerSimulate(program: Command, io: CliIO): void {
  inputOptions(program.command("simulate").description("show which nodes would be launched for pending pods, and at what price"))
    .addOption(outputOption())
    .action(async (flags: SimulateFlags) => {
      await runSimulate(flags, io);
    });
}
