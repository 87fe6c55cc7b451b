/**
 * The CreateFleet request for one launch, and what its answer means: the instance it made, or per
 * offering the reason EC2 refused. Pure; the launcher does the calls.
 */
import { createHash } from "node:crypto";
import type { CreateFleetCommandInput, CreateFleetCommandOutput } from "@aws-sdk/client-ec2";
import type { OfferingFailure } from "../../../ports/cloud.ts";
import type { CapacityType } from "../../../ports/instance-type.ts";
import { toTagList } from "../tags.ts";
import type { LaunchOption } from "./plan.ts";
import { stableJson } from "./template.ts";

/** Error codes that mean "this offering has no capacity for you now": mark it unavailable and try others. */
export const CAPACITY_ERROR_CODES: ReadonlySet<string> = new Set([
  "InsufficientInstanceCapacity",
  "MaxSpotInstanceCountExceeded",
  "VcpuLimitExceeded",
  "UnfulfillableCapacity",
  "Unsupported",
  "InsufficientFreeAddressesInSubnet",
  "MaxFleetCountExceeded",
  "ReservationCapacityExceeded",
]);

export function isCapacityError(code: string | undefined): boolean {
  return code !== undefined && CAPACITY_ERROR_CODES.has(code);
}

/** CreateFleet takes at most this many overrides in one request, across all templates. */
export const MAX_FLEET_OVERRIDES = 300;

/**
 * The client token of one exact CreateFleet request: the NodeClaim plus a hash of everything else
 * the request says (overrides, templates, tags, options). EC2 keeps a token's answer: the same
 * token with the same request gets the fleet (or the failure) it already made, never a second
 * instance; the same token with a different request fails with IdempotentParameterMismatch. So a
 * retry that asks for exactly the same thing reuses the token, and one whose overrides changed
 * (offerings marked unavailable meanwhile) gets a new one. At most 64 characters, as EC2 allows.
 */
export function fleetClientToken(nodeClaimName: string, nodeClaimUid: string, request: Omit<CreateFleetCommandInput, "ClientToken">): string {
  const { ClientToken: _ignored, ...rest } = request as CreateFleetCommandInput;
  return createHash("sha256").update(`${nodeClaimName}\0${nodeClaimUid}\0${stableJson(rest)}`).digest("hex").slice(0, 64);
}

export interface TemplateGroup {
  templateName: string;
  options: LaunchOption[];
}

export interface FleetRequestInput {
  groups: TemplateGroup[];
  capacityType: CapacityType;
  tags: Record<string, string>;
  /** The NodeClaim the fleet launches for; with the request's content it makes the client token. */
  nodeClaim: { name: string; uid: string };
  context?: string;
}

export function createFleetInput(input: FleetRequestInput): CreateFleetCommandInput {
  const request = fleetRequest(input);
  return { ...request, ClientToken: fleetClientToken(input.nodeClaim.name, input.nodeClaim.uid, request) };
}

function fleetRequest(input: FleetRequestInput): Omit<CreateFleetCommandInput, "ClientToken"> {
  const tagList = toTagList(input.tags);
  const spot = input.capacityType === "spot";
  return {
    Type: "instant",
    TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: spot ? "spot" : "on-demand" },
    ...(spot
      ? { SpotOptions: { AllocationStrategy: "price-capacity-optimized" } }
      : { OnDemandOptions: { AllocationStrategy: "lowest-price" } }),
    LaunchTemplateConfigs: input.groups.map((g) => ({
      LaunchTemplateSpecification: { LaunchTemplateName: g.templateName, Version: "$Latest" },
      Overrides: g.options.map((o) => ({
        InstanceType: o.instanceType.name as never,
        SubnetId: o.subnet.id,
        ImageId: o.ami.id,
        AvailabilityZone: o.offering.zone,
        Priority: o.offering.price,
      })),
    })),
    TagSpecifications: (["instance", "volume", "fleet"] as const).map((ResourceType) => ({ ResourceType, Tags: tagList })),
    ...(input.context ? { Context: input.context } : {}),
  };
}

export interface FleetOutcome {
  instance?: { instanceId: string; instanceType: string; zone: string; capacityType: CapacityType; imageId: string; subnetId?: string };
  /** Offerings refused for capacity reasons. */
  capacityFailures: OfferingFailure[];
  /** Any other error EC2 reported (bad parameters, missing template, permissions). */
  otherErrors: Array<{ code: string; message: string }>;
}

export function interpretFleetOutput(output: Pick<CreateFleetCommandOutput, "Instances" | "Errors">, options: LaunchOption[], capacityType: CapacityType): FleetOutcome {
  const zoneBySubnet = new Map(options.map((o) => [o.subnet.id, o.offering.zone]));
  const outcome: FleetOutcome = { capacityFailures: [], otherErrors: [] };
  for (const launched of output.Instances ?? []) {
    const instanceId = launched.InstanceIds?.[0];
    if (!instanceId || outcome.instance) continue;
    const o = launched.LaunchTemplateAndOverrides?.Overrides;
    const type = launched.InstanceType ?? o?.InstanceType ?? options[0]?.instanceType.name ?? "";
    const zone = (o?.SubnetId && zoneBySubnet.get(o.SubnetId)) || o?.AvailabilityZone || options.find((x) => x.instanceType.name === type)?.offering.zone || "";
    const option = options.find((x) => x.instanceType.name === type && x.offering.zone === zone) ?? options.find((x) => x.instanceType.name === type);
    outcome.instance = {
      instanceId,
      instanceType: type,
      zone,
      capacityType: launched.Lifecycle === "spot" ? "spot" : launched.Lifecycle === "on-demand" && capacityType === "spot" ? "on-demand" : capacityType,
      imageId: o?.ImageId ?? option?.ami.id ?? "",
    };
    const subnetId = o?.SubnetId ?? option?.subnet.id;
    if (subnetId) outcome.instance.subnetId = subnetId;
  }
  const seen = new Set<string>();
  for (const err of output.Errors ?? []) {
    const code = err.ErrorCode ?? "Unknown";
    const message = err.ErrorMessage ?? "";
    if (!isCapacityError(code)) {
      outcome.otherErrors.push({ code, message });
      continue;
    }
    const o = err.LaunchTemplateAndOverrides?.Overrides;
    const zone = (o?.SubnetId && zoneBySubnet.get(o.SubnetId)) || o?.AvailabilityZone;
    // An error that names no type or zone applies to every option that matches what it does name.
    const affected = options.filter((x) => (!o?.InstanceType || x.instanceType.name === o.InstanceType) && (!zone || x.offering.zone === zone));
    for (const x of affected) {
      const key = `${x.instanceType.name}:${x.offering.zone}`;
      if (seen.has(key)) continue;
      seen.add(key);
      outcome.capacityFailures.push({ offering: { instanceType: x.instanceType.name, zone: x.offering.zone, capacityType: x.offering.capacityType }, code, message });
    }
  }
  return outcome;
}
