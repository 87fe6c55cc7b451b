/** Builds a cluster-ready account in moto: a VPC, tagged subnets and security group, seeded AMI parameters. */
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { GetInstanceProfileCommand, CreateRoleCommand } from "@aws-sdk/client-iam";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { aliasParameters } from "../../lib/cloud/aws/ami-alias.ts";
import { AwsCloud } from "../../lib/cloud/aws/aws-cloud.ts";
import { createAwsClients, type AwsClients, type AwsCloudConfig } from "../../lib/cloud/aws/config.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { wallClock, type Clock } from "../../lib/ports/clock.ts";
import { MOTO_CREDENTIALS, MOTO_REGION } from "./moto.ts";
import { CLUSTER, KARPENTER_INSTANCE_TAGS } from "./cloud.ts";

export const SSM_PREFIX = "/tenon-test";
export const K8S_VERSION = "1.33";

export interface MotoAccount {
  clients: AwsClients;
  vpcId: string;
  subnets: Array<{ id: string; zone: string }>;
  decoySubnetId: string;
  securityGroupId: string;
  amiX86: string;
  amiArm: string;
  /** Two IAM roles a NodeClass may name. */
  roles: [string, string];
}

const EC2_TRUST_POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });

/** An instance profile as IAM holds it, or undefined when there is none by that name. */
export async function readInstanceProfile(clients: AwsClients, name: string): Promise<{ path: string; roles: string[]; tags: Record<string, string> } | undefined> {
  try {
    const p = (await clients.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile!;
    return { path: p.Path ?? "", roles: (p.Roles ?? []).map((r) => r.RoleName ?? ""), tags: Object.fromEntries((p.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""])) };
  } catch (err) {
    if ((err as Error).name === "NoSuchEntityException") return undefined;
    throw err;
  }
}

export function motoClients(endpoint: string): AwsClients {
  return createAwsClients({ region: MOTO_REGION, endpoint, credentials: MOTO_CREDENTIALS, maxAttempts: 1 });
}

export function motoConfig(overrides: Partial<AwsCloudConfig> = {}): AwsCloudConfig {
  return {
    region: MOTO_REGION,
    clusterName: CLUSTER,
    cluster: { endpoint: "https://ABCDEF.gr7.us-east-1.eks.amazonaws.com", certificateAuthority: "LS0tLS1CRUdJTi1DRVJU", serviceCidr: "172.20.0.0/16", dnsIp: "172.20.0.10" },
    kubernetesVersion: K8S_VERSION,
    ssmParameterPrefix: SSM_PREFIX,
    ...overrides,
  };
}

export function motoCloud(account: MotoAccount, clock: Clock = wallClock, config: Partial<AwsCloudConfig> = {}) {
  const unavailable = createMemoryStore();
  const cloud = new AwsCloud({ clients: account.clients, config: motoConfig(config), clock, unavailable });
  return { cloud, unavailable };
}

const imagesByEndpoint = new Map<string, { amiX86: string; amiArm: string }>();

/** Two of moto's built-in images; they survive resets, so they are looked up once per server. */
async function motoImages(endpoint: string, clients: AwsClients): Promise<{ amiX86: string; amiArm: string }> {
  const known = imagesByEndpoint.get(endpoint);
  if (known) return known;
  const images = (await clients.ec2.send(new DescribeImagesCommand({ Owners: ["amazon"] }))).Images ?? [];
  const amiX86 = images.find((i) => i.Architecture === "x86_64")!.ImageId!;
  const amiArm = images.find((i) => i.Architecture === "arm64")?.ImageId ?? images.filter((i) => i.Architecture === "x86_64")[1]!.ImageId!;
  imagesByEndpoint.set(endpoint, { amiX86, amiArm });
  return { amiX86, amiArm };
}

export async function buildAccount(endpoint: string): Promise<MotoAccount> {
  const clients = motoClients(endpoint);
  const { ec2, ssm } = clients;
  const discovery = [{ Key: "karpenter.sh/discovery", Value: CLUSTER }];
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!.VpcId!;
  const subnets: MotoAccount["subnets"] = [];
  for (const [i, zone] of ["us-east-1a", "us-east-1b"].entries()) {
    const s = await ec2.send(new CreateSubnetCommand({
      VpcId: vpcId, CidrBlock: `10.0.${i + 1}.0/24`, AvailabilityZone: zone,
      TagSpecifications: [{ ResourceType: "subnet", Tags: [...discovery, { Key: "Name", Value: `private-${zone}` }] }],
    }));
    subnets.push({ id: s.Subnet!.SubnetId!, zone });
  }
  const decoy = await ec2.send(new CreateSubnetCommand({
    VpcId: vpcId, CidrBlock: "10.0.9.0/24", AvailabilityZone: "us-east-1c",
    TagSpecifications: [{ ResourceType: "subnet", Tags: [{ Key: "karpenter.sh/discovery", Value: "other-cluster" }] }],
  }));
  const sg = await ec2.send(new CreateSecurityGroupCommand({
    GroupName: `${CLUSTER}-node`, Description: "nodes", VpcId: vpcId,
    TagSpecifications: [{ ResourceType: "security-group", Tags: discovery }],
  }));
  const { amiX86, amiArm } = await motoImages(endpoint, clients);
  // moto (like AWS) refuses parameters under /aws/, so the alias paths live under a test prefix.
  for (const p of aliasParameters({ family: "AL2023", version: "latest" }, K8S_VERSION, SSM_PREFIX)) {
    const arm = p.requirements.some((r) => r.key === "kubernetes.io/arch" && r.values?.includes("arm64"));
    const standard = p.path.includes("/standard/");
    if (!standard) continue;
    await ssm.send(new PutParameterCommand({ Name: p.path, Value: arm ? amiArm : amiX86, Type: "String" }));
  }
  const roles: [string, string] = [`KarpenterNodeRole-${CLUSTER}`, `${CLUSTER}-other-node-role`];
  for (const RoleName of roles) await clients.iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: EC2_TRUST_POLICY }));
  return { clients, vpcId, subnets, decoySubnetId: decoy.Subnet!.SubnetId!, securityGroupId: sg.GroupId!, amiX86, amiArm, roles };
}

/** An instance tagged for the cluster as Tenon tags them, launched outside Tenon (a leak). */
export async function leakInstance(account: MotoAccount): Promise<string> {
  return runTagged(account, {
    "tenon.sh/managed-by": CLUSTER,
    "karpenter.sh/nodepool": "default",
    "tenon.sh/ec2nodeclass": "default",
    "eks:eks-cluster-name": CLUSTER,
    "karpenter.sh/nodeclaim": "default-leaked",
  });
}

/** An instance Karpenter launched for the same cluster: its tags, not Tenon's ownership tag. */
export async function karpenterInstance(account: MotoAccount): Promise<string> {
  return runTagged(account, KARPENTER_INSTANCE_TAGS);
}

async function runTagged(account: MotoAccount, tags: Record<string, string>): Promise<string> {
  const out = await account.clients.ec2.send(new RunInstancesCommand({
    ImageId: account.amiX86, InstanceType: "m5.large", MinCount: 1, MaxCount: 1, SubnetId: account.subnets[0]!.id,
    TagSpecifications: [{ ResourceType: "instance", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
  }));
  return out.Instances![0]!.InstanceId!;
}
