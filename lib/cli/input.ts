/**
 * What the what-if commands (`simulate`, `disrupt`) share: their input options (-f, --instance-types,
 * --region) and the instance types those options select.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { parseCatalogJson } from "./catalog-format.ts";
import { InputError } from "../errors.ts";
import type { InstanceTypeSource } from "../simulate/instance-types.ts";
import type { CliIO } from "./io.ts";

export const DEFAULT_REGION = "us-east-1";

export interface InputFlags {
  filename: string[];
  instanceTypes?: string;
  region: string;
  output?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The bundled AWS catalog for --region, or the --instance-types file. */
export async function instanceTypeSource(flags: Pick<InputFlags, "instanceTypes" | "region">, io: CliIO): Promise<InstanceTypeSource> {
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

/** Adds -f (repeatable), --instance-types and --region to a command. */
export function inputOptions(command: Command): Command {
  return command
    .requiredOption("-f, --filename <file|dir|->", "input: a YAML/JSON file, a directory of them, or - for stdin (repeatable)", collect, [])
    .option("--instance-types <catalog.json>", "instance-type catalog to use instead of the bundled AWS catalog")
    .option("--region <region>", "AWS region of the bundled catalog", DEFAULT_REGION);
}
