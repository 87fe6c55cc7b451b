/** Offerings, prices, availability, requirements and notes of loadAwsInstanceTypes (design/karpenter-aws.md §2-§3). */
import { describe, expect, it } from "vitest";
import { loadAwsInstanceTypes, unavailableOfferingKey, type AwsCatalogOptions } from "../../../../lib/cloud/aws/catalog/index.ts";
import { catalogData } from "../../../../lib/cloud/aws/catalog/load.ts";
import type { InstanceType } from "../../../../lib/ports/instance-type.ts";
import { InputError } from "../../../../lib/errors.ts";
import { nodeClass } from "./helpers.ts";

function find(options: AwsCatalogOptions, name: string): InstanceType {
  const it = loadAwsInstanceTypes(options).instanceTypes.find((t) => t.name === name);
  if (!it) throw new Error(`${name} not in ${options.region}`);
  return it;
}

function requirementValues(it: InstanceType, key: string): string[] | undefined {
  return it.requirements.find((r) => r.key === key)?.values;
}

/** A node's price: its instance's, plus its EBS volumes' (AL2023's default 20 GiB gp3 root volume: 20 × $0.08 per GB-month / 730 h in us-east-1). */
const ROOT_VOLUME_US_EAST_1 = 0.002192;
const ROOT_VOLUME_EU_WEST_1 = 0.002411; // 20 × $0.088 / 730
const node = (instance: number, ebs = ROOT_VOLUME_US_EAST_1) => Math.round((instance + ebs) * 1e6) / 1e6;
const M5_LARGE_ON_DEMAND = node(catalogData().onDemandPrices.get("m5.large")!);

