/**
 * Launch-template content for one group of launch options (same image, same max pods) and its name,
 * a hash of the content: equal content finds the same template, changed content makes a new one.
 */
import { createHash } from "node:crypto";
import type { RequestLaunchTemplateData } from "@aws-sdk/client-ec2";
import type { AMIFamily, BlockDeviceMapping, EC2NodeClass } from "../../../api/types.ts";
import { parseQuantity, toUnits } from "../../../quantity/quantity.ts";
import type { ResolvedSecurityGroup } from "../../../ports/cloud.ts";
import type { CapacityType } from "../../../ports/instance-type.ts";
import { toTagList } from "../tags.ts";

const GIB = 1024 ** 3;

export function defaultBlockDeviceMappings(family: AMIFamily): BlockDeviceMapping[] {
  if (family === "Bottlerocket") {
    return [
      { deviceName: "/dev/xvda", ebs: { volumeSize: "4Gi", volumeType: "gp3", encrypted: true } },
      { deviceName: "/dev/xvdb", ebs: { volumeSize: "20Gi", volumeType: "gp3", encrypted: true } },
    ];
  }
  if (family.startsWith("Windows")) return [{ deviceName: "/dev/sda1", ebs: { volumeSize: "50Gi", volumeType: "gp3", encrypted: true } }];
  return [{ deviceName: "/dev/xvda", ebs: { volumeSize: "20Gi", volumeType: "gp3", encrypted: true } }];
}

/** EC2 takes whole GiB; a quantity is rounded up. */
export function volumeSizeGiB(size: string): number {
  return Math.ceil(toUnits(parseQuantity(size)) / GIB);
}

export function toEc2BlockDeviceMappings(bdms: BlockDeviceMapping[]): NonNullable<RequestLaunchTemplateData["BlockDeviceMappings"]> {
  return bdms.map((b) => ({
    ...(b.deviceName ? { DeviceName: b.deviceName } : {}),
    ...(b.ebs
      ? {
          Ebs: {
            ...(b.ebs.volumeSize ? { VolumeSize: volumeSizeGiB(b.ebs.volumeSize) } : {}),
            ...(b.ebs.volumeType ? { VolumeType: b.ebs.volumeType as "gp3" } : {}),
            ...(b.ebs.iops !== undefined ? { Iops: b.ebs.iops } : {}),
            ...(b.ebs.throughput !== undefined ? { Throughput: b.ebs.throughput } : {}),
            ...(b.ebs.encrypted !== undefined ? { Encrypted: b.ebs.encrypted } : {}),
            ...(b.ebs.kmsKeyID ? { KmsKeyId: b.ebs.kmsKeyID } : {}),
            ...(b.ebs.snapshotID ? { SnapshotId: b.ebs.snapshotID } : {}),
            DeleteOnTermination: b.ebs.deleteOnTermination ?? true,
            ...(b.ebs.volumeInitializationRate !== undefined ? { VolumeInitializationRate: b.ebs.volumeInitializationRate } : {}),
          },
        }
      : {}),
  }));
}

export interface TemplateInput {
  nodeClass: EC2NodeClass;
  family: AMIFamily;
  imageId: string;
  userDataBase64: string;
  instanceProfile: string;
  securityGroups: ResolvedSecurityGroup[];
  /** Spot launches also create a Spot request, which gets the same tags as the interfaces. */
  capacityType: CapacityType;
  /** Tags for the network interfaces (and Spot requests) a launch from this template creates. */
  launchedResourceTags: Record<string, string>;
  /** A reserved launch: the instance must start in this capacity reservation. */
  capacityReservationId?: string;
  /**
   * An on-demand or spot launch from a NodeClass that selects reservations: keep it out of open
   * reservations, whose instances are counted as reserved offerings.
   */
  avoidCapacityReservations?: boolean;
  /**
   * EFA interfaces to attach, one per network card, when the NodeClaim requests EFA and the
   * NodeClass lists no `networkInterfaces` (as Karpenter: the type's EFA count; 0 for none).
   */
  efaInterfaces?: number;
}

type TemplateInterfaces = NonNullable<RequestLaunchTemplateData["NetworkInterfaces"]>;

/**
 * The interfaces a launch attaches: the NodeClass's `networkInterfaces` as listed; else one EFA
 * interface per network card for an EFA launch (card 0 as the primary device, the others as device
 * 1); else none here (the primary interface is implicit). Security groups and the public-IP choice
 * go on every listed interface, since EC2 then takes them from the interfaces only.
 */
