/**
 * Builds the bundled AWS catalog (lib/cloud/aws/catalog/data/) from the offline EC2 snapshot.
 *
 *   npm run catalog [-- <source dir>]      (default ../shared/data/aws)
 *
 * Output is deterministic for a given source and day: keys are sorted, one record per line.
 * It also copies Karpenter's published reference page (as JSON) to test/fixtures/, where the
 * catalog tests use it as their oracle. SOURCE_DATE_EPOCH overrides the generation date.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CATALOG_REGIONS,
  PRICED_REGION,
  type CatalogInstanceType,
  type CatalogOfferingsFile,
  type CatalogPricingFile,
  type CatalogProvenance,
} from "../lib/cloud/aws/catalog/data-format.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export interface CatalogTargets {
  /** Where the data files go (default lib/cloud/aws/catalog/data). */
  outDir: string;
  /** Where the reference oracle is copied (default test/fixtures). */
  fixtureDir: string;
}

export const DEFAULT_TARGETS: CatalogTargets = {
  outDir: join(repoRoot, "lib/cloud/aws/catalog/data"),
  fixtureDir: join(repoRoot, "test/fixtures"),
};

/** The subset of the snapshot's instance-types.json record that we read. */
interface SourceType {
  name: string;
  karpenterDiscoverable: boolean;
  vcpu: number;
  memoryMiB: number;
  awsArchitectures: string[];
  cpuManufacturer: string | null;
  sustainedClockSpeedGHz: number | null;
  hypervisor: string | null;
  encryptionInTransitSupported: boolean;
  nitroEnclavesSupported: boolean;
  ebsBandwidthMbps: number | null;
  networkBandwidthMbps: number | null;
  gpu: { count: number; name: string; manufacturer: string; memoryMiB: number; models?: unknown[] } | null;
  accelerator: { type: "neuron" | "inference"; name: string; manufacturer: string; count: number; coresPerDevice?: number } | null;
  localStorage: { totalSizeGB: number; nvmeSupport: string } | null;
  maxENIs: number;
  ipv4PerENI: number;
  efaSupported: boolean;
  maxEfaInterfaces: number | null;
  podENIs: number;
  capacityTypes: Array<"on-demand" | "spot">;
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
}

function fail(message: string): never {
  throw new Error(`generate-catalog: ${message}`);
}

function toCatalogType(src: SourceType): CatalogInstanceType {
  if (src.gpu?.models) fail(`${src.name} has several GPU models; the catalog format holds one`);
  const out: CatalogInstanceType = {
    name: src.name,
    vcpu: src.vcpu,
    memoryMiB: src.memoryMiB,
    awsArchitectures: src.awsArchitectures,
    encryptionInTransit: src.encryptionInTransitSupported,
    nitroEnclaves: src.nitroEnclavesSupported,
    maxENIs: src.maxENIs,
    ipv4PerENI: src.ipv4PerENI,
    capacityTypes: src.capacityTypes,
  };
  if (src.cpuManufacturer) out.cpuManufacturer = src.cpuManufacturer;
  if (src.sustainedClockSpeedGHz !== null) out.sustainedClockSpeedGHz = src.sustainedClockSpeedGHz;
  if (src.hypervisor) out.hypervisor = src.hypervisor;
  if (src.ebsBandwidthMbps !== null) out.ebsBandwidthMbps = src.ebsBandwidthMbps;
  if (src.networkBandwidthMbps !== null) out.networkBandwidthMbps = src.networkBandwidthMbps;
  if (src.gpu) out.gpu = { count: src.gpu.count, name: src.gpu.name, manufacturer: src.gpu.manufacturer, memoryMiB: src.gpu.memoryMiB };
  if (src.accelerator) {
    const { type, name, manufacturer, count, coresPerDevice } = src.accelerator;
    out.accelerator = coresPerDevice === undefined ? { type, name, manufacturer, count } : { type, name, manufacturer, count, coresPerDevice };
  }
  if (src.localStorage) out.localStorage = { totalSizeGB: src.localStorage.totalSizeGB, nvme: src.localStorage.nvmeSupport !== "unsupported" };
  if (src.efaSupported && src.maxEfaInterfaces) out.maxEfaInterfaces = src.maxEfaInterfaces;
  if (src.podENIs > 0) out.podENIs = src.podENIs;
  return out;
}

/**
 * The snapshot lists AZ names and AZ ids per type but not the name -> id map. A zone name and its
 * id are offered by exactly the same set of types, so we match them by that set.
 */
function zoneIdsByName(region: string, byName: Record<string, string[]>, byId: Record<string, string[]>): Record<string, string> {
  const typesOf = (index: Record<string, string[]>): Map<string, string> => {
    const sets = new Map<string, string[]>();
    for (const type of Object.keys(index).sort()) for (const zone of index[type]!) sets.set(zone, [...(sets.get(zone) ?? []), type]);
    return new Map([...sets].map(([zone, types]) => [zone, types.join(",")]));
  };
  const nameSignatures = typesOf(byName);
  const idSignatures = typesOf(byId);
  const out: Record<string, string> = {};
  for (const [name, signature] of [...nameSignatures].sort()) {
    const ids = [...idSignatures].filter(([, s]) => s === signature).map(([id]) => id);
    if (ids.length !== 1) fail(`${region}: cannot match zone ${name} to one zone id (candidates: ${ids.join(", ") || "none"})`);
    out[name] = ids[0]!;
  }
  return out;
}

