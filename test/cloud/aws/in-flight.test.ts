/** In-flight subnet IP accounting: launches between two DescribeSubnets reports spread over subnets. */
import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InFlightLedger, subnetKey } from "../../../lib/cloud/aws/in-flight.ts";
import { CLUSTER, fakeType, launchRequest, ManualClock } from "../../support/cloud.ts";
import { nodeClass } from "../../support/builders.ts";
import { AL2023_X86_PARAMETER, mockedAwsCloud } from "../../support/mocked-aws.ts";

describe("InFlightLedger", () => {
  const subnets = [{ id: "subnet-a", zone: "us-east-1a", availableIps: 100 }, { id: "subnet-b", zone: "us-east-1a", availableIps: 90 }];

  it("subtracts uses recorded since the report, not before it, never below zero, and re-sorts emptiest last", () => {
    const ledger = new InFlightLedger(120_000);
    ledger.record(subnetKey("subnet-a"), 5, 1_000); // before the report: already in its count
    ledger.record(subnetKey("subnet-a"), 29, 2_000);
    expect(ledger.subnets(subnets, 2_000)).toEqual([
      { id: "subnet-b", zone: "us-east-1a", availableIps: 90 },
      { id: "subnet-a", zone: "us-east-1a", availableIps: 71 },
    ]);
    ledger.record(subnetKey("subnet-b"), 500, 2_500);
    expect(ledger.subnets(subnets, 2_000).find((s) => s.id === "subnet-b")?.availableIps).toBe(0);
  });

  it("nets a refund against its charge when both carry the charge's time", () => {
    const ledger = new InFlightLedger(120_000);
    ledger.record(subnetKey("subnet-a"), 29, 2_000);
    ledger.record(subnetKey("subnet-a"), -29, 2_000);
    expect(ledger.usedSince(subnetKey("subnet-a"), 0)).toBe(0);
  });

  it("forgets uses older than its horizon", () => {
    const ledger = new InFlightLedger(60_000);
    ledger.record(subnetKey("subnet-a"), 29, 0);
    ledger.record(subnetKey("subnet-a"), 1, 60_000);
    expect(ledger.usedSince(subnetKey("subnet-a"), 0)).toBe(1);
  });
});

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const X86 = AL2023_X86_PARAMETER;

describe("launches between subnet reports", () => {
  beforeEach(() => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    // One zone, two subnets: a has 10 more free addresses than b.
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [
      { SubnetId: "subnet-a", AvailabilityZone: "us-east-1a", AvailableIpAddressCount: 100, State: "available" },
      { SubnetId: "subnet-b", AvailabilityZone: "us-east-1a", AvailableIpAddressCount: 90, State: "available" },
    ] });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: "sg-1" }] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: "ami-x86", Architecture: "x86_64", CreationDate: "2026-10-01T00:00:00Z" }] });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    ec2.on(CreateLaunchTemplateCommand).resolves({});
    ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({ Parameters: input.Names.filter((n) => n === X86).map((n) => ({ Name: n, Value: "ami-x86" })) }));
    // EC2 launches into the first override's subnet.
    let n = 0;
    ec2.on(CreateFleetCommand).callsFake((input) => {
      const o = input.LaunchTemplateConfigs[0].Overrides[0];
      return { Instances: [{ InstanceIds: [`i-0${++n}`], InstanceType: o.InstanceType, Lifecycle: "on-demand", LaunchTemplateAndOverrides: { Overrides: o } }] };
    });
  });
  afterEach(() => {
    ec2.reset();
    ssm.reset();
  });

  const subnetOf = (call: number) => ec2.commandCalls(CreateFleetCommand)[call]!.args[0].input.LaunchTemplateConfigs![0]!.Overrides![0]!.SubnetId;

  it("charge the chosen subnet the candidates' fewest pods, so the next launch picks the other one; failures give the charge back", async () => {
    const { cloud } = mockedAwsCloud(CLUSTER, new ManualClock());
    // Fewest pods among the candidates: 11 (the 29-pod type does not set the charge).
    const types = [fakeType("m5.large", [{ zone: "us-east-1a" }], {}, 29), fakeType("t3.small", [{ zone: "us-east-1a", price: 0.02 }], {}, 11)];
    await cloud.create(launchRequest(nodeClass(), types, { nodeClaimName: "default-aaaaa", nodeClaimUid: "u-a" }));
    expect(subnetOf(0)).toBe("subnet-a");
    expect((await cloud.resolveNodeClass(nodeClass())).subnets.map((s) => [s.id, s.availableIps])).toEqual([["subnet-b", 90], ["subnet-a", 89]]);
    await cloud.create(launchRequest(nodeClass(), types, { nodeClaimName: "default-bbbbb", nodeClaimUid: "u-b" }));
    expect(subnetOf(1)).toBe("subnet-b");

    ec2.on(CreateFleetCommand).resolves({ Errors: [{ ErrorCode: "InvalidParameterValue", ErrorMessage: "bad" }] });
    const before = (await cloud.resolveNodeClass(nodeClass())).subnets;
    await expect(cloud.create(launchRequest(nodeClass(), types, { nodeClaimName: "default-ccccc", nodeClaimUid: "u-c" }))).rejects.toThrow(/InvalidParameterValue/);
    expect((await cloud.resolveNodeClass(nodeClass())).subnets).toEqual(before);
  });

  it("count a subnet EC2 reports out of addresses as empty until the next report", async () => {
    const { cloud, clock } = mockedAwsCloud(CLUSTER, new ManualClock());
    ec2.on(CreateFleetCommand).resolves({ Errors: [{ ErrorCode: "InsufficientFreeAddressesInSubnet", ErrorMessage: "full", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m5.large", SubnetId: "subnet-a" } } }] });
    await expect(cloud.create(launchRequest(nodeClass(), [fakeType("m5.large", [{ zone: "us-east-1a" }])]))).rejects.toThrow(/InsufficientFreeAddressesInSubnet/);
    expect((await cloud.resolveNodeClass(nodeClass())).subnets.map((s) => [s.id, s.availableIps])).toEqual([["subnet-b", 90], ["subnet-a", 0]]);
    clock.advance(60_000);
    expect((await cloud.resolveNodeClass(nodeClass())).subnets.map((s) => [s.id, s.availableIps])).toEqual([["subnet-a", 100], ["subnet-b", 90]]);
  });
});