describe("offerings", () => {
  it("offers every zone of the type × each supported capacity type, with zone ids", () => {
    const m5 = find({ region: "us-east-1" }, "m5.large");
    const zoneIds = catalogData().regions.get("us-east-1")!.offeredZoneIds.get("m5.large")!;
    expect(m5.offerings).toHaveLength(zoneIds.size * 2);
    expect(new Set(m5.offerings.map((o) => o.zoneId))).toEqual(zoneIds);
    expect(m5.offerings.every((o) => o.available && /^use1-az\d$/.test(o.zoneId!))).toBe(true);
    // One zone maps to one id, consistently.
    const ids = new Map(m5.offerings.map((o) => [o.zone, o.zoneId]));
    expect(new Set(ids.values()).size).toBe(ids.size);
  });

  it("lists only on-demand for types that do not support spot", () => {
    const onDemandOnly = catalogData().instanceTypes.find((t) => t.capacityTypes.length === 1 && catalogData().regions.get("us-east-1")!.offeredZoneIds.has(t.name))!;
    const it = find({ region: "us-east-1" }, onDemandOnly.name);
    expect(new Set(it.offerings.map((o) => o.capacityType))).toEqual(new Set(["on-demand"]));
    expect(requirementValues(it, "karpenter.sh/capacity-type")).toEqual(["on-demand"]);
  });

  it("restricts offerings to the given zones and rejects zones outside the region", () => {
    const m5 = find({ region: "us-east-1", zones: ["us-east-1a", "us-east-1c"] }, "m5.large");
    expect(new Set(m5.offerings.map((o) => o.zone))).toEqual(new Set(["us-east-1a", "us-east-1c"]));
    expect(requirementValues(m5, "topology.kubernetes.io/zone")).toEqual(["us-east-1a", "us-east-1c"]);
    expect(() => loadAwsInstanceTypes({ region: "us-east-1", zones: ["us-west-2a"] })).toThrow(/zones\[0\]: "us-west-2a" is not a zone of us-east-1/);
  });

  it("follows zone ids when the account names its zones differently", () => {
    const region = catalogData().regions.get("us-east-1")!;
    // Bundled: us-east-1e is use1-az3, where m5.large is not offered. Say this account calls that zone us-east-1a.
    expect(region.zones.get("us-east-1e")).toBe("use1-az3");
    const zoneIds = new Map([["us-east-1a", "use1-az3"], ["us-east-1b", "use1-az4"]]);
    const m5 = find({ region: "us-east-1", zoneIds }, "m5.large");
    expect(new Set(m5.offerings.map((o) => `${o.zone}/${o.zoneId}`))).toEqual(new Set(["us-east-1b/use1-az4"]));
    const inAz3 = [...region.offeredZoneIds].find(([, ids]) => ids.has("use1-az3"))![0];
    expect(find({ region: "us-east-1", zoneIds }, inAz3).offerings.some((o) => o.zone === "us-east-1a" && o.zoneId === "use1-az3")).toBe(true);
    expect(() => loadAwsInstanceTypes({ region: "us-east-1", zoneIds: new Map([["us-east-1a", "usw2-az1"]]) })).toThrow(/zoneIds\[us-east-1a\]: "usw2-az1" is not a zone id of us-east-1/);
  });

  it("marks offerings in the unavailable set unavailable and drops them from the requirements", () => {
    const unavailable = new Set([unavailableOfferingKey("spot", "m5.large", "us-east-1a"), unavailableOfferingKey("on-demand", "m5.large", "us-east-1a")]);
    const m5 = find({ region: "us-east-1", unavailable }, "m5.large");
    const inA = m5.offerings.filter((o) => o.zone === "us-east-1a");
    expect(inA.map((o) => o.available)).toEqual([false, false]);
    expect(m5.offerings.filter((o) => o.zone !== "us-east-1a").every((o) => o.available)).toBe(true);
    expect(requirementValues(m5, "topology.kubernetes.io/zone")).not.toContain("us-east-1a");
    // Only m5.large is affected.
    expect(find({ region: "us-east-1", unavailable }, "m5.xlarge").offerings.every((o) => o.available)).toBe(true);
  });

  it("leaves a type with no available offering an empty zone requirement, so nothing matches it", () => {
    const m5 = find({ region: "us-east-1", zones: ["us-east-1a"], unavailable: new Set(["spot:m5.large:us-east-1a", "on-demand:m5.large:us-east-1a"]) }, "m5.large");
    expect(requirementValues(m5, "topology.kubernetes.io/zone")).toEqual([]);
    expect(requirementValues(m5, "karpenter.sh/capacity-type")).toEqual([]);
  });

  it("makes a1 types unavailable on AL2023 but not on AL2", () => {
    const al2023 = loadAwsInstanceTypes({ region: "us-east-1" });
    expect(find({ region: "us-east-1" }, "a1.large").offerings.every((o) => !o.available)).toBe(true);
    expect(al2023.notes.some((n) => n.includes("a1 instance types are not supported by AL2023"))).toBe(true);
    const al2 = { region: "us-east-1", nodeClass: nodeClass({ amiFamily: "AL2", amiSelectorTerms: [{ alias: "al2@latest" }] }) };
    expect(find(al2, "a1.large").offerings.every((o) => o.available)).toBe(true);
  });

  it("makes types without EFA unavailable when the NodeClass asks for efa-only interfaces, and counts those interfaces", () => {
    const efa = nodeClass({
      networkInterfaces: [
        { networkCardIndex: 0, deviceIndex: 0, interfaceType: "interface" },
        { networkCardIndex: 1, deviceIndex: 0, interfaceType: "efa-only" },
      ],
    });
    const catalog = loadAwsInstanceTypes({ region: "us-east-1", nodeClass: efa });
    const byName = new Map(catalog.instanceTypes.map((t) => [t.name, t]));
    expect(byName.get("m5.large")!.offerings.every((o) => !o.available)).toBe(true);
    const p4d = byName.get("p4d.24xlarge")!;
    expect(p4d.offerings.every((o) => o.available)).toBe(true);
    expect(p4d.capacity["vpc.amazonaws.com/efa"]).toBe(1); // one efa-only interface, not the type's maximum of 4
    expect(p4d.capacity.pods).toBe(737); // the efa-only NIC is on card 1, so card 0 keeps all 15 ENIs
    expect(catalog.notes.some((n) => n.includes("efa-only"))).toBe(true);
  });
});