/** Reads the Sources table of the snapshot README: `| id | repository | commit | file(s) | date |`. */
function readSources(readme: string): CatalogProvenance["sources"] {
  const rows = readme.split("\n").filter((line) => /^\| [A-Z]+-[A-Z]+ \|/.test(line));
  if (rows.length === 0) fail("no Sources table rows found in the source README.md");
  let lastRepo = "";
  let lastCommit = "";
  return rows.map((line) => {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    const [id = "", repoCell = "", commitCell = "", files = "", date = ""] = cells;
    const repository = repoCell === "same" ? lastRepo : repoCell;
    const commit = commitCell === "same" ? lastCommit : (/`([0-9a-f]{7,40})`/.exec(commitCell)?.[1] ?? commitCell);
    lastRepo = repository;
    lastCommit = commit;
    return { id, repository, commit, files: files.replace(/`/g, ""), date: date.replace(/`/g, "") };
  });
}

function generationDate(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const date = epoch ? new Date(Number(epoch) * 1000) : new Date();
  return date.toISOString().slice(0, 10);
}

/**
 * Writes `{...head, key: records}` with one record per line: small diffs when the snapshot
 * changes, still a single JSON document. `records` is a list, or [key, value] pairs of a map.
 */
function writeRecordsPerLine(path: string, head: object, key: string, records: { list: unknown[] } | { map: Array<[string, unknown]> }): void {
  const headText = JSON.stringify(head).slice(1, -1);
  const [open, close, lines] =
    "list" in records
      ? ["[", "]", records.list.map((r) => JSON.stringify(r))]
      : ["{", "}", records.map.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)];
  const prefix = headText ? `{${headText},\n` : "{\n";
  writeFileSync(path, `${prefix}${JSON.stringify(key)}:${open}\n${lines.join(",\n")}\n${close}}\n`);
}

export function generateCatalog(sourceDir: string, { outDir, fixtureDir }: CatalogTargets = DEFAULT_TARGETS): CatalogProvenance {
  const source = (file: string): string => join(sourceDir, file);
  const all = readJson<SourceType[]>(source("instance-types.json"));
  const discoverable = all.filter((t) => t.karpenterDiscoverable).sort((a, b) => (a.name < b.name ? -1 : 1));
  const names = new Set(discoverable.map((t) => t.name));
  mkdirSync(outDir, { recursive: true });
  writeRecordsPerLine(join(outDir, "instance-types.json"), {}, "instanceTypes", { list: discoverable.map(toCatalogType) });

  const counts: Record<string, number> = { instanceTypes: discoverable.length, skippedNotDiscoverable: all.length - discoverable.length };
  for (const region of CATALOG_REGIONS) {
    const byName = readJson<Record<string, string[]>>(source(`offerings-${region}.json`));
    const byId = readJson<Record<string, string[]>>(source(`offerings-zone-id-${region}.json`));
    const zones = zoneIdsByName(region, byName, byId);
    const types = Object.keys(byName)
      .filter((t) => names.has(t))
      .sort()
      .map((t): [string, string[]] => [t, [...byName[t]!].sort()]);
    const head: Omit<CatalogOfferingsFile, "types"> = { region, zones };
    writeRecordsPerLine(join(outDir, `offerings-${region}.json`), head, "types", { map: types });
    counts[`offerings-${region}`] = types.length;
  }

  const prices = readJson<Record<string, number>>(source(`pricing-${PRICED_REGION}.json`));
  const priced = Object.keys(prices)
    .filter((t) => names.has(t))
    .sort()
    .map((t): [string, number] => {
      const price = prices[t]!;
      if (!(typeof price === "number" && price >= 0)) fail(`price of ${t} is not a non-negative number`);
      return [t, price];
    });
  const pricingHead: Omit<CatalogPricingFile, "onDemand"> = { region: PRICED_REGION };
  writeRecordsPerLine(join(outDir, `pricing-${PRICED_REGION}.json`), pricingHead, "onDemand", { map: priced });
  counts[`pricing-${PRICED_REGION}`] = priced.length;

  const readme = readFileSync(source("README.md"), "utf8");
  const provenance: CatalogProvenance = {
    generatedAt: generationDate(),
    generator: "scripts/generate-catalog.ts",
    sourceDirectory: relative(repoRoot, sourceDir).split("\\").join("/") || ".",
    sourceConvertedOn: /converted to JSON on \*\*(\d{4}-\d{2}-\d{2})\*\*/.exec(readme)?.[1] ?? "unknown",
    sources: readSources(readme),
    counts,
  };
  writeFileSync(join(outDir, "provenance.json"), `${JSON.stringify(provenance, null, 2)}\n`);

  mkdirSync(fixtureDir, { recursive: true });
  copyFileSync(source("karpenter-reference-al2023.json"), join(fixtureDir, "karpenter-reference-al2023.json"));
  return provenance;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sourceDir = resolve(process.argv[2] ?? join(repoRoot, "../shared/data/aws"));
  try {
    const provenance = generateCatalog(sourceDir);
    process.stdout.write(`wrote ${relative(process.cwd(), DEFAULT_TARGETS.outDir)}: ${JSON.stringify(provenance.counts)}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
