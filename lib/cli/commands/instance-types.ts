/**
 * `tenon instance-types`: the bundled AWS catalog as Tenon sizes it, for people (a table) or for
 * tools (`-o json`: one array of catalog entries, each with its allocatable). Filters narrow the
 * list by labels and requirements; notes about price fallbacks go to stderr.
 */
import type { Command } from "commander";
import { loadDocuments } from "../../api/documents.ts";
import { parseEC2NodeClass } from "../../api/ec2nodeclass.ts";
import type { EC2NodeClass } from "../../api/types.ts";
import { CATALOG_REGIONS, loadAwsInstanceTypes, nodeClassZoneOptions, type AwsCatalogOptions } from "../../cloud/aws/catalog/index.ts";
import { matchesAll, parseFilter } from "../../cloud/aws/catalog/filter.ts";
import { toCatalogEntry } from "../catalog-format.ts";
import type { InstanceType, Offering } from "../../ports/instance-type.ts";
import { InputError } from "../../errors.ts";
import { formatResource } from "../../quantity/quantity.ts";
import { formatResources } from "../../quantity/resources.ts";
import { resolveOutputFormat, UsageError, type CliIO } from "../io.ts";
import { readLivePrices } from "../live-prices.ts";
import { outputOption } from "../io.ts";

export const DEFAULT_REGION = "us-east-1";

interface InstanceTypesFlags {
  region: string;
  nodeclass?: string;
  filter: string[];
  output?: string;
  vmMemoryOverheadPercent?: string;
  reservedEnis?: string;
  live?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The one EC2NodeClass in the file. */
async function readNodeClass(file: string, io: CliIO): Promise<EC2NodeClass> {
  const documents = await loadDocuments([file], io);
  const nodeClasses = documents.filter((d) => (d.doc as { kind?: unknown }).kind === "EC2NodeClass");
  if (nodeClasses.length !== 1) {
    throw new InputError({ object: `file ${file}`, path: "", reason: `expected exactly one EC2NodeClass document, found ${nodeClasses.length}` });
  }
  return parseEC2NodeClass(nodeClasses[0]!.doc);
}

function numberFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new UsageError(`${flag}: "${text}" is not a number`);
  return value;
}

export async function catalogOptions(flags: InstanceTypesFlags, io: CliIO): Promise<AwsCatalogOptions> {
  if (!(CATALOG_REGIONS as readonly string[]).includes(flags.region)) {
    throw new UsageError(`--region: "${flags.region}" is not a bundled region (${CATALOG_REGIONS.join(", ")})`);
  }
  const options: AwsCatalogOptions = { region: flags.region };
  const overhead = numberFlag("--vm-memory-overhead-percent", flags.vmMemoryOverheadPercent);
  if (overhead !== undefined) options.vmMemoryOverheadPercent = overhead;
  const reserved = numberFlag("--reserved-enis", flags.reservedEnis);
  if (reserved !== undefined) options.reservedENIs = reserved;
  if (flags.nodeclass !== undefined) {
    const nodeClass = await readNodeClass(flags.nodeclass, io);
    options.nodeClass = nodeClass;
    Object.assign(options, nodeClassZoneOptions(nodeClass));
  }
  return options;
}

/** A catalog entry plus the allocatable Tenon computed, as quantity strings. */
export function instanceTypeJson(it: InstanceType): Record<string, unknown> {
  return { ...toCatalogEntry(it), allocatable: formatResources(it.allocatable) };
}

