/**
 * One launch: plan the options, make the launch templates, call CreateFleet, and on capacity errors
 * mark the refused offerings unavailable and try again with what remains.
 */
import { CreateFleetCommand, type CreateFleetCommandInput, type CreateFleetCommandOutput, type EC2Client } from "@aws-sdk/client-ec2";
import type { Clock } from "../../../ports/clock.ts";
import {
  InsufficientCapacityError,
  NodeClassNotReadyError,
  type LaunchRequest,
  type OfferingFailure,
  type ResolvedNodeClass,
} from "../../../ports/cloud.ts";
import { offeringKeyString, UNAVAILABLE_OFFERING_TTL_MS, type UnavailableOfferingsStore } from "../../../ports/unavailable-offerings.ts";
import type { CapacityType } from "../../../ports/instance-type.ts";
import { amiFamilyOf } from "../../../api/ami-family.ts";
import type { AwsCloudConfig } from "../config.ts";
import { reservationKey, subnetKey, type InFlightLedger } from "../in-flight.ts";
import { launchedResourceTags, launchTags } from "../tags.ts";
import { renderUserDataBase64 } from "../userdata/index.ts";
import { createFleetInput, interpretFleetOutput, isCapacityError, MAX_FLEET_OVERRIDES, type TemplateGroup } from "./fleet.ts";
import { planLaunch, type LaunchOption } from "./plan.ts";
import { launchTemplateData, launchTemplateName } from "./template.ts";
import { RESOURCE } from "../catalog/resources.ts";
import type { LaunchTemplateStore } from "./template-store.ts";

export const MAX_LAUNCH_ATTEMPTS = 4;
const EFA_RESOURCE = RESOURCE.efa;

export interface LaunchedInstance {
  instanceId: string;
  instanceType: string;
  zone: string;
  capacityType: CapacityType;
  imageId: string;
  subnetId?: string;
  /** The launch template's security groups, sorted. */
  securityGroupIds?: string[];
}

export class Launcher {
  constructor(
    private readonly ec2: EC2Client,
    private readonly templates: LaunchTemplateStore,
    private readonly unavailable: UnavailableOfferingsStore,
    private readonly clock: Clock,
    private readonly config: AwsCloudConfig,
    private readonly inFlight?: InFlightLedger,
  ) {}

  /**
   * Before the fleet call: each subnet the launch may use is charged the fewest pods (IPs) of its
   * candidate types, so concurrent launches see it fuller and spread out (karpenter-aws.md §4.2).
   * After: subnets the fleet did not use get theirs back; a reserved launch takes one instance of
   * its reservation. Refunds carry the charge's time, so a report taken in between nets out.
   */
  private chargeSubnets(options: LaunchOption[], atMs: number): Map<string, number> {
    const charges = new Map<string, number>();
    for (const o of options) charges.set(o.subnet.id, Math.min(charges.get(o.subnet.id) ?? Infinity, o.maxPods));
    for (const [id, ips] of charges) this.inFlight?.record(subnetKey(id), ips, atMs);
    return charges;
  }

  /** A subnet EC2 says is out of addresses counts as empty until the next report. */
  private emptySubnet(options: LaunchOption[], zone: string, atMs: number): void {
    const subnet = options.find((o) => o.offering.zone === zone)?.subnet;
    if (subnet) this.inFlight?.record(subnetKey(subnet.id), subnet.availableIps, atMs);
  }

  private settleCharges(charges: Map<string, number>, options: LaunchOption[], launched: LaunchedInstance | undefined, atMs: number): void {
    const used = launched && options.find((o) => o.instanceType.name === launched.instanceType && o.offering.zone === launched.zone);
    for (const [id, ips] of charges) if (id !== used?.subnet.id) this.inFlight?.record(subnetKey(id), -ips, atMs);
    if (used?.offering.capacityType === "reserved" && used.offering.reservationId) this.inFlight?.record(reservationKey(used.offering.reservationId), 1, atMs);
  }