describe("prices", () => {
  it("prices spot at the on-demand price until spot prices are given, and says so", () => {
    const catalog = loadAwsInstanceTypes({ region: "us-east-1" });
    const m5 = catalog.instanceTypes.find((t) => t.name === "m5.large")!;
    expect(m5.offerings.every((o) => o.price === M5_LARGE_ON_DEMAND)).toBe(true);
    expect(catalog.notes.some((n) => n.startsWith("spot prices: none given"))).toBe(true);
    expect(catalog.notes.some((n) => n.startsWith("on-demand prices"))).toBe(false);
  });

  it("uses given spot prices, and leaves (type, zone) pairs without one unavailable for spot", () => {
    const catalog = loadAwsInstanceTypes({ region: "us-east-1", spotPrices: new Map([["m5.large:us-east-1a", 0.035]]) });
    const m5 = catalog.instanceTypes.find((t) => t.name === "m5.large")!;
    const spot = m5.offerings.filter((o) => o.capacityType === "spot");
    expect(spot.find((o) => o.zone === "us-east-1a")).toMatchObject({ price: node(0.035), available: true });
    expect(spot.filter((o) => o.zone !== "us-east-1a").every((o) => !o.available)).toBe(true);
    expect(m5.offerings.filter((o) => o.capacityType === "on-demand").every((o) => o.available && o.price === M5_LARGE_ON_DEMAND)).toBe(true);
    expect(catalog.notes.some((n) => n.startsWith("spot prices"))).toBe(false);
  });

  it("merges given on-demand prices over the bundled table", () => {
    const catalog = loadAwsInstanceTypes({ region: "us-east-1", onDemandPrices: new Map([["m5.large", 0.2]]) });
    const byName = new Map(catalog.instanceTypes.map((t) => [t.name, t]));
    expect(byName.get("m5.large")!.offerings.every((o) => o.price === node(0.2))).toBe(true);
    expect(byName.get("m5.xlarge")!.offerings[0]!.price).toBe(node(catalogData().onDemandPrices.get("m5.xlarge")!));
  });

  it("uses us-east-1 prices in other regions and says so", () => {
    const catalog = loadAwsInstanceTypes({ region: "eu-west-1" });
    expect(catalog.notes.some((n) => n.includes("using us-east-1 prices for eu-west-1"))).toBe(true);
    const m5 = catalog.instanceTypes.find((t) => t.name === "m5.large")!;
    expect(m5.offerings.every((o) => o.zone.startsWith("eu-west-1") && o.price === node(catalogData().onDemandPrices.get("m5.large")!, ROOT_VOLUME_EU_WEST_1))).toBe(true);
  });

  it("counts each node's EBS volumes in every offering's price: the EC2NodeClass's, or its AMI family's default", () => {
    const instance = catalogData().onDemandPrices.get("m5.large")!;
    const priceWith = (spec: Parameters<typeof nodeClass>[0]) => find({ region: "us-east-1", nodeClass: nodeClass(spec) }, "m5.large").offerings.find((o) => o.capacityType === "on-demand")!.price;
    // 100 GiB gp3 with 6,000 IOPS and 250 MiB/s: (100 × 0.08 + 3,000 × 0.005 + 125 × 0.04) / 730.
    const big = priceWith({ blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: "100Gi", volumeType: "gp3", iops: 6000, throughput: 250 } }] });
    expect(big).toBe(node(instance, (8 + 15 + 5) / 730));
    // Bottlerocket's default: a 4 GiB root and a 20 GiB data volume, both gp3.
    expect(priceWith({ amiSelectorTerms: [{ alias: "bottlerocket@latest" }] })).toBe(node(instance, (24 * 0.08) / 730));
    // Windows: the licence-included price (m5.large: $0.188/h on EC2's price list, $0.096 + 2 vCPU × $0.046)
    // and Windows' default 50 GiB gp3 root volume.
    expect(priceWith({ amiSelectorTerms: [{ alias: "windows2022@latest" }] })).toBe(node(0.188, (50 * 0.08) / 730));
    // A gp2 volume of 50 GiB.
    expect(priceWith({ blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: "50Gi", volumeType: "gp2" } }] })).toBe(node(instance, 5 / 730));
  });

  it("leaves types with no price unavailable, as Karpenter does, and lists them in a note", () => {
    const catalog = loadAwsInstanceTypes({ region: "eu-west-1" });
    const unpriced = catalog.instanceTypes.filter((t) => !catalogData().onDemandPrices.has(t.name));
    expect(unpriced.length).toBeGreaterThan(0);
    for (const it of unpriced) expect(it.offerings.every((o) => !o.available)).toBe(true);
    expect(catalog.notes.find((n) => n.includes("no on-demand price"))).toContain(unpriced[0]!.name);
  });

  it("rejects negative or non-finite prices", () => {
    expect(() => loadAwsInstanceTypes({ region: "us-east-1", spotPrices: new Map([["m5.large:us-east-1a", -1]]) })).toThrow(/spotPrices\[m5\.large:us-east-1a\]/);
    expect(() => loadAwsInstanceTypes({ region: "us-east-1", onDemandPrices: new Map([["m5.large", Number.NaN]]) })).toThrow(InputError);
  });
});

