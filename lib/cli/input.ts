/**
 * What the what-if commands (`simulate`, `disrupt`) share: their input options (-f, --instance-types,
 * --region, --zones) and the instance types those options select.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { parseCatalogJson } from "./catalog-format.ts";
import { InputError } from "../errors.ts";
import type { InstanceTypeSource } from "../simulate/instance-types.ts";
import { UsageError, type CliIO } from "./io.ts";
import { CATALOG_REGIONS, regionZones, type RegionCatalog } from "../cloud/aws/catalog/index.ts";
import { readLiveCatalog, readLivePrices } from "./live-prices.ts";

export const DEFAULT_REGION = "us-east-1";

export interface InputFlags {
  filename: string[];
  instanceTypes?: string;
  region: string;
  zones?: string;
  output?: string;
  /** Read the region's prices from AWS (lib/cli/live-prices.ts). */
  live?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The bundled AWS catalog for --region, or the --instance-types file. */
export async function instanceTypeSource(flags: Pick<InputFlags, "instanceTypes" | "region" | "zones" | "live">, io: CliIO): Promise<InstanceTypeSource> {
  if (flags.instanceTypes === undefined) {
    if (!flags.live) {
      const zones = flags.zones === undefined ? {} : { zones: parseZones(flags.zones, flags.region) };
      return { kind: "aws", region: flags.region, ...zones };
    }
    // --live: the region's instance types, offerings and prices as EC2 reports them now; any region.
    const [prices, catalog] = await Promise.all([readLivePrices(flags.region), readLiveCatalog(flags.region)]);
    for (const problem of [...prices.problems, ...catalog.problems]) io.err(`note: ${problem}\n`);
    const zones = flags.zones === undefined ? {} : { zones: parseZones(flags.zones, flags.region, catalog.catalog) };
    if (!catalog.catalog && !regionZones(flags.region)) {
      throw new UsageError(`--live: could not read ${flags.region}'s instance types from EC2, and it is not a bundled region (${CATALOG_REGIONS.join(", ")})`);
    }
    const live = { ...(prices.onDemand ? { onDemand: prices.onDemand } : {}), ...(prices.spot ? { spot: prices.spot } : {}), readAt: prices.readAt, ...(catalog.catalog ? { catalog: catalog.catalog } : {}) };
    return { kind: "aws", region: flags.region, ...zones, live };
  }
  if (flags.live) throw new UsageError("--live: reads AWS's prices for the bundled catalog; an --instance-types catalog carries its own");
  if (flags.zones !== undefined) throw new UsageError("--zones: applies to the bundled AWS catalog; an --instance-types catalog names its zones in its offerings");
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

/** `us-east-1a,us-east-1b`: zones of the region, each once, sorted. */
export function parseZones(text: string, region: string, live?: RegionCatalog): string[] {
  const known = regionZones(region, live);
  if (!known) throw new UsageError(`--region: "${region}" is not a bundled region (${CATALOG_REGIONS.join(", ")}); --live reads any region's from EC2`);
  const zones = text.split(",").map((z) => z.trim());
  if (zones.some((z) => z === "")) throw new UsageError(`--zones: "${text}" must be zone names separated by commas, e.g. ${known.slice(0, 2).join(",")}`);
  const unknown = zones.filter((z) => !known.includes(z));
  if (unknown.length > 0) throw new UsageError(`--zones: ${unknown.join(", ")} ${unknown.length === 1 ? "is not a zone" : "are not zones"} of ${region} (${known.join(", ")})`);
  return [...new Set(zones)].sort();
}

/** Adds -f (repeatable), --instance-types and --region to a command. */
export function inputOptions(command: Command): Command {
  return command
    .requiredOption("-f, --filename <file|dir|->", "input: a YAML/JSON file, a directory of them, or - for stdin (repeatable)", collect, [])
    .option("--instance-types <catalog.json>", "instance-type catalog to use instead of the bundled AWS catalog")
    .option("--region <region>", "AWS region of the bundled catalog", DEFAULT_REGION)
    .option("--zones <zones>", "zones to assume where no EC2NodeClass status.subnets names them, comma-separated (default: the region's zones that offer most instance types)")
    .option("--live", "read the region's instance types and offerings (EC2), on-demand prices (Pricing API) and spot prices (spot price history) from AWS with your credentials, instead of the offline catalog; any region");
}
