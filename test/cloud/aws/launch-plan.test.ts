import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFleetInput, interpretFleetOutput } from "../../../lib/cloud/aws/launch/fleet.ts";
import { isExotic, MAX_INSTANCE_TYPES, planLaunch, subnetsByZone, type LaunchOption } from "../../../lib/cloud/aws/launch/plan.ts";
import { labelsSatisfy } from "../../../lib/requirements/node-selector.ts";
import { typeLabels } from "../../../lib/cloud/aws/requirements.ts";
import { launchTags } from "../../../lib/cloud/aws/tags.ts";
import type { ResolvedAmi, ResolvedSubnet } from "../../../lib/ports/cloud.ts";
import { fakeType } from "../../support/cloud.ts";

const subnets: ResolvedSubnet[] = [
  { id: "subnet-a1", zone: "z-a", availableIps: 100 },
  { id: "subnet-a2", zone: "z-a", availableIps: 900 },
  { id: "subnet-b1", zone: "z-b", availableIps: 50 },
];
const standardAmi: ResolvedAmi = {
  id: "ami-std", requirements: [
    { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
    { key: "karpenter.k8s.aws/instance-gpu-count", operator: "DoesNotExist" },
  ],
};
const gpuAmi: ResolvedAmi = { id: "ami-gpu", requirements: [{ key: "karpenter.k8s.aws/instance-gpu-count", operator: "Exists" }] };
const both = [{ key: "karpenter.sh/capacity-type", operator: "In" as const, values: ["spot", "on-demand"] }];
const onDemandOnly = [{ key: "karpenter.sh/capacity-type", operator: "In" as const, values: ["on-demand"] }];

function plan(input: Partial<Parameters<typeof planLaunch>[0]>) {
  const result = planLaunch({ instanceTypes: [], requirements: both, subnets, amis: [standardAmi, gpuAmi], unavailable: new Set(), ...input });
  if ("reason" in result) throw new Error(result.reason);
  return result;
}

describe("planLaunch", () => {
  it("uses one subnet per zone, the one with the most free addresses", () => {
    expect([...subnetsByZone(subnets).values()].map((s) => s.id)).toEqual(["subnet-a2", "subnet-b1"]);
    const p = plan({ instanceTypes: [fakeType("m5.large", [{ zone: "z-a" }, { zone: "z-b" }])], requirements: onDemandOnly });
    expect(p.options.map((o) => o.subnet.id)).toEqual(["subnet-a2", "subnet-b1"]);
  });

  it("prefers spot over on-demand when both are allowed, and reserved over both", () => {
    const t = fakeType("m5.large", [{ zone: "z-a", capacityType: "on-demand", price: 0.1 }, { zone: "z-a", capacityType: "spot", price: 0.04 }]);
    expect(plan({ instanceTypes: [t] }).capacityType).toBe("spot");
    expect(plan({ instanceTypes: [t], requirements: onDemandOnly }).capacityType).toBe("on-demand");
    const r = fakeType("m5.xlarge", [{ zone: "z-b", capacityType: "reserved", price: 0.00001, reservationId: "cr-1" }]);
    expect(plan({ instanceTypes: [t, r], requirements: [] }).capacityType).toBe("reserved");
  });

  it("drops spot offerings dearer than the cheapest on-demand offering", () => {
    const cheapOd = fakeType("c5.large", [{ zone: "z-a", capacityType: "on-demand", price: 0.085 }]);
    const dearSpot = fakeType("m5.large", [{ zone: "z-a", capacityType: "spot", price: 0.09 }, { zone: "z-b", capacityType: "spot", price: 0.05 }]);
    const p = plan({ instanceTypes: [cheapOd, dearSpot] });
    expect(p.capacityType).toBe("spot");
    expect(p.options.map((o) => `${o.instanceType.name}/${o.offering.zone}`)).toEqual(["m5.large/z-b"]);
  });

  it("falls back to on-demand when every spot offering is dearer than on-demand", () => {
    const t = fakeType("m5.large", [{ zone: "z-a", capacityType: "on-demand", price: 0.1 }, { zone: "z-a", capacityType: "spot", price: 0.2 }]);
    expect(plan({ instanceTypes: [t] }).capacityType).toBe("on-demand");
  });

  it("uses GPU and metal types only when nothing else fits", () => {
    const gpu = fakeType("g5.xlarge", [{ zone: "z-a", price: 0.01 }], { "karpenter.k8s.aws/instance-gpu-count": "1" });
    const metal = fakeType("m5.metal", [{ zone: "z-a", price: 0.02 }]);
    const plain = fakeType("m5.large", [{ zone: "z-a", price: 0.1 }]);
    expect(isExotic(gpu) && isExotic(metal) && !isExotic(plain)).toBe(true);
    expect(plan({ instanceTypes: [gpu, metal, plain], requirements: onDemandOnly }).options.map((o) => o.instanceType.name)).toEqual(["m5.large"]);
    const gpuOnly = plan({ instanceTypes: [gpu], requirements: onDemandOnly });
    expect(gpuOnly.options.map((o) => [o.instanceType.name, o.ami.id])).toEqual([["g5.xlarge", "ami-gpu"]]);
  });

  it("skips offerings marked unavailable, outside the allowed zones, or without a subnet", () => {
    const t = fakeType("m5.large", [{ zone: "z-a", price: 0.1 }, { zone: "z-b", price: 0.1 }, { zone: "z-c", price: 0.01 }]);
    const p = plan({ instanceTypes: [t], requirements: onDemandOnly, unavailable: new Set(["on-demand:m5.large:z-a"]) });
    expect(p.options.map((o) => o.offering.zone)).toEqual(["z-b"]);
    const zoned = plan({ instanceTypes: [t], requirements: [...onDemandOnly, { key: "topology.kubernetes.io/zone", operator: "In", values: ["z-a"] }] });
    expect(zoned.options.map((o) => o.offering.zone)).toEqual(["z-a"]);
    const none = planLaunch({ instanceTypes: [t], requirements: onDemandOnly, subnets, amis: [standardAmi], unavailable: new Set(["on-demand:m5.large:z-a", "on-demand:m5.large:z-b"]) });
    expect(none).toMatchObject({ reason: expect.stringContaining("no available offering") });
  });

  it("says so when no image fits any candidate type", () => {
    const arm = fakeType("m7g.large", [{ zone: "z-a" }], { "kubernetes.io/arch": "arm64" });
    expect(planLaunch({ instanceTypes: [arm], requirements: onDemandOnly, subnets, amis: [standardAmi], unavailable: new Set() })).toEqual({ reason: "no image fits the 1 candidate instance types" });
  });

  it("writes kubelet maxPods when set, else the type's pod capacity", () => {
    const t = fakeType("m5.large", [{ zone: "z-a" }], {}, 29);
    expect(plan({ instanceTypes: [t], requirements: onDemandOnly }).options[0]!.maxPods).toBe(29);
    expect(plan({ instanceTypes: [t], requirements: onDemandOnly, kubeletMaxPods: 110 }).options[0]!.maxPods).toBe(110);
  });

  it("keeps at most 60 types, the cheapest, ordered cheapest first (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 120 }), (prices) => {
        const types = prices.map((p, i) => fakeType(`t${i}.large`, [{ zone: "z-a", price: p / 1000 }]));
        const p = plan({ instanceTypes: types, requirements: onDemandOnly });
        expect(p.options.length).toBe(Math.min(prices.length, MAX_INSTANCE_TYPES));
        const chosen = p.options.map((o) => o.offering.price);
        expect(chosen).toEqual([...chosen].sort((a, b) => a - b));
        const cutoff = Math.max(...chosen);
        expect(prices.filter((x) => x / 1000 < cutoff).length).toBeLessThanOrEqual(MAX_INSTANCE_TYPES);
      }),
    );
  });
});

