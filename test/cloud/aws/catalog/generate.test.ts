/** scripts/generate-catalog.ts on a small synthetic snapshot (tests never read ../shared). */
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CatalogInstanceTypesFile, CatalogOfferingsFile, CatalogPricingFile } from "../../../../lib/cloud/aws/catalog/data-format.ts";
import { generateCatalog } from "../../../../scripts/generate-catalog.ts";

function sourceType(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    karpenterDiscoverable: true,
    vcpu: 2,
    memoryMiB: 8192,
    awsArchitectures: ["x86_64"],
    cpuManufacturer: "Intel",
    sustainedClockSpeedGHz: 3.1,
    hypervisor: "nitro",
    encryptionInTransitSupported: false,
    nitroEnclavesSupported: false,
    ebsBandwidthMbps: 4750,
    networkBandwidthMbps: null,
    gpu: null,
    accelerator: null,
    localStorage: null,
    maxENIs: 3,
    ipv4PerENI: 10,
    efaSupported: false,
    maxEfaInterfaces: null,
    podENIs: 9,
    capacityTypes: ["on-demand", "spot"],
    ...extra,
  };
}

const README = `# snapshot
converted to JSON on **2026-11-22**.
| id | repository | commit (snapshot HEAD) | file(s) used | file last changed / generated |
|---|---|---|---|---|
| MOTO-IT | github.com/getmoto/moto | \`0af643a5dbfc98797f08ee64f5be3ef8002d56ff\` | \`instance_types.json\` | 2026-08-02 |
| KP-PRICE | same | same | \`zz_generated.pricing_aws.go\` | 2026-07-20 |
`;

/** Zone a offers both types, zone b only m5.large: each name pairs with exactly one id. */
function writeSnapshot(dir: string, zoneIdsOfA = ["az-2"]): void {
  const types = [
    sourceType("m5.large"),
    sourceType("c5d.large", { localStorage: { totalSizeGB: 50, nvmeSupport: "required" }, podENIs: 0 }),
    sourceType("mac1.metal", { karpenterDiscoverable: false }),
  ];
  writeFileSync(join(dir, "instance-types.json"), JSON.stringify(types));
  for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
    const [a, b] = [`${region}a`, `${region}b`];
    writeFileSync(join(dir, `offerings-${region}.json`), JSON.stringify({ "m5.large": [b, a], "c5d.large": [a], "mac1.metal": [a] }));
    writeFileSync(join(dir, `offerings-zone-id-${region}.json`), JSON.stringify({ "m5.large": ["az-1", "az-2"], "c5d.large": zoneIdsOfA, "mac1.metal": zoneIdsOfA }));
  }
  writeFileSync(join(dir, "pricing-us-east-1.json"), JSON.stringify({ "m5.large": 0.096, "p2.xlarge": 0.9, "mac1.metal": 1.083 }));
  writeFileSync(join(dir, "karpenter-reference-al2023.json"), "{}");
  writeFileSync(join(dir, "README.md"), README);
}

function generateInto(zoneIdsOfA?: string[]) {
  const root = mkdtempSync(join(tmpdir(), "tenon-catalog-"));
  const source = join(root, "source");
  mkdirSync(source);
  writeSnapshot(source, zoneIdsOfA);
  const targets = { outDir: join(root, "out"), fixtureDir: join(root, "fixtures") };
  return { root, source, targets, run: () => generateCatalog(source, targets) };
}

const read = <T>(dir: string, file: string): T => JSON.parse(readFileSync(join(dir, file), "utf8")) as T;

describe("generate-catalog", () => {
  it("keeps only discoverable types, reduced to the fields Tenon uses", () => {
    const { targets, run } = generateInto();
    run();
    const { instanceTypes } = read<CatalogInstanceTypesFile>(targets.outDir, "instance-types.json");
    expect(instanceTypes.map((t) => t.name)).toEqual(["c5d.large", "m5.large"]);
    expect(instanceTypes[0]).toMatchObject({ localStorage: { totalSizeGB: 50, nvme: true } });
    expect(instanceTypes[0]!.podENIs).toBeUndefined();
    expect(instanceTypes[1]).toMatchObject({ podENIs: 9, ebsBandwidthMbps: 4750 });
    expect(instanceTypes[1]).not.toHaveProperty("networkBandwidthMbps");
  });

  it("pairs zone names with zone ids by the types they offer, and sorts zones", () => {
    const { targets, run } = generateInto();
    run();
    const offerings = read<CatalogOfferingsFile>(targets.outDir, "offerings-us-west-2.json");
    expect(offerings.zones).toEqual({ "us-west-2a": "az-2", "us-west-2b": "az-1" });
    expect(offerings.types).toEqual({ "c5d.large": ["us-west-2a"], "m5.large": ["us-west-2a", "us-west-2b"] });
  });

  it("fails when two zones offer the same types and cannot be told apart", () => {
    const { run } = generateInto(["az-1", "az-2"]);
    expect(run).toThrow(/cannot match zone us-east-1a to one zone id/);
  });

  it("keeps prices of catalog types only, and records provenance", () => {
    const { targets, run } = generateInto();
    const provenance = run();
    expect(read<CatalogPricingFile>(targets.outDir, "pricing-us-east-1.json")).toEqual({ region: "us-east-1", onDemand: { "m5.large": 0.096 } });
    expect(provenance.sources).toEqual([
      { id: "MOTO-IT", repository: "github.com/getmoto/moto", commit: "0af643a5dbfc98797f08ee64f5be3ef8002d56ff", files: "instance_types.json", date: "2026-08-02" },
      { id: "KP-PRICE", repository: "github.com/getmoto/moto", commit: "0af643a5dbfc98797f08ee64f5be3ef8002d56ff", files: "zz_generated.pricing_aws.go", date: "2026-07-20" },
    ]);
    expect(provenance.sourceConvertedOn).toBe("2026-11-22");
    expect(provenance.generatedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(provenance.counts).toMatchObject({ instanceTypes: 2, skippedNotDiscoverable: 1 });
    expect(readdirSync(targets.fixtureDir)).toEqual(["karpenter-reference-al2023.json"]);
  });

  it("writes byte-identical files when run twice on the same snapshot", () => {
    const { targets, run } = generateInto();
    run();
    const first = readdirSync(targets.outDir).map((f) => readFileSync(join(targets.outDir, f), "utf8"));
    run();
    expect(readdirSync(targets.outDir).map((f) => readFileSync(join(targets.outDir, f), "utf8"))).toEqual(first);
  });
});
