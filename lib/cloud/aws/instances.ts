/** Reading and terminating this cluster's instances. */
import {
  DescribeInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Filter,
  type Instance,
} from "@aws-sdk/client-ec2";
import { providerIdFor, type CloudInstance, type InstanceState } from "../../ports/cloud.ts";
import { clusterInstanceFilters, fromTagList, TAG_NODECLAIM, TAG_NODEPOOL } from "./tags.ts";

/** States an instance still holds capacity or may come back in; Karpenter lists exactly these. */
export const LIVE_STATES: readonly InstanceState[] = ["pending", "running", "stopping", "stopped", "shutting-down"];

export function toCloudInstance(i: Instance): CloudInstance | undefined {
  if (!i.InstanceId) return undefined;
  const tags = fromTagList(i.Tags);
  const zone = i.Placement?.AvailabilityZone ?? "";
  return {
    providerId: providerIdFor(zone, i.InstanceId),
    instanceId: i.InstanceId,
    instanceType: i.InstanceType ?? "",
    zone,
    capacityType: i.InstanceLifecycle === "spot" ? "spot" : i.CapacityReservationId ? "reserved" : "on-demand",
    imageId: i.ImageId ?? "",
    ...(i.SubnetId ? { subnetId: i.SubnetId } : {}),
    ...(i.SecurityGroups?.length ? { securityGroupIds: i.SecurityGroups.flatMap((g) => (g.GroupId ? [g.GroupId] : [])).sort() } : {}),
    launchTimeMs: i.LaunchTime?.getTime() ?? 0,
    state: (i.State?.Name ?? "pending") as InstanceState,
    tags,
    ...(tags[TAG_NODECLAIM] ? { nodeClaimName: tags[TAG_NODECLAIM] } : {}),
    ...(tags[TAG_NODEPOOL] ? { nodePoolName: tags[TAG_NODEPOOL] } : {}),
  };
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string })?.name ?? "";
  return name === "InvalidInstanceID.NotFound" || name === "InvalidInstanceID.Malformed";
}

export class InstanceRepository {
  constructor(private readonly ec2: EC2Client, private readonly clusterName: string) {}

  private async describe(input: { InstanceIds?: string[]; Filters?: Filter[] }): Promise<CloudInstance[]> {
    const out: CloudInstance[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2.send(new DescribeInstancesCommand({ ...input, NextToken: token }));
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) {
        const inst = toCloudInstance(i);
        if (inst) out.push(inst);
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  async get(instanceId: string): Promise<CloudInstance | undefined> {
    try {
      const [inst] = await this.describe({ InstanceIds: [instanceId] });
      return inst && inst.state !== "terminated" ? inst : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(): Promise<CloudInstance[]> {
    return this.describe({ Filters: [...clusterInstanceFilters(this.clusterName), { Name: "instance-state-name", Values: [...LIVE_STATES] }] });
  }

  /** The live instance already launched for a NodeClaim, if any: the launch's idempotency check. */
  async findByNodeClaim(nodeClaimName: string): Promise<CloudInstance | undefined> {
    const found = await this.describe({
      Filters: [
        ...clusterInstanceFilters(this.clusterName),
        { Name: `tag:${TAG_NODECLAIM}`, Values: [nodeClaimName] },
        { Name: "instance-state-name", Values: ["pending", "running"] },
      ],
    });
    return found.sort((a, b) => a.launchTimeMs - b.launchTimeMs || a.instanceId.localeCompare(b.instanceId))[0];
  }

  async terminate(instanceId: string): Promise<void> {
    try {
      await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