  async launch(request: LaunchRequest, resolved: ResolvedNodeClass): Promise<LaunchedInstance> {
    const nodeClassName = request.nodeClass.metadata.name;
    if (!resolved.ready || !resolved.instanceProfile) {
      throw new NodeClassNotReadyError(nodeClassName, resolved.conditions.find((c) => c.type === "Ready")?.message ?? "not ready");
    }
    const failures: OfferingFailure[] = [];
    let retriedMissingTemplate = false;
    for (let attempt = 0; attempt < MAX_LAUNCH_ATTEMPTS; attempt++) {
      const now = this.clock.now();
      const unavailable = new Set((await this.unavailable.listUnavailable(now)).map(offeringKeyString));
      const plan = planLaunch({
        instanceTypes: request.instanceTypes,
        requirements: request.requirements,
        subnets: resolved.subnets,
        amis: resolved.amis,
        unavailable,
        ...(request.nodeClass.spec.kubelet?.maxPods !== undefined ? { kubeletMaxPods: request.nodeClass.spec.kubelet.maxPods } : {}),
      });
      if ("reason" in plan) throw new InsufficientCapacityError(request.nodeClaimName, failures, plan.reason);
      const options = plan.options.slice(0, MAX_FLEET_OVERRIDES);
      const groups = await this.templateGroups(request, resolved, options, plan.capacityType);
      const input = createFleetInput({
        groups,
        capacityType: plan.capacityType,
        tags: launchTags({
          clusterName: this.config.clusterName,
          nodePoolName: request.nodePoolName,
          nodeClaimName: request.nodeClaimName,
          nodeClassName,
          nodeClassTags: request.nodeClass.spec.tags,
        }),
        nodeClaim: { name: request.nodeClaimName, uid: request.nodeClaimUid },
        ...(request.nodeClass.spec.context ? { context: request.nodeClass.spec.context } : {}),
      });
      const charges = this.chargeSubnets(options, now);
      let output: Awaited<ReturnType<Launcher["sendFleet"]>>;
      try {
        output = await this.sendFleet(input);
      } catch (err) {
        this.settleCharges(charges, options, undefined, now);
        throw err;
      }
      const outcome = interpretFleetOutput(output, options, plan.capacityType);
      this.settleCharges(charges, options, outcome.instance, now);
      for (const f of outcome.capacityFailures) {
        await this.unavailable.markUnavailable(f.offering, f.code, now + UNAVAILABLE_OFFERING_TTL_MS);
        if (f.code === "InsufficientFreeAddressesInSubnet") this.emptySubnet(options, f.offering.zone, now);
      }
      failures.push(...outcome.capacityFailures);
      if (outcome.instance) return { ...outcome.instance, securityGroupIds: resolved.securityGroups.map((g) => g.id).sort() };
      if (outcome.otherErrors.length > 0) {
        // A template deleted under us (clean-up racing a launch): look it up again and retry once.
        if (outcome.otherErrors.some((e) => /LaunchTemplate.*NotFound/i.test(e.code)) && !retriedMissingTemplate) {
          for (const g of groups) this.templates.forget(g.templateName);
          retriedMissingTemplate = true;
          continue;
        }
        const first = outcome.otherErrors[0]!;
        throw new Error(`NodeClaim ${request.nodeClaimName}: CreateFleet failed: ${first.code}: ${first.message}`);
      }
      if (outcome.capacityFailures.length === 0) {
        throw new Error(`NodeClaim ${request.nodeClaimName}: CreateFleet returned neither an instance nor an error`);
      }
    }
    throw new InsufficientCapacityError(request.nodeClaimName, failures, `gave up after ${MAX_LAUNCH_ATTEMPTS} attempts`);
  }

