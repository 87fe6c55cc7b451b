/** The EC2 adapter against a real moto server: discovery, launch templates, CreateFleet, instances, GC. */
import { CreateSubnetCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand } from "@aws-sdk/client-ec2";
import { CreateInstanceProfileCommand } from "@aws-sdk/client-iam";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { NodeClassResolver } from "../../../lib/cloud/aws/nodeclass-resolver.ts";
import { parseMime } from "../../../lib/cloud/aws/userdata/mime.ts";
import { useMoto } from "../../support/moto.ts";
import { describeCloudContract } from "../cloud-contract.ts";
import { CLUSTER, launchRequest, ManualClock } from "../../support/cloud.ts";
import { nodeClass } from "../../support/builders.ts";
import { buildAccount, karpenterInstance, leakInstance, motoCloud, motoConfig, readInstanceProfile, SSM_PREFIX } from "../../support/moto-env.ts";

const moto = useMoto();

describeCloudContract("EC2 adapter on moto", async () => {
  const account = await buildAccount(moto().endpoint);
  const { cloud } = motoCloud(account);
  return {
    cloud,
    nodeClass: nodeClass(),
    zones: ["us-east-1a", "us-east-1b"],
    nowMs: () => Date.now(),
    roles: account.roles,
    instanceProfile: (name) => readInstanceProfile(account.clients, name),
    cleanupInstanceProfiles: (keep) => cloud.cleanupInstanceProfiles(keep),
    putInstanceProfile: async (InstanceProfileName, Path, tags) => {
      await account.clients.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName, Path, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    },
    leakInstance: () => leakInstance(account),
    karpenterInstance: () => karpenterInstance(account),
  };
});

describe("EC2NodeClass resolution on moto", () => {
  it("finds subnets by tag with a wildcard value, by id, and ORs the terms", async () => {
    const account = await buildAccount(moto().endpoint);
    const { cloud } = motoCloud(account);
    const wildcard = await cloud.resolveNodeClass(nodeClass({ subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "*" } }] }, "wild"));
    expect(wildcard.subnets.map((s) => s.id).sort()).toEqual([...account.subnets.map((s) => s.id), account.decoySubnetId].sort());
    const ored = await cloud.resolveNodeClass(nodeClass({ subnetSelectorTerms: [{ id: account.decoySubnetId }, { tags: { Name: "private-us-east-1a" } }] }, "ored"));
    expect(ored.subnets.map((s) => s.id).sort()).toEqual([account.decoySubnetId, account.subnets[0]!.id].sort());
    const anded = await cloud.resolveNodeClass(nodeClass({ subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": CLUSTER, Name: "private-us-east-1b" } }] }, "anded"));
    expect(anded.subnets).toEqual([expect.objectContaining({ id: account.subnets[1]!.id, zone: "us-east-1b", availableIps: expect.any(Number) })]);
  });

  it("finds security groups by name and by id", async () => {
    const account = await buildAccount(moto().endpoint);
    const { cloud } = motoCloud(account);
    const byName = await cloud.resolveNodeClass(nodeClass({ securityGroupSelectorTerms: [{ name: `${CLUSTER}-node` }] }, "n"));
    expect(byName.securityGroups.map((g) => g.id)).toEqual([account.securityGroupId]);
    const byId = await cloud.resolveNodeClass(nodeClass({ securityGroupSelectorTerms: [{ id: account.securityGroupId }] }, "i"));
    expect(byId.securityGroups).toEqual([{ id: account.securityGroupId, name: `${CLUSTER}-node` }]);
  });

  it("resolves the al2023 alias from the SSM parameters into per-architecture images", async () => {
    const account = await buildAccount(moto().endpoint);
    const { cloud } = motoCloud(account);
    const resolved = await cloud.resolveNodeClass(nodeClass());
    const x86 = resolved.amis.find((a) => a.requirements.some((r) => r.key === "kubernetes.io/arch" && r.values?.[0] === "amd64"));
    expect(x86?.id).toBe(account.amiX86);
    expect(x86?.requirements).toContainEqual({ key: "karpenter.k8s.aws/instance-gpu-count", operator: "DoesNotExist" });
  });

  it("finds images by name (default owners self and amazon) and by a custom SSM parameter", async () => {
    const account = await buildAccount(moto().endpoint);
    const { cloud } = motoCloud(account);
    const image = (await account.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [account.amiX86] }))).Images![0]!;
    const byName = await cloud.resolveNodeClass(nodeClass({ amiSelectorTerms: [{ name: image.Name! }] }, "byname"));
    expect(byName.amis).toEqual([expect.objectContaining({ id: account.amiX86, name: image.Name, requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }] })]);
    await account.clients.ssm.send(new PutParameterCommand({ Name: "/team/golden-ami", Value: account.amiX86, Type: "String" }));
    const bySsm = await cloud.resolveNodeClass(nodeClass({ amiSelectorTerms: [{ ssmParameter: "/team/golden-ami" }] }, "byssm"));
    expect(bySsm.amis.map((a) => a.id)).toEqual([account.amiX86]);
    expect(bySsm.ready).toBe(true);
  });

  it("is not ready when an alias has no SSM parameter, and says which path it read", async () => {
    const account = await buildAccount(moto().endpoint);
    const { cloud } = motoCloud(account);
    const resolved = await cloud.resolveNodeClass(nodeClass({ amiSelectorTerms: [{ alias: "bottlerocket@latest" }] }, "br"));
    expect(resolved.ready).toBe(false);
    const amis = resolved.conditions.find((c) => c.type === "AMIsReady")!;
    expect(amis.status).toBe("False");
    expect(amis.message).toContain(`${SSM_PREFIX}/bottlerocket/aws-k8s-1.33/`);
  });

  it("reuses resolved subnets until the cache TTL passes", async () => {
    const account = await buildAccount(moto().endpoint);
    const clock = new ManualClock();
    const resolver = new NodeClassResolver(account.clients, motoConfig({ resolveCacheTtlMs: 60_000 }), clock);
    expect((await resolver.resolve(nodeClass())).subnets).toHaveLength(2);
    await account.clients.ec2.send(new CreateSubnetCommand({
      VpcId: account.vpcId, CidrBlock: "10.0.5.0/24", AvailabilityZone: "us-east-1d",
      TagSpecifications: [{ ResourceType: "subnet", Tags: [{ Key: "karpenter.sh/discovery", Value: CLUSTER }] }],
    }));
    clock.advance(59_000);
    expect((await resolver.resolve(nodeClass())).subnets).toHaveLength(2);
    clock.advance(1_000);
    expect((await resolver.resolve(nodeClass())).subnets).toHaveLength(3);
  });
});