describe("labels and requirements", () => {
  it("carries well-known labels, the region, and DoesNotExist for labels the type lacks", () => {
    const m5 = find({ region: "us-west-2" }, "m5.large");
    expect(m5.labels).toMatchObject({
      "node.kubernetes.io/instance-type": "m5.large",
      "kubernetes.io/arch": "amd64",
      "kubernetes.io/os": "linux",
      "topology.kubernetes.io/region": "us-west-2",
      "karpenter.k8s.aws/instance-family": "m5",
      "karpenter.k8s.aws/instance-cpu": "2",
    });
    expect(m5.requirements).toContainEqual({ key: "karpenter.k8s.aws/instance-gpu-count", operator: "DoesNotExist" });
    expect(m5.requirements).toContainEqual({ key: "karpenter.k8s.aws/instance-tenancy", operator: "In", values: ["default", "dedicated"] });
    expect(requirementValues(m5, "topology.k8s.aws/zone-id")!.every((id) => id.startsWith("usw2-az"))).toBe(true);
    const p4d = find({ region: "us-east-1" }, "p4d.24xlarge");
    expect(requirementValues(p4d, "karpenter.k8s.aws/instance-gpu-count")).toEqual(["8"]);
  });

  it("puts every label into the requirements as a single-valued In", () => {
    const it = find({ region: "us-east-1" }, "c7i-flex.large");
    for (const [key, value] of Object.entries(it.labels)) expect(it.requirements).toContainEqual({ key, operator: "In", values: [value] });
    expect(it.labels["karpenter.k8s.aws/instance-capability-flex"]).toBe("true");
  });
});

describe("loading", () => {
  it("rejects a region that is not bundled, naming the choices", () => {
    expect(() => loadAwsInstanceTypes({ region: "ap-south-1" })).toThrow(/region: "ap-south-1" is not a bundled region \(us-east-1, us-west-2, eu-west-1\)/);
  });

  it("rejects bad controller options", () => {
    expect(() => loadAwsInstanceTypes({ region: "us-east-1", vmMemoryOverheadPercent: 1.5 })).toThrow(/vmMemoryOverheadPercent/);
    expect(() => loadAwsInstanceTypes({ region: "us-east-1", reservedENIs: -1 })).toThrow(/reservedENIs/);
  });

  it("never lists Mac types", () => {
    expect(loadAwsInstanceTypes({ region: "us-east-1" }).instanceTypes.some((t) => t.name.startsWith("mac"))).toBe(false);
  });

  it("returns the same frozen result for the same options", () => {
    const a = loadAwsInstanceTypes({ region: "us-east-1", zones: ["us-east-1b"] });
    const b = loadAwsInstanceTypes({ region: "us-east-1", zones: ["us-east-1b"] });
    expect(b).toBe(a);
    expect(Object.isFrozen(a.instanceTypes[0]!.offerings[0])).toBe(true);
    expect(loadAwsInstanceTypes({ region: "us-east-1", zones: ["us-east-1c"] })).not.toBe(a);
  });
});