export async function runInstanceTypes(flags: InstanceTypesFlags, io: CliIO): Promise<void> {
  const format = resolveOutputFormat(flags.output, io);
  const filters = flags.filter.map(parseFilter);
  const options = await catalogOptions(flags, io);
  if (flags.live) {
    const prices = await readLivePrices(flags.region);
    for (const problem of prices.problems) io.err(`note: ${problem}\n`);
    if (prices.onDemand) options.onDemandPrices = prices.onDemand;
    if (prices.spot) options.spotPrices = prices.spot;
    io.err(`note: --live: prices for ${flags.region} read from AWS at ${prices.readAt}\n`);
  }
  const catalog = loadAwsInstanceTypes(options);
  const selected = catalog.instanceTypes.filter((it) => matchesAll(it, filters));
  // A note on types the NodeClass can't launch only when some of them are listed.
  const listed = new Set(selected.map((it) => it.name));
  const unlisted = new Set(catalog.incompatible.filter((u) => !u.instanceTypes.some((n) => listed.has(n))).map((u) => u.note));
  for (const note of catalog.notes) if (!unlisted.has(note)) io.err(`note: ${note}\n`);
  if (format === "json") io.out(`${JSON.stringify(selected.map(instanceTypeJson), null, 2)}\n`);
  else io.out(selected.length > 0 ? renderInstanceTypeTable(selected) : "no instance types match\n");
}

export function registerInstanceTypes(program: Command, io: CliIO): void {
  program
    .command("instance-types")
    .description("list EC2 instance types with capacity, allocatable, labels and offerings")
    .option("--region <region>", `AWS region of the bundled catalog (${CATALOG_REGIONS.join(", ")})`, DEFAULT_REGION)
    .option("--nodeclass <file>", "size nodes for this EC2NodeClass (kubelet, block devices, AMI family, subnet zones)")
    .option("--filter <expr>", "keep types whose label or requirement matches: key=value, key!=value, key>=n, key<=n (repeatable, all must match; short keys mean karpenter.k8s.aws/<key>)", collect, [])
    .option("--vm-memory-overhead-percent <fraction>", "memory share the hypervisor keeps (Karpenter default 0.075)")
    .option("--reserved-enis <n>", "ENIs kept back from pod networking (Karpenter default 0)")
    .option("--live", "read the region's on-demand prices (Pricing API) and spot prices (spot price history) from AWS with your credentials")
    .addOption(outputOption())
    .action(async (flags: InstanceTypesFlags) => {
      await runInstanceTypes(flags, io);
    });
}

/** The cheapest available offering; on equal prices the first listed (on-demand before spot) wins. */
function cheapest(offerings: readonly Offering[]): Offering | undefined {
  let best: Offering | undefined;
  for (const o of offerings) if (o.available && (!best || o.price < best.price)) best = o;
  return best;
}

function formatPrice(price: number): string {
  return `$${price.toFixed(4)}`;
}

const COLUMNS = ["NAME", "CPU", "MEMORY", "PODS", "ALLOC CPU", "ALLOC MEMORY", "ARCH", "ZONES", "CHEAPEST", "CAPACITY TYPE"];
/** Columns holding numbers are right-aligned. */
const RIGHT_ALIGNED = new Set([1, 2, 3, 4, 5, 7, 8]);

export function instanceTypeRow(it: InstanceType): string[] {
  const best = cheapest(it.offerings);
  const zones = new Set(it.offerings.filter((o) => o.available).map((o) => o.zone));
  const resource = (name: string, from: Readonly<Record<string, number>>) => formatResource(name, from[name] ?? 0);
  return [
    it.name,
    resource("cpu", it.capacity),
    resource("memory", it.capacity),
    resource("pods", it.capacity),
    resource("cpu", it.allocatable),
    resource("memory", it.allocatable),
    it.labels["kubernetes.io/arch"] ?? "-",
    String(zones.size),
    best ? formatPrice(best.price) : "-",
    best ? best.capacityType : "unavailable",
  ];
}

/** People read a family smallest first: by family, then cpu, memory and name. */
function bySize(a: InstanceType, b: InstanceType): number {
  const family = (it: InstanceType) => it.labels["karpenter.k8s.aws/instance-family"] ?? it.name.split(".")[0]!;
  return (
    family(a).localeCompare(family(b)) ||
    (a.capacity.cpu ?? 0) - (b.capacity.cpu ?? 0) ||
    (a.capacity.memory ?? 0) - (b.capacity.memory ?? 0) ||
    a.name.localeCompare(b.name)
  );
}

export function renderInstanceTypeTable(instanceTypes: readonly InstanceType[]): string {
  const rows = [COLUMNS, ...[...instanceTypes].sort(bySize).map(instanceTypeRow)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (RIGHT_ALIGNED.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
  return `${lines.join("\n")}\n`;
}