describe("CreateFleet request", () => {
  const options = plan({ instanceTypes: [fakeType("m5.large", [{ zone: "z-a", price: 0.096 }, { zone: "z-b", price: 0.096 }]), fakeType("c5.large", [{ zone: "z-a", price: 0.085 }])], requirements: onDemandOnly }).options;
  const tags = launchTags({ clusterName: "c1", nodePoolName: "np", nodeClaimName: "np-x", nodeClassName: "nc", nodeClassTags: { team: "a" } });
  const nodeClaim = { name: "np-x", uid: "u-1" };

  it("is an instant fleet of one, lowest-price on-demand, with overrides per type and zone priced as Priority", () => {
    const input = createFleetInput({ groups: [{ templateName: "lt-1", options }], capacityType: "on-demand", tags, nodeClaim });
    expect(input).toMatchObject({ Type: "instant", TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: "on-demand" }, OnDemandOptions: { AllocationStrategy: "lowest-price" } });
    expect(input.SpotOptions).toBeUndefined();
    expect(input.LaunchTemplateConfigs![0]!.Overrides).toEqual([
      { InstanceType: "c5.large", SubnetId: "subnet-a2", ImageId: "ami-std", AvailabilityZone: "z-a", Priority: 0.085 },
      { InstanceType: "m5.large", SubnetId: "subnet-a2", ImageId: "ami-std", AvailabilityZone: "z-a", Priority: 0.096 },
      { InstanceType: "m5.large", SubnetId: "subnet-b1", ImageId: "ami-std", AvailabilityZone: "z-b", Priority: 0.096 },
    ]);
    expect(input.TagSpecifications!.map((t) => t.ResourceType)).toEqual(["instance", "volume", "fleet"]);
    expect(Object.fromEntries(input.TagSpecifications![0]!.Tags!.map((t) => [t.Key, t.Value]))).toEqual({
      team: "a", "kubernetes.io/cluster/c1": "owned", "tenon.sh/managed-by": "c1", "karpenter.sh/nodepool": "np", "karpenter.sh/nodeclaim": "np-x", "eks:eks-cluster-name": "c1", "tenon.sh/ec2nodeclass": "nc",
    });
  });

  it("uses price-capacity-optimized for spot", () => {
    const input = createFleetInput({ groups: [{ templateName: "lt-1", options }], capacityType: "spot", tags, nodeClaim });
    expect(input.SpotOptions).toEqual({ AllocationStrategy: "price-capacity-optimized" });
    expect(input.TargetCapacitySpecification!.DefaultTargetCapacityType).toBe("spot");
  });

  it("derives the client token from the NodeClaim and the exact request: equal requests share it, any change makes a new one", () => {
    const token = (input: Parameters<typeof createFleetInput>[0]) => createFleetInput(input).ClientToken!;
    const base = { groups: [{ templateName: "lt-1", options }], capacityType: "on-demand" as const, tags, nodeClaim };
    expect(token(base)).toBe(token({ ...base, groups: [{ templateName: "lt-1", options: [...options] }] }));
    const variants = [
      base,
      { ...base, groups: [{ templateName: "lt-1", options: options.slice(1) }] },
      { ...base, groups: [{ templateName: "lt-2", options }] },
      { ...base, capacityType: "spot" as const },
      { ...base, nodeClaim: { name: "np-x", uid: "u-2" } },
      { ...base, nodeClaim: { name: "np-y", uid: "u-1" } },
    ];
    expect(new Set(variants.map(token)).size).toBe(variants.length);
    expect(token(base).length).toBeLessThanOrEqual(64);
  });

  it("maps capacity errors to the offerings they name and other errors to otherErrors", () => {
    const outcome = interpretFleetOutput({
      Errors: [
        { ErrorCode: "InsufficientInstanceCapacity", ErrorMessage: "none", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m5.large", SubnetId: "subnet-b1" } } },
        { ErrorCode: "UnfulfillableCapacity", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "c5.large" } } },
        { ErrorCode: "InvalidLaunchTemplateName.NotFoundException", ErrorMessage: "gone" },
      ],
    }, options as LaunchOption[], "on-demand");
    expect(outcome.instance).toBeUndefined();
    expect(outcome.capacityFailures.map((f) => `${f.offering.instanceType}/${f.offering.zone}/${f.code}`)).toEqual([
      "m5.large/z-b/InsufficientInstanceCapacity", "c5.large/z-a/UnfulfillableCapacity",
    ]);
    expect(outcome.otherErrors).toEqual([{ code: "InvalidLaunchTemplateName.NotFoundException", message: "gone" }]);
  });

  it("reads the launched instance's type, zone, lifecycle, image and subnet", () => {
    const outcome = interpretFleetOutput({
      Instances: [{ InstanceIds: ["i-0abc"], InstanceType: "m5.large", Lifecycle: "spot", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m5.large", SubnetId: "subnet-b1", ImageId: "ami-std" } } }],
    }, options as LaunchOption[], "spot");
    expect(outcome.instance).toEqual({ instanceId: "i-0abc", instanceType: "m5.large", zone: "z-b", capacityType: "spot", imageId: "ami-std", subnetId: "subnet-b1" });
  });
});

