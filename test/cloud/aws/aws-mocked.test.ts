/**
 * What moto can't produce, with aws-sdk-client-mock: fleet capacity errors and the fallback they
 * trigger, the public EKS AMI parameters, spot price history and the Pricing API.
 */
import {
  CreateFleetCommand,
  type CreateFleetCommandInput,
  CreateLaunchTemplateCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSpotPriceHistoryCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { GetProductsCommand, PricingClient } from "@aws-sdk/client-pricing";
import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pricingEndpointRegion } from "../../../lib/cloud/aws/config.ts";
import { MAX_LAUNCH_ATTEMPTS } from "../../../lib/cloud/aws/launch/launcher.ts";
import { stableJson } from "../../../lib/cloud/aws/launch/template.ts";
import { parsePriceListItem } from "../../../lib/cloud/aws/pricing.ts";
import { ClientTokens } from "../../../lib/cloud/in-memory/client-tokens.ts";
import { InsufficientCapacityError } from "../../../lib/ports/cloud.ts";
import { UNAVAILABLE_OFFERING_TTL_MS } from "../../../lib/ports/unavailable-offerings.ts";
import { CLUSTER, fakeType, launchRequest, ManualClock } from "../../support/cloud.ts";
import { nodeClass } from "../../support/builders.ts";
import { AL2023_X86_PARAMETER, mockedAwsCloud } from "../../support/mocked-aws.ts";

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const pricing = mockClient(PricingClient);

const X86 = AL2023_X86_PARAMETER;
const X86_NVIDIA = "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/nvidia/recommended/image_id";

function setup() {
  return mockedAwsCloud(CLUSTER, new ManualClock());
}

const SUBNETS = [
  { SubnetId: "subnet-a", AvailabilityZone: "us-east-1a", AvailableIpAddressCount: 200, State: "available" as const },
  { SubnetId: "subnet-b", AvailabilityZone: "us-east-1b", AvailableIpAddressCount: 300, State: "available" as const },
];

beforeEach(() => {
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: SUBNETS });
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: "sg-1", GroupName: "nodes" }] });
  ec2.on(DescribeImagesCommand).resolves({ Images: [
    { ImageId: "ami-x86", Name: "al2023-x86", Architecture: "x86_64", CreationDate: "2026-10-01T00:00:00Z" },
    { ImageId: "ami-gpu", Name: "al2023-nvidia", Architecture: "x86_64", CreationDate: "2026-10-01T00:00:00Z" },
  ] });
  ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
  ec2.on(CreateLaunchTemplateCommand).resolves({});
  ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({
    Parameters: input.Names.filter((n) => n === X86 || n === X86_NVIDIA).map((n) => ({ Name: n, Value: n === X86 ? "ami-x86" : "ami-gpu" })),
    InvalidParameters: input.Names.filter((n) => n !== X86 && n !== X86_NVIDIA),
  }));
});

afterEach(() => {
  ec2.reset();
  ssm.reset();
  pricing.reset();
});

const types = [
  fakeType("m5.large", [{ zone: "us-east-1a", price: 0.08 }, { zone: "us-east-1b", price: 0.08 }]),
  fakeType("c5.large", [{ zone: "us-east-1a", price: 0.09 }, { zone: "us-east-1b", price: 0.09 }]),
];

function overridesOf(call: number): string[] {
  const input = ec2.commandCalls(CreateFleetCommand)[call]!.args[0].input;
  return input.LaunchTemplateConfigs!.flatMap((c) => c.Overrides!.map((o) => `${o.InstanceType}/${o.AvailabilityZone}`));
}

