/** The `--instance-types` catalog file format (spec/simulate.md, "Instance-type catalog"). */
import { describe, expect, it } from "vitest";
import { loadAwsInstanceTypes } from "../../../../lib/cloud/aws/catalog/index.ts";
import { fromCatalogEntry, parseCatalogJson, toCatalogEntry } from "../../../../lib/cli/catalog-format.ts";
import type { InstanceType } from "../../../../lib/ports/instance-type.ts";
import { inputProblems } from "../../../support/input-errors.ts";
import { GI } from "./helpers.ts";

/** The example entry of the spec, verbatim. */
const SPEC_EXAMPLE = {
  name: "m5.large",
  capacity: { cpu: "2", memory: "8Gi", pods: "29", "ephemeral-storage": "20Gi" },
  overhead: { cpu: "70m", memory: "1Gi" },
  requirements: [
    { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
    { key: "kubernetes.io/os", operator: "In", values: ["linux", "windows"] },
    { key: "example.com/size", operator: "DoesNotExist" },
  ],
  labels: { "karpenter.k8s.aws/instance-family": "m5" },
  offerings: [
    { zone: "us-east-1a", capacityType: "spot", price: 0.035, available: true },
    { zone: "us-east-1a", capacityType: "on-demand", price: 0.096 },
  ],
};


function withoutOverheadSplit(it: InstanceType) {
  const { overhead: _overhead, ...rest } = it;
  return rest;
}

describe("reading entries", () => {
  it("reads the spec's example: quantities, overhead, labels, requirements and implied requirements", () => {
    const it = fromCatalogEntry(SPEC_EXAMPLE, "catalog.json entry 1");
    expect(it.capacity).toEqual({ cpu: 2000, memory: 8 * GI, pods: 29, "ephemeral-storage": 20 * GI });
    expect(it.allocatable).toEqual({ cpu: 1930, memory: 7 * GI, pods: 29, "ephemeral-storage": 20 * GI });
    expect(it.labels).toEqual({ "node.kubernetes.io/instance-type": "m5.large", "karpenter.k8s.aws/instance-family": "m5" });
    expect(it.requirements).toEqual([
      { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5"] },
      { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] },
      { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
      { key: "kubernetes.io/os", operator: "In", values: ["linux", "windows"] },
      { key: "example.com/size", operator: "DoesNotExist" },
      { key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1a"] },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand", "spot"] },
    ]);
    expect(it.offerings[1]).toEqual({ zone: "us-east-1a", capacityType: "on-demand", price: 0.096, available: true });
  });

  it("defaults pods to 110 and implies zones and capacity types only from available offerings", () => {
    const it = fromCatalogEntry(
      {
        name: "small",
        capacity: { cpu: "1", memory: "1Gi" },
        offerings: [
          { zone: "z1", capacityType: "on-demand", price: 0.01 },
          { zone: "z2", capacityType: "spot", price: 0.005, available: false },
        ],
      },
      "x.json entry 1",
    );
    expect(it.capacity.pods).toBe(110);
    expect(it.requirements).toContainEqual({ key: "topology.kubernetes.io/zone", operator: "In", values: ["z1"] });
    expect(it.requirements).toContainEqual({ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] });
  });

  it("accepts reservation ids on reserved offerings", () => {
    const it = fromCatalogEntry({ ...SPEC_EXAMPLE, offerings: [{ zone: "us-east-1a", capacityType: "reserved", price: 0, reservationId: "cr-123" }] }, "e");
    expect(it.offerings[0]).toMatchObject({ capacityType: "reserved", reservationId: "cr-123" });
  });
});

