/**
 * The bundled catalog sized with Tenon's rules against Karpenter's own published reference page
 * (AL2023, no blockDeviceMappings, default options): every instance type, every resource.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sizeAwsInstanceType } from "../../../../lib/cloud/aws/catalog/index.ts";
import { formatResources } from "../../../../lib/quantity/resources.ts";
import { parseQuantity } from "../../../../lib/quantity/quantity.ts";

interface ReferenceEntry {
  labels: Record<string, string>;
  resources: Record<string, string>;
}
const reference = JSON.parse(readFileSync(new URL("../../../fixtures/karpenter-reference-al2023.json", import.meta.url), "utf8")) as Record<string, ReferenceEntry>;

/**
 * Known differences, all from source data newer than the reference page (2026-07-11); see
 * lib/cloud/aws/catalog/data/README.md.
 * - Karpenter's VPC-limits table (2026-08-06) lists these types as trunking-compatible; the page
 *   predates that and shows no vpc.amazonaws.com/pod-eni.
 */
const POD_ENI_NEWER_THAN_REFERENCE = new Set([
  ...["c8gb", "c8gn", "m8gb", "m8gn", "r8gb", "r8gn"].flatMap((f) => [`${f}.metal-24xl`, `${f}.metal-48xl`]),
  ...["c8ib", "m8ib", "m8idb", "m8idn", "m8in", "r8ib", "r8idb", "r8idn", "r8in"].flatMap((f) => [`${f}.metal-48xl`, `${f}.metal-96xl`]),
  ...["c9g", "c9gd"].flatMap((f) => ["medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge", "metal-48xl"].map((s) => `${f}.${s}`)),
  "hpc7g.4xlarge",
  "hpc7g.8xlarge",
  "hpc7g.16xlarge",
  "i4i.large",
]);
/** EC2's newer clock speed for the 9th-generation Graviton families (3300 vs 2800 on the page). */
const CLOCK_NEWER_THAN_REFERENCE = /^(c9g|c9gd|m9g|m9gd)\./;
/** Newer baseline bandwidth figures for these g7 sizes. */
const BANDWIDTH_NEWER_THAN_REFERENCE = new Set(["g7.2xlarge", "g7.4xlarge", "g7.8xlarge"]);
/** Set by Karpenter's code but not shown on the reference page. */
const NOT_ON_REFERENCE_PAGE = new Set(["karpenter.k8s.aws/nitro-sandbox"]);

function knownResourceDifference(type: string, resource: string, ours: string | undefined, theirs: string | undefined): boolean {
  return resource === "vpc.amazonaws.com/pod-eni" && theirs === undefined && ours !== undefined && POD_ENI_NEWER_THAN_REFERENCE.has(type);
}

function knownLabelDifference(type: string, key: string): boolean {
  if (NOT_ON_REFERENCE_PAGE.has(key)) return true;
  if (key === "karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz" && CLOCK_NEWER_THAN_REFERENCE.test(type)) return true;
  return key === "karpenter.k8s.aws/instance-network-bandwidth" && BANDWIDTH_NEWER_THAN_REFERENCE.has(type);
}

describe("bundled catalog vs Karpenter's published reference (AL2023 defaults)", () => {
  const names = Object.keys(reference);

  it("covers every instance type on the reference page", () => {
    expect(names.length).toBe(1363);
    expect(names.filter((name) => sizeAwsInstanceType(name) === undefined)).toEqual([]);
  });

  it("computes exactly the published allocatable cpu, memory, pods, ephemeral-storage and extended resources for every type", () => {
    const mismatches: string[] = [];
    let knownDifferences = 0;
    for (const name of names) {
      const ours = formatResources(sizeAwsInstanceType(name)!.allocatable);
      const theirs = reference[name]!.resources;
      for (const resource of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
        const [a, b] = [ours[resource], theirs[resource]];
        const equal = a !== undefined && b !== undefined && parseQuantity(a).nano === parseQuantity(b).nano;
        if (equal) continue;
        if (knownResourceDifference(name, resource, a, b)) knownDifferences++;
        else mismatches.push(`${name} ${resource}: ours ${a ?? "(none)"}, Karpenter ${b ?? "(none)"}`);
      }
    }
    expect(mismatches).toEqual([]);
    // Every listed known difference is still real; drop entries once the reference catches up.
    expect(knownDifferences).toBe(POD_ENI_NEWER_THAN_REFERENCE.size);
  });

  it("produces the published labels for every type, apart from the documented newer source data", () => {
    const mismatches: string[] = [];
    for (const name of names) {
      const ours = sizeAwsInstanceType(name)!.labels;
      const theirs = reference[name]!.labels;
      for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
        if (ours[key] === theirs[key] || knownLabelDifference(name, key)) continue;
        mismatches.push(`${name} ${key}: ours ${ours[key] ?? "(none)"}, Karpenter ${theirs[key] ?? "(none)"}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