describe("launching on moto", () => {
  async function launchOne() {
    const account = await buildAccount(moto().endpoint);
    const { cloud } = motoCloud(account);
    const types = (await cloud.instanceTypes(nodeClass())).filter((t) => ["m5.large", "c5.large"].includes(t.name));
    return { account, cloud, types };
  }

  /** The launch template data of the one template the launch made. */
  async function onlyTemplateData(account: Awaited<ReturnType<typeof buildAccount>>) {
    const templates = (await account.clients.ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "tag:tenon.sh/managed-by", Values: [CLUSTER] }] }))).LaunchTemplates ?? [];
    expect(templates).toHaveLength(1);
    return (await account.clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templates[0]!.LaunchTemplateId, Versions: ["$Latest"] }))).LaunchTemplateVersions![0]!.LaunchTemplateData!;
  }

  it("attaches one EFA interface per network card when the NodeClaim requests EFA (c6in.32xlarge: two)", async () => {
    const account = await buildAccount(moto().endpoint);
    const { cloud } = motoCloud(account);
    const c6in = (await cloud.instanceTypes(nodeClass())).filter((t) => t.name === "c6in.32xlarge");
    expect(c6in[0]!.capacity["vpc.amazonaws.com/efa"]).toBe(2);
    await cloud.create(launchRequest(nodeClass(), c6in, { requests: { cpu: "4", "vpc.amazonaws.com/efa": "1" } }));
    const data = await onlyTemplateData(account);
    expect(data.SecurityGroupIds ?? []).toEqual([]);
    expect(data.NetworkInterfaces?.map((n) => [n.NetworkCardIndex, n.DeviceIndex, n.InterfaceType, n.Groups])).toEqual([
      [0, 0, "efa", [account.securityGroupId]],
      [1, 1, "efa", [account.securityGroupId]],
    ]);
  });

  it("attaches no EFA interface to an EFA-capable type when the NodeClaim does not request EFA", async () => {
    const account = await buildAccount(moto().endpoint);
    const { cloud } = motoCloud(account);
    const c6in = (await cloud.instanceTypes(nodeClass())).filter((t) => t.name === "c6in.32xlarge");
    await cloud.create(launchRequest(nodeClass(), c6in, { requests: { cpu: "4" } }));
    const data = await onlyTemplateData(account);
    expect(data.NetworkInterfaces ?? []).toEqual([]);
    expect(data.SecurityGroupIds).toEqual([account.securityGroupId]);
  });

  it("lists the EC2NodeClass's networkInterfaces in the launch template as given", async () => {
    const account = await buildAccount(moto().endpoint);
    const { cloud } = motoCloud(account);
    const withInterfaces = nodeClass({ networkInterfaces: [
      { networkCardIndex: 1, deviceIndex: 0, interfaceType: "efa-only" },
      { networkCardIndex: 0, deviceIndex: 0, interfaceType: "interface" },
    ] });
    const c6in = (await cloud.instanceTypes(withInterfaces)).filter((t) => t.name === "c6in.32xlarge");
    await cloud.create(launchRequest(withInterfaces, c6in));
    const data = await onlyTemplateData(account);
    expect(data.NetworkInterfaces?.map((n) => [n.NetworkCardIndex, n.DeviceIndex, n.InterfaceType])).toEqual([[0, 0, "interface"], [1, 0, "efa-only"]]);
  });

  it("creates a tagged launch template whose user data is a nodeadm NodeConfig for the NodeClaim", async () => {
    const { account, cloud, types } = await launchOne();
    const instance = await cloud.create(launchRequest(nodeClass(), types, { taints: [{ key: "dedicated", value: "web", effect: "NoSchedule" }] }));
    const templates = (await account.clients.ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "tag:tenon.sh/managed-by", Values: [CLUSTER] }] }))).LaunchTemplates ?? [];
    expect(templates).toHaveLength(1);
    expect(templates[0]!.LaunchTemplateName).toMatch(new RegExp(`^tenon/${CLUSTER}/[0-9a-f]{24}$`));
    const version = (await account.clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templates[0]!.LaunchTemplateId, Versions: ["$Latest"] }))).LaunchTemplateVersions![0]!;
    const data = version.LaunchTemplateData!;
    expect(data.ImageId).toBe(account.amiX86);
    expect(data.IamInstanceProfile?.Name).toBe("tenon-node");
    expect(data.SecurityGroupIds).toEqual([account.securityGroupId]);
    expect(data.MetadataOptions).toMatchObject({ HttpTokens: "required", HttpPutResponseHopLimit: 1 });
    // The interfaces the launch creates carry Tenon's ownership tag (IAM requires it on them).
    const interfaceTags = data.TagSpecifications?.find((t) => t.ResourceType === "network-interface")?.Tags ?? [];
    expect(interfaceTags).toContainEqual({ Key: "tenon.sh/managed-by", Value: CLUSTER });
    // The template itself: Tenon's tag, and not the one Karpenter lists its own templates by.
    expect(templates[0]!.Tags).toContainEqual({ Key: "tenon.sh/managed-by", Value: CLUSTER });
    expect(templates[0]!.Tags?.map((t) => t.Key)).not.toContain("eks:eks-cluster-name");
    const parts = parseMime(Buffer.from(data.UserData!, "base64").toString("utf8"));
    const config = parseYaml(parts.at(-1)!.body) as { spec: { cluster: { name: string }; kubelet: { config: { maxPods: number; registerWithTaints: unknown[] } } } };
    expect(config.spec.cluster.name).toBe(CLUSTER);
    expect(config.spec.kubelet.config.maxPods).toBe(types.find((t) => t.name === instance.instanceType)!.capacity.pods);
    expect(config.spec.kubelet.config.registerWithTaints).toEqual([
      { key: "dedicated", value: "web", effect: "NoSchedule" },
      { key: "karpenter.sh/unregistered", effect: "NoExecute" },
    ]);
  });

  it("reuses the launch template for a second NodeClaim with the same content, and cleans up unused ones", async () => {
    const { account, cloud, types } = await launchOne();
    await cloud.create(launchRequest(nodeClass(), types, { nodeClaimName: "a", nodeClaimUid: "1" }));
    await cloud.create(launchRequest(nodeClass(), types, { nodeClaimName: "b", nodeClaimUid: "2" }));
    const list = async () => (await account.clients.ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "tag:tenon.sh/managed-by", Values: [CLUSTER] }] }))).LaunchTemplates ?? [];
    const names = (await list()).map((t) => t.LaunchTemplateName!);
    expect(names).toHaveLength(1);
    expect(await cloud.cleanupLaunchTemplates(new Set(names), 0)).toEqual([]);
    expect(await cloud.cleanupLaunchTemplates(new Set(), 0)).toEqual(names);
    expect(await list()).toEqual([]);
  });

  it("launches from the cheapest override with the NodeClaim's tags on the instance", async () => {
    const { account, cloud, types } = await launchOne();
    const instance = await cloud.create(launchRequest(nodeClass(), types));
    // moto always takes the first override; ours are ordered cheapest first.
    const cheapest = types.flatMap((t) => t.offerings.filter((o) => o.capacityType === "on-demand" && ["us-east-1a", "us-east-1b"].includes(o.zone)).map((o) => ({ name: t.name, price: o.price })))
      .sort((a, b) => a.price - b.price || a.name.localeCompare(b.name))[0]!;
    expect(instance.instanceType).toBe(cheapest.name);
    const described = (await account.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance.instanceId] }))).Reservations![0]!.Instances![0]!;
    expect(described.ImageId).toBe(account.amiX86);
    expect(account.subnets.map((s) => s.id)).toContain(described.SubnetId);
    // What the NodeClaim records for EC2NodeClass drift: the AMI, subnet and security groups it was launched with.
    expect(instance.imageId).toBe(account.amiX86);
    expect(instance.subnetId).toBe(described.SubnetId);
    expect(instance.securityGroupIds).toEqual([account.securityGroupId]);
  });

  it("launches spot when the NodeClaim allows only spot", async () => {
    const { cloud, types } = await launchOne();
    const instance = await cloud.create(launchRequest(nodeClass(), types, { requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }] }));
    expect(instance.capacityType).toBe("spot");
    expect(instance.tags["karpenter.sh/nodeclaim"]).toBe("default-abc12");
  });
});