describe("bad entries", () => {
  it("names the instance type, the entry, the field and the reason", () => {
    const entry = { ...SPEC_EXAMPLE, capacity: { ...SPEC_EXAMPLE.capacity, memory: "8Gx" } };
    expect(inputProblems(() => parseCatalogJson(JSON.stringify([SPEC_EXAMPLE, SPEC_EXAMPLE, { ...entry, name: "m5.xlarge" }]), "catalog.json"))).toEqual([
      'instance type m5.large (catalog.json entry 2): name: duplicates entry 1',
      'instance type m5.xlarge (catalog.json entry 3): capacity.memory: "8Gx" is not a valid quantity: expected a number with an optional suffix (m, k, M, G, Ki, Mi, Gi, e3, ...)',
    ]);
  });

  it("reports every problem of an entry at once", () => {
    const entry = {
      name: "m5.large",
      capacity: { cpu: "-1" },
      overhead: "70m",
      labels: { "topology.kubernetes.io/zone": "us-east-1a" },
      requirements: [{ key: "kubernetes.io/arch", operator: "Equals", values: ["amd64"] }, { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }],
      offerings: [
        { zone: "us-east-1a", capacityType: "preemptible", price: 0.1 },
        { zone: "us-east-1a", capacityType: "spot", price: -0.1, available: "yes" },
        { zone: "", capacityType: "spot", price: 0.1, reservationId: "cr-1" },
      ],
      colour: "blue",
    };
    const problems = inputProblems(() => fromCatalogEntry(entry, "catalog.json entry 4"));
    const prefix = "instance type m5.large (catalog.json entry 4): ";
    expect(problems.every((p) => p.startsWith(prefix))).toBe(true);
    expect(problems.map((p) => p.slice(prefix.length).split(":")[0])).toEqual([
      "colour",
      "capacity.cpu",
      "overhead",
      "labels.topology.kubernetes.io/zone",
      "requirements[0].operator",
      "requirements[1].key",
      "offerings[0].capacityType",
      "offerings[1].price",
      "offerings[1].available",
      "offerings[2].zone",
      "offerings[2].reservationId",
    ]);
    expect(problems.join("\n")).toContain('offerings[0].capacityType: "preemptible" is not one of reserved, spot, on-demand');
    expect(problems.join("\n")).toContain("offerings[1].price: -0.1 is not a price >= 0");
  });

  it("names the entry when it has no usable name", () => {
    expect(inputProblems(() => parseCatalogJson('[{"capacity": {}, "offerings": []}, 7]', "c.json"))).toEqual([
      "c.json entry 1: name: missing is not an instance type name",
      "c.json entry 2: 7 is not an instance type object",
    ]);
  });

  it("rejects files that are not a JSON array", () => {
    expect(inputProblems(() => parseCatalogJson("{", "c.json"))[0]).toMatch(/^c\.json: not valid JSON/);
    expect(inputProblems(() => parseCatalogJson("{}", "c.json"))).toEqual(["c.json: expected a JSON array of instance types"]);
  });
});

describe("round trip", () => {
  const catalog = loadAwsInstanceTypes({ region: "us-east-1", unavailable: new Set(["spot:m5.large:us-east-1a"]) });
  const sample = ["m5.large", "p4d.24xlarge", "inf2.xlarge", "a1.large", "c7i-flex.large", "m7g.large"].map((name) => catalog.instanceTypes.find((t) => t.name === name)!);

  it("keeps capacity, allocatable, labels, requirements and offerings of bundled types", () => {
    for (const it of sample) {
      const back = fromCatalogEntry(JSON.parse(JSON.stringify(toCatalogEntry(it))), "round trip");
      expect(withoutOverheadSplit(back)).toEqual(withoutOverheadSplit(it));
    }
  });

  it("writes the total overhead as quantities and leaves implied requirements out", () => {
    const entry = toCatalogEntry(sample[0]!);
    expect(entry.overhead).toEqual({ cpu: "70m", memory: `${574 + 100}Mi`, "ephemeral-storage": "3Gi" });
    expect(entry.capacity).toMatchObject({ cpu: "2", memory: "7577Mi", pods: "29" });
    expect(entry.requirements!.map((r) => r.key)).not.toContain("topology.kubernetes.io/zone");
    expect(entry.requirements!.every((r) => r.operator !== "In" || r.values!.length > 1)).toBe(true);
    expect(entry.offerings.find((o) => o.zone === "us-east-1a" && o.capacityType === "spot")!.available).toBe(false);
  });

  it("parses a whole bundled region back unchanged", () => {
    const text = JSON.stringify(catalog.instanceTypes.map(toCatalogEntry));
    const back = parseCatalogJson(text, "all.json");
    expect(back.map(withoutOverheadSplit)).toEqual(catalog.instanceTypes.map(withoutOverheadSplit));
    expect(back[0]!.allocatable.memory).toBe(catalog.instanceTypes[0]!.allocatable.memory);
  });
});