describe("CreateFleet client tokens, against EC2's token rules", () => {
  /**
   * CreateFleet as EC2 answers it: `respond` runs once per new token and its answer is kept; the
   * same token with the same request gets it again, with another request IdempotentParameterMismatch.
   * `lose` drops the answer of the calls it names on the way back, as a timeout would.
   */
  function fleetWithTokens(respond: Array<(input: CreateFleetCommandInput) => object>, lose: ReadonlySet<number> = new Set()) {
    const tokens = new ClientTokens<object>();
    let call = 0;
    let launched = 0;
    ec2.on(CreateFleetCommand).callsFake(async (input: CreateFleetCommandInput) => {
      const n = call++;
      const answer = await tokens.once(input.ClientToken!, stableJson({ ...input, ClientToken: undefined }), async () => respond[launched++]!(input));
      if (lose.has(n)) throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
      return answer;
    });
    return { launches: () => launched };
  }
  const c5 = { Instances: [{ InstanceIds: ["i-0c5"], InstanceType: "c5.large", Lifecycle: "on-demand", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "c5.large", SubnetId: "subnet-a", ImageId: "ami-x86" } } }] };
  const noM5 = { Errors: ["subnet-a", "subnet-b"].map((SubnetId) => ({ ErrorCode: "InsufficientInstanceCapacity", ErrorMessage: "no m5", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m5.large", SubnetId } } })) };

  it("a retried launch whose overrides changed uses a new token; an identical retry reuses it and gets the fleet EC2 already made", async () => {
    const { cloud } = setup();
    // First invocation: m5 is refused, then the fleet of c5 launches but its answer is lost.
    const fleet = fleetWithTokens([() => noM5, () => c5], new Set([1]));
    await expect(cloud.create(launchRequest(nodeClass(), types))).rejects.toThrow(/socket hang up/);
    // The retry (DescribeInstances does not show i-0c5 yet) plans without m5: the same request as
    // the lost one, so the same token, and EC2 answers with the instance it made.
    const instance = await cloud.create(launchRequest(nodeClass(), types));
    expect(instance.instanceId).toBe("i-0c5");
    expect(fleet.launches()).toBe(2);
    expect(overridesOf(0)).toEqual(["m5.large/us-east-1a", "m5.large/us-east-1b", "c5.large/us-east-1a", "c5.large/us-east-1b"]);
    expect(overridesOf(2)).toEqual(overridesOf(1));
    const tokens = ec2.commandCalls(CreateFleetCommand).map((c) => c.args[0].input.ClientToken);
    expect(tokens[2]).toBe(tokens[1]);
    expect(tokens[1]).not.toBe(tokens[0]);
  });
});

describe("launch fallback on capacity errors", () => {
  it("marks refused offerings unavailable for 3 minutes and launches from the remaining ones", async () => {
    const { cloud, clock, unavailable } = setup();
    ec2.on(CreateFleetCommand)
      .resolvesOnce({ Errors: [
        { ErrorCode: "InsufficientInstanceCapacity", ErrorMessage: "no m5", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m5.large", SubnetId: "subnet-a" } } },
        { ErrorCode: "InsufficientInstanceCapacity", ErrorMessage: "no m5", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m5.large", SubnetId: "subnet-b" } } },
      ] })
      .resolves({ Instances: [{ InstanceIds: ["i-0c5"], InstanceType: "c5.large", Lifecycle: "on-demand", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "c5.large", SubnetId: "subnet-b", ImageId: "ami-x86" } } }] });
    const instance = await cloud.create(launchRequest(nodeClass(), types));
    expect(instance).toMatchObject({ instanceId: "i-0c5", instanceType: "c5.large", zone: "us-east-1b", providerId: "aws:///us-east-1b/i-0c5" });
    expect(overridesOf(0)).toEqual(["m5.large/us-east-1a", "m5.large/us-east-1b", "c5.large/us-east-1a", "c5.large/us-east-1b"]);
    expect(overridesOf(1)).toEqual(["c5.large/us-east-1a", "c5.large/us-east-1b"]);
    const tokens = ec2.commandCalls(CreateFleetCommand).map((c) => c.args[0].input.ClientToken);
    expect(new Set(tokens).size).toBe(2);
    const marked = await unavailable.listUnavailable(clock.now());
    expect(marked.map((m) => [m.capacityType, m.instanceType, m.zone, m.reason, m.expiresAtMs])).toEqual([
      ["on-demand", "m5.large", "us-east-1a", "InsufficientInstanceCapacity", clock.now() + UNAVAILABLE_OFFERING_TTL_MS],
      ["on-demand", "m5.large", "us-east-1b", "InsufficientInstanceCapacity", clock.now() + UNAVAILABLE_OFFERING_TTL_MS],
    ]);
  });

  it("fails with InsufficientCapacityError listing every refused offering when all are refused", async () => {
    const { cloud } = setup();
    ec2.on(CreateFleetCommand).callsFake((input) => ({
      Errors: input.LaunchTemplateConfigs.flatMap((c: { Overrides: Array<{ InstanceType: string; SubnetId: string }> }) =>
        c.Overrides.map((o) => ({ ErrorCode: "VcpuLimitExceeded", ErrorMessage: "limit", LaunchTemplateAndOverrides: { Overrides: o } }))),
    }));
    const err = await cloud.create(launchRequest(nodeClass(), types)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCapacityError);
    expect((err as InsufficientCapacityError).failures.map((f) => `${f.offering.instanceType}/${f.offering.zone}/${f.code}`).sort()).toEqual([
      "c5.large/us-east-1a/VcpuLimitExceeded", "c5.large/us-east-1b/VcpuLimitExceeded", "m5.large/us-east-1a/VcpuLimitExceeded", "m5.large/us-east-1b/VcpuLimitExceeded",
    ]);
    expect(ec2.commandCalls(CreateFleetCommand).length).toBeLessThanOrEqual(MAX_LAUNCH_ATTEMPTS);
  });

  it("fails at once, without marking anything, on an error that is not about capacity", async () => {
    const { cloud, unavailable, clock } = setup();
    ec2.on(CreateFleetCommand).resolves({ Errors: [{ ErrorCode: "InvalidParameterValue", ErrorMessage: "bad subnet" }] });
    await expect(cloud.create(launchRequest(nodeClass(), types))).rejects.toThrow(/InvalidParameterValue: bad subnet/);
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
    expect(await unavailable.listUnavailable(clock.now())).toEqual([]);
  });

  it("treats a request-level capacity exception like a capacity error on every override", async () => {
    const { cloud, unavailable, clock } = setup();
    const limit = Object.assign(new Error("You have requested more vCPU capacity than your current limit"), { name: "VcpuLimitExceeded" });
    ec2.on(CreateFleetCommand).rejects(limit);
    const err = await cloud.create(launchRequest(nodeClass(), types)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCapacityError);
    expect((err as InsufficientCapacityError).failures.map((f) => f.code)).toEqual(Array(4).fill("VcpuLimitExceeded"));
    expect(await unavailable.listUnavailable(clock.now())).toHaveLength(4);
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
  });

  it("looks a launch template up again and retries once when CreateFleet says it is missing", async () => {
    const { cloud } = setup();
    ec2.on(CreateFleetCommand)
      .resolvesOnce({ Errors: [{ ErrorCode: "InvalidLaunchTemplateName.NotFoundException", ErrorMessage: "gone" }] })
      .resolves({ Instances: [{ InstanceIds: ["i-0ok"], InstanceType: "m5.large", Lifecycle: "on-demand", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m5.large", SubnetId: "subnet-a" } } }] });
    const instance = await cloud.create(launchRequest(nodeClass(), types));
    expect(instance.instanceId).toBe("i-0ok");
    expect(ec2.commandCalls(DescribeLaunchTemplatesCommand)).toHaveLength(2);
    expect(ec2.commandCalls(CreateLaunchTemplateCommand)).toHaveLength(2);
  });

  it("gives up after one retry when the template keeps going missing", async () => {
    const { cloud } = setup();
    ec2.on(CreateFleetCommand).resolves({ Errors: [{ ErrorCode: "InvalidLaunchTemplateName.NotFoundException", ErrorMessage: "gone" }] });
    await expect(cloud.create(launchRequest(nodeClass(), types))).rejects.toThrow(/InvalidLaunchTemplateName.NotFoundException/);
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(2);
  });

  it("returns the instance already launched for the NodeClaim instead of calling CreateFleet", async () => {
    const { cloud } = setup();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{
      InstanceId: "i-0old", InstanceType: "m5.large", Placement: { AvailabilityZone: "us-east-1a" }, State: { Name: "running" }, ImageId: "ami-x86",
      LaunchTime: new Date(0), Tags: [{ Key: "karpenter.sh/nodeclaim", Value: "default-abc12" }],
    }] }] });
    const instance = await cloud.create(launchRequest(nodeClass(), types));
    expect(instance.instanceId).toBe("i-0old");
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(0);
    const filters = ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters!;
    expect(filters).toContainEqual({ Name: "tag:karpenter.sh/nodeclaim", Values: ["default-abc12"] });
  });
});

describe("NodeClass resolution errors", () => {
  it("reports an API failure as not ready with the error, and does not cache it", async () => {
    const { cloud } = setup();
    ec2.on(DescribeSubnetsCommand).rejectsOnce(Object.assign(new Error("Rate exceeded"), { name: "RequestLimitExceeded" })).resolves({ Subnets: SUBNETS });
    const first = await cloud.resolveNodeClass(nodeClass());
    expect(first.ready).toBe(false);
    expect(first.conditions.find((c) => c.type === "SubnetsReady")?.message).toBe("RequestLimitExceeded: Rate exceeded");
    const second = await cloud.resolveNodeClass(nodeClass());
    expect(second.conditions.filter((c) => c.status !== "True")).toEqual([]);
    const calls = ec2.commandCalls(DescribeSubnetsCommand).length;
    const third = await cloud.resolveNodeClass(nodeClass());
    expect(third).toEqual(second);
    expect(ec2.commandCalls(DescribeSubnetsCommand)).toHaveLength(calls);
  });
});

describe("AMI aliases from the public SSM parameters", () => {
  it("reads the EKS AL2023 parameters for each architecture and variant, and gives GPU types the nvidia image", async () => {
    const { cloud } = setup();
    const resolved = await cloud.resolveNodeClass(nodeClass());
    const asked = ssm.commandCalls(GetParametersCommand).flatMap((c) => c.args[0].input.Names!);
    expect(asked).toEqual([
      X86,
      "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/arm64/standard/recommended/image_id",
      X86_NVIDIA,
      "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/arm64/nvidia/recommended/image_id",
      "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/neuron/recommended/image_id",
    ]);
    expect(resolved.amis.map((a) => a.id).sort()).toEqual(["ami-gpu", "ami-x86"]);
    ec2.on(CreateFleetCommand).resolves({ Instances: [{ InstanceIds: ["i-0g"], InstanceType: "g5.xlarge", Lifecycle: "on-demand" }] });
    const gpu = fakeType("g5.xlarge", [{ zone: "us-east-1a", price: 1 }], { "karpenter.k8s.aws/instance-gpu-count": "1" });
    await cloud.create(launchRequest(nodeClass(), [gpu]));
    const fleet = ec2.commandCalls(CreateFleetCommand)[0]!.args[0].input;
    expect(fleet.LaunchTemplateConfigs![0]!.Overrides![0]!.ImageId).toBe("ami-gpu");
  });

  it("reads a pinned AL2023 version from its release parameter", async () => {
    const { cloud } = setup();
    await cloud.resolveNodeClass(nodeClass({ amiSelectorTerms: [{ alias: "al2023@v20260912" }] }, "pinned"));
    const asked = ssm.commandCalls(GetParametersCommand).flatMap((c) => c.args[0].input.Names!);
    expect(asked[0]).toBe("/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.33-v20260912/image_id");
  });
});

describe("prices", () => {
  /** Every node's price includes its EBS volumes: AL2023's 20 GiB gp3 root volume, $0.002192/h in us-east-1. */
  const ROOT_VOLUME = 0.002192;
  const product = (type: string, usd: string) => JSON.stringify({
    product: { attributes: { instanceType: type } },
    terms: { OnDemand: { "X.Y": { priceDimensions: { "X.Y.Z": { unit: "Hrs", pricePerUnit: { USD: usd } } } } } },
  });

  it("asks the Pricing API with Karpenter's filters, in the endpoint region for the cluster's region", async () => {
    expect([pricingEndpointRegion("eu-west-1"), pricingEndpointRegion("ap-southeast-2"), pricingEndpointRegion("cn-north-1"), pricingEndpointRegion("us-west-2")])
      .toEqual(["eu-central-1", "ap-south-1", "cn-northwest-1", "us-east-1"]);
    const { cloud } = setup();
    pricing.on(GetProductsCommand).resolvesOnce({ PriceList: [product("m5.large", "0.5")], NextToken: "p2" }).resolvesOnce({ PriceList: [product("c5.large", "0.4")] }).resolves({ PriceList: [] });
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: [] });
    const snapshot = await cloud.refreshPrices();
    expect(snapshot.errors).toEqual([]);
    expect([...snapshot.onDemand!]).toEqual([["m5.large", 0.5], ["c5.large", 0.4]]);
    const first = pricing.commandCalls(GetProductsCommand)[0]!.args[0].input;
    expect(Object.fromEntries(first.Filters!.map((f) => [f.Field, f.Value]))).toEqual({
      regionCode: "us-east-1", serviceCode: "AmazonEC2", preInstalledSw: "NA", operatingSystem: "Linux", capacitystatus: "Used",
      marketoption: "OnDemand", tenancy: "Shared", productFamily: "Compute Instance",
    });
    expect(pricing.commandCalls(GetProductsCommand)[1]!.args[0].input.NextToken).toBe("p2");
    const m5 = (await cloud.instanceTypes(nodeClass())).find((t) => t.name === "m5.large")!;
    expect(new Set(m5.offerings.filter((o) => o.capacityType === "on-demand").map((o) => o.price))).toEqual(new Set([ROOT_VOLUME + 0.5]));
  });

  it("uses the newest spot price per type and zone, and offers no spot where there is none", async () => {
    const { cloud } = setup();
    pricing.on(GetProductsCommand).resolves({ PriceList: [] });
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: [
      { InstanceType: "m5.large", AvailabilityZone: "us-east-1a", SpotPrice: "0.050", Timestamp: new Date("2026-11-01T00:00:00Z") },
      { InstanceType: "m5.large", AvailabilityZone: "us-east-1a", SpotPrice: "0.031", Timestamp: new Date("2026-11-01T01:00:00Z") },
    ] });
    const snapshot = await cloud.refreshPrices();
    expect([...snapshot.spot!]).toEqual([["m5.large:us-east-1a", 0.031]]);
    const spotInput = ec2.commandCalls(DescribeSpotPriceHistoryCommand)[0]!.args[0].input;
    expect(spotInput.ProductDescriptions).toEqual(["Linux/UNIX", "Linux/UNIX (Amazon VPC)"]);
    const m5 = (await cloud.instanceTypes(nodeClass())).find((t) => t.name === "m5.large")!;
    const spot = m5.offerings.filter((o) => o.capacityType === "spot");
    expect(spot.find((o) => o.zone === "us-east-1a")).toMatchObject({ price: ROOT_VOLUME + 0.031, available: true });
    expect(spot.find((o) => o.zone === "us-east-1b")?.available ?? false).toBe(false);
  });

  it("reads prices on the first listing and again once they are 12 h old (a failed read after 5 minutes), not on every call", async () => {
    const clock = new ManualClock();
    const { cloud } = mockedAwsCloud(CLUSTER, clock, { priceRefreshMs: 12 * 3_600_000 });
    pricing.on(GetProductsCommand).resolves({ PriceList: [product("m5.large", "0.5")] });
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: [] });
    const onDemandPrice = async () => (await cloud.instanceTypes(nodeClass())).find((t) => t.name === "m5.large")!.offerings.find((o) => o.capacityType === "on-demand")!.price;
    const reads = () => ec2.commandCalls(DescribeSpotPriceHistoryCommand).length;

    expect(await onDemandPrice()).toBe(ROOT_VOLUME + 0.5);
    expect(reads()).toBe(1);
    clock.advance(11 * 3_600_000);
    await onDemandPrice();
    expect(reads()).toBe(1);
    clock.advance(3_600_000);
    pricing.on(GetProductsCommand).rejects(new Error("throttled"));
    expect(await onDemandPrice()).toBe(ROOT_VOLUME + 0.5); // the last good price stands
    expect(reads()).toBe(2);
    clock.advance(60_000);
    await onDemandPrice();
    expect(reads()).toBe(2);
    clock.advance(4 * 60_000);
    await onDemandPrice();
    expect(reads()).toBe(3);
  });

  it("keeps the last good prices and reports the error when a refresh fails", async () => {
    const { cloud } = setup();
    pricing.on(GetProductsCommand).resolvesOnce({ PriceList: [product("m5.large", "0.5")] }).resolvesOnce({ PriceList: [] }).rejects(new Error("throttled"));
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: [] });
    await cloud.refreshPrices();
    const again = await cloud.refreshPrices();
    expect(again.errors).toEqual([expect.stringContaining("on-demand prices: Error: throttled")]);
    expect(again.onDemand?.get("m5.large")).toBe(0.5);
  });

  it("reads a price list entry, and ignores entries without a usable price", () => {
    expect(parsePriceListItem(product("m5.large", "0.0960000000"))).toEqual({ instanceType: "m5.large", price: 0.096 });
    expect(parsePriceListItem(product("m5.large", "0.0000000000"))).toBeUndefined();
    expect(parsePriceListItem("{not json")).toBeUndefined();
    expect(parsePriceListItem(JSON.stringify({ product: {} }))).toBeUndefined();
  });
});
