/**
 * Instance types and offerings read from EC2 (lib/cloud/aws/catalog/live.ts) on a moto server, so
 * Tenon works in a region the bundled catalog does not carry, as Karpenter discovers types live.
 */
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
} from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { AwsCloud } from "../../../lib/cloud/aws/aws-cloud.ts";
import { catalogData } from "../../../lib/cloud/aws/catalog/index.ts";
import { catalogTypeOf } from "../../../lib/cloud/aws/catalog/live.ts";
import { createAwsClients } from "../../../lib/cloud/aws/config.ts";
import { createMemoryStore } from "../../../lib/store/in-memory/memory-store.ts";
import { CLUSTER, ManualClock } from "../../support/cloud.ts";
import { nodeClass } from "../../support/builders.ts";
import { motoConfig } from "../../support/moto-env.ts";
import { MOTO_CREDENTIALS, useMoto } from "../../support/moto.ts";

const moto = useMoto();
const REGION = "ap-southeast-2";

/** A cluster's VPC in `region` on moto: one discovery-tagged subnet in its first zone, a security group, an AMI id. */
async function regionAccount(region: string) {
  const clients = createAwsClients({ region, endpoint: moto().endpoint, credentials: MOTO_CREDENTIALS, maxAttempts: 1 });
  const discovery = [{ Key: "karpenter.sh/discovery", Value: CLUSTER }];
  const vpcId = (await clients.ec2.send(new CreateVpcCommand({ CidrBlock: "10.1.0.0/16" }))).Vpc!.VpcId!;
  await clients.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.1.1.0/24", AvailabilityZone: `${region}a`, TagSpecifications: [{ ResourceType: "subnet", Tags: discovery }] }));
  await clients.ec2.send(new CreateSecurityGroupCommand({ GroupName: "nodes", Description: "nodes", VpcId: vpcId, TagSpecifications: [{ ResourceType: "security-group", Tags: discovery }] }));
  const ami = ((await clients.ec2.send(new DescribeImagesCommand({ Owners: ["amazon"] }))).Images ?? []).find((i) => i.Architecture === "x86_64")!.ImageId!;
  return { clients, ami };
}

describe("instance types read from EC2 (any region)", () => {
  it("in a region the bundled catalog lacks, lists the region's own offerings in the cluster's subnet zones", async () => {
    const { clients, ami } = await regionAccount(REGION);
    const cloud = new AwsCloud({ clients, config: motoConfig({ region: REGION }), clock: new ManualClock(Date.parse("2026-06-01T00:00:00Z")), unavailable: createMemoryStore() });
    const types = (await cloud.instanceTypes(nodeClass({ amiSelectorTerms: [{ id: ami }] }))).filter((t) => t.offerings.length > 0);

    // What EC2 offers in the subnet's physical zone (its zone id: names map to zones per account).
    const zoneId = (await clients.ec2.send(new DescribeAvailabilityZonesCommand({ ZoneNames: [`${REGION}a`] }))).AvailabilityZones![0]!.ZoneId!;
    const offered = new Set(((await clients.ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: "availability-zone-id", Filters: [{ Name: "location", Values: [zoneId] }] }))).InstanceTypeOfferings ?? []).map((o) => String(o.InstanceType)));
    expect(types.length).toBeGreaterThan(100);
    // Every listed type is offered in the subnet's zone, and only that zone is offered.
    expect(types.filter((t) => !offered.has(t.name)).map((t) => t.name)).toEqual([]);
    expect(new Set(types.flatMap((t) => t.offerings.map((o) => o.zone)))).toEqual(new Set([`${REGION}a`]));
    // A type the region does not offer at all is not listed (the bundled us-east-1 list would have it).
    const usEast1Only = [...catalogData().regions.get("us-east-1")!.offeredZoneIds.keys()].find((name) => !offered.has(name))!;
    expect(usEast1Only).toBeDefined();
    expect(types.map((t) => t.name)).not.toContain(usEast1Only);
    expect(types.find((t) => t.name === "m5.large")?.labels["topology.kubernetes.io/region"]).toBe(REGION);
  });

  it("with INSTANCE_CATALOG=bundled, a region the catalog lacks is an error that names the way out", async () => {
    const { clients, ami } = await regionAccount(REGION);
    const cloud = new AwsCloud({ clients, config: motoConfig({ region: REGION, instanceCatalog: "bundled" }), clock: new ManualClock(0), unavailable: createMemoryStore() });
    await expect(cloud.instanceTypes(nodeClass({ amiSelectorTerms: [{ id: ami }] }))).rejects.toThrow(/"ap-southeast-2" is not a bundled region.*INSTANCE_CATALOG=live/);
  });

  it("reads a type the bundled catalog does not know from DescribeInstanceTypes with the same facts the bundled catalog holds", async () => {
    const { clients } = await regionAccount("us-east-1");
    const infos = (await clients.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ["m5.large", "g5.xlarge", "inf2.xlarge", "c6gd.large", "p4d.24xlarge"] as never }))).InstanceTypes ?? [];
    expect(infos).toHaveLength(5);
    const bundled = new Map(catalogData().instanceTypes.map((t) => [t.name, t]));
    for (const info of infos) {
      const { networkBandwidthMbps: _a, podENIs: _b, ...fromApi } = catalogTypeOf(info)!;
      const { networkBandwidthMbps: _c, podENIs: _d, ...known } = bundled.get(info.InstanceType!)!;
      expect(fromApi, info.InstanceType).toEqual(known);
    }
  });
});