function networkInterfaces(input: TemplateInput, groupIds: string[]): TemplateInterfaces | undefined {
  const listed = input.nodeClass.spec.networkInterfaces;
  const publicIp = input.nodeClass.spec.associatePublicIPAddress;
  const common = { Groups: groupIds, ...(publicIp !== undefined ? { AssociatePublicIpAddress: publicIp } : {}) };
  if (listed && listed.length > 0) {
    return [...listed]
      .sort((a, b) => a.networkCardIndex - b.networkCardIndex || a.deviceIndex - b.deviceIndex)
      .map((n) => ({ NetworkCardIndex: n.networkCardIndex, DeviceIndex: n.deviceIndex, InterfaceType: n.interfaceType, ...common }));
  }
  const efa = input.efaInterfaces ?? 0;
  if (efa > 0) return Array.from({ length: efa }, (_, card) => ({ NetworkCardIndex: card, DeviceIndex: card === 0 ? 0 : 1, InterfaceType: "efa", ...common }));
  return undefined;
}

/** EC2 takes a target or a preference, not both. */
function capacityReservationSpecification(input: TemplateInput): Pick<RequestLaunchTemplateData, "CapacityReservationSpecification"> {
  if (input.capacityReservationId) return { CapacityReservationSpecification: { CapacityReservationTarget: { CapacityReservationId: input.capacityReservationId } } };
  if (input.avoidCapacityReservations) return { CapacityReservationSpecification: { CapacityReservationPreference: "none" } };
  return {};
}

/**
 * CreateFleet tags only the fleet, instances and volumes; the interfaces and Spot requests EC2
 * creates along the way take their tags from the launch template. Tagged, they can be held to
 * the same IAM rule as everything else: created only with this cluster's tag.
 */
function launchedResourceTagSpecifications(input: TemplateInput): NonNullable<RequestLaunchTemplateData["TagSpecifications"]> {
  const Tags = toTagList(input.launchedResourceTags);
  const types = input.capacityType === "spot" ? (["network-interface", "spot-instances-request"] as const) : (["network-interface"] as const);
  return types.map((ResourceType) => ({ ResourceType, Tags }));
}

export function launchTemplateData(input: TemplateInput): RequestLaunchTemplateData {
  const spec = input.nodeClass.spec;
  const groupIds = input.securityGroups.map((g) => g.id).sort();
  const interfaces = networkInterfaces(input, groupIds);
  const md = spec.metadataOptions;
  return {
    ImageId: input.imageId,
    UserData: input.userDataBase64,
    IamInstanceProfile: { Name: input.instanceProfile },
    BlockDeviceMappings: toEc2BlockDeviceMappings(spec.blockDeviceMappings?.length ? spec.blockDeviceMappings : defaultBlockDeviceMappings(input.family)),
    MetadataOptions: {
      HttpEndpoint: md.httpEndpoint,
      HttpProtocolIpv6: md.httpProtocolIPv6,
      HttpPutResponseHopLimit: md.httpPutResponseHopLimit,
      HttpTokens: md.httpTokens,
      InstanceMetadataTags: "disabled",
    },
    Monitoring: { Enabled: spec.detailedMonitoring ?? false },
    // Listed or EFA interfaces, or a public-IP choice, need explicit interfaces; security groups then live on them.
    ...(interfaces
      ? { NetworkInterfaces: interfaces }
      : spec.associatePublicIPAddress !== undefined
        ? { NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: spec.associatePublicIPAddress, Groups: groupIds }] }
        : { SecurityGroupIds: groupIds }),
    TagSpecifications: launchedResourceTagSpecifications(input),
    ...capacityReservationSpecification(input),
  };
}

/** JSON with object keys sorted and undefined fields left out: equal content, equal text. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export const LAUNCH_TEMPLATE_PREFIX = "tenon";

export function launchTemplateName(clusterName: string, data: RequestLaunchTemplateData): string {
  const hash = createHash("sha256").update(stableJson(data)).digest("hex").slice(0, 24);
  return `${LAUNCH_TEMPLATE_PREFIX}/${clusterName}/${hash}`;
}

export interface ExistingTemplate {
  name: string;
  createdAtMs: number;
}

/** Templates to delete: not among those in use and older than the grace period (a launch may be about to use a new one). */
export function templatesToDelete(existing: ExistingTemplate[], inUse: ReadonlySet<string>, nowMs: number, graceMs: number): string[] {
  return existing.filter((t) => !inUse.has(t.name) && nowMs - t.createdAtMs >= graceMs).map((t) => t.name).sort();
}