describe("planLaunch invariants (property)", () => {
  const zones = ["z-a", "z-b", "z-c"];
  const offeringArb = fc.record({
    zone: fc.constantFrom(...zones),
    capacityType: fc.constantFrom("on-demand" as const, "spot" as const, "reserved" as const),
    price: fc.integer({ min: 1, max: 1000 }).map((p) => p / 1000),
    available: fc.boolean(),
  });
  const typeArb = fc.tuple(fc.array(offeringArb, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.boolean());
  const reqArb = fc.record({
    capacity: fc.subarray(["on-demand", "spot", "reserved"], { minLength: 1 }),
    zones: fc.subarray(zones, { minLength: 1 }),
  });

  it("every option is available, allowed, reachable, of one capacity type, and cheapest first", () => {
    fc.assert(fc.property(fc.array(typeArb, { minLength: 1, maxLength: 15 }), reqArb, fc.subarray(zones), (specs, req, iceZones) => {
      const types = specs.map(([offerings, gpu, arm], i) =>
        fakeType(`t${i}.large`, offerings, { ...(gpu ? { "karpenter.k8s.aws/instance-gpu-count": "1" } : {}), ...(arm ? { "kubernetes.io/arch": "arm64" } : {}) }));
      const unavailable = new Set(types.flatMap((t) => iceZones.map((z) => `spot:${t.name}:${z}`)));
      const requirements = [
        { key: "karpenter.sh/capacity-type", operator: "In" as const, values: req.capacity },
        { key: "topology.kubernetes.io/zone", operator: "In" as const, values: req.zones },
      ];
      const result = planLaunch({ instanceTypes: types, requirements, subnets, amis: [standardAmi, gpuAmi], unavailable });
      if ("reason" in result) return;
      expect(result.options.length).toBeGreaterThan(0);
      for (const o of result.options) {
        expect(o.offering.available).toBe(true);
        expect(o.offering.capacityType).toBe(result.capacityType);
        expect(req.capacity).toContain(o.offering.capacityType);
        expect(req.zones).toContain(o.offering.zone);
        expect(o.subnet.zone).toBe(o.offering.zone);
        expect(unavailable.has(`${o.offering.capacityType}:${o.instanceType.name}:${o.offering.zone}`)).toBe(false);
        expect(labelsSatisfy(typeLabels(o.instanceType), o.ami.requirements)).toBe(true);
      }
      const prices = result.options.map((o) => o.offering.price);
      expect(prices).toEqual([...prices].sort((a, b) => a - b));
    }), { numRuns: 300 });
  });
});