  /**
   * CreateFleet answers capacity problems in `Errors`, but a request-level failure with a capacity
   * code (VcpuLimitExceeded, MaxFleetCountExceeded) arrives as an exception: turn it into an error
   * on every override so it takes the same fallback path.
   */
  private async sendFleet(input: CreateFleetCommandInput): Promise<Pick<CreateFleetCommandOutput, "Instances" | "Errors">> {
    try {
      return await this.ec2.send(new CreateFleetCommand(input));
    } catch (err) {
      const code = (err as { name?: string }).name;
      if (!isCapacityError(code)) throw err;
      const message = (err as Error).message;
      return {
        Errors: (input.LaunchTemplateConfigs ?? []).flatMap((c) =>
          (c.Overrides ?? []).map((o) => ({ ErrorCode: code, ErrorMessage: message, LaunchTemplateAndOverrides: { Overrides: o } }))),
      };
    }
  }

  /**
   * One launch template per (image, max pods, capacity reservation, EFA interfaces); user data
   * differs only in the first two within one launch, a reserved launch targets its reservation in
   * the template, and an EFA launch lists one EFA interface per network card of the type.
   */
  private async templateGroups(request: LaunchRequest, resolved: ResolvedNodeClass, options: LaunchOption[], capacityType: CapacityType): Promise<TemplateGroup[]> {
    const family = amiFamilyOf(request.nodeClass);
    const byKey = new Map<string, LaunchOption[]>();
    const efaOf = (o: LaunchOption) => efaInterfaces(request, o);
    for (const o of options) {
      const key = `${o.ami.id}/${o.maxPods}/${o.offering.reservationId ?? ""}/${efaOf(o)}`;
      byKey.set(key, [...(byKey.get(key) ?? []), o]);
    }
    const groups: TemplateGroup[] = [];
    for (const group of byKey.values()) {
      const first = group[0]!;
      const userData = renderUserDataBase64(family, {
        clusterName: this.config.clusterName,
        cluster: this.config.cluster,
        ...(request.nodeClass.spec.kubelet ? { kubelet: request.nodeClass.spec.kubelet } : {}),
        maxPods: first.maxPods,
        labels: request.labels,
        capacityType,
        taints: request.taints,
        startupTaints: request.startupTaints,
        ...(request.nodeClass.spec.userData !== undefined ? { userData: request.nodeClass.spec.userData } : {}),
        ...(request.nodeClass.spec.instanceStorePolicy ? { instanceStorePolicy: request.nodeClass.spec.instanceStorePolicy } : {}),
      });
      const data = launchTemplateData({
        nodeClass: request.nodeClass,
        family,
        imageId: first.ami.id,
        userDataBase64: userData,
        instanceProfile: resolved.instanceProfile!,
        securityGroups: resolved.securityGroups,
        capacityType,
        ...(capacityType === "reserved" && first.offering.reservationId ? { capacityReservationId: first.offering.reservationId } : {}),
        ...(capacityType !== "reserved" && request.nodeClass.spec.capacityReservationSelectorTerms?.length ? { avoidCapacityReservations: true } : {}),
        ...(efaOf(first) > 0 ? { efaInterfaces: efaOf(first) } : {}),
        launchedResourceTags: launchedResourceTags({
          clusterName: this.config.clusterName,
          nodePoolName: request.nodePoolName,
          nodeClassName: request.nodeClass.metadata.name,
          nodeClassTags: request.nodeClass.spec.tags,
        }),
      });
      const name = launchTemplateName(this.config.clusterName, data);
      await this.templates.ensure(name, data, request.nodeClass.metadata.name);
      groups.push({ templateName: name, options: group });
    }
    return groups;
  }
}

/** The EFA interfaces a launch of this option attaches: the type's EFA count when the NodeClaim requests EFA and the NodeClass lists no interfaces. */
function efaInterfaces(request: LaunchRequest, option: LaunchOption): number {
  if (request.nodeClass.spec.networkInterfaces?.length) return 0;
  const wanted = Number(request.requests?.[EFA_RESOURCE] ?? 0);
  if (!(wanted > 0)) return 0;
  return Math.max(0, Math.floor(Number(option.instanceType.capacity[EFA_RESOURCE] ?? 0)));
}
