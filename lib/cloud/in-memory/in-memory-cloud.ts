/**
 * The Cloud port in memory, on the bundled catalog: NodeClass resolution against a simulated
 * account (world.ts), launches that pick the cheapest offering that has capacity, instances that
 * boot after a delay on the injected Clock, EC2's client-token rules (client-tokens.ts), tag queries, and injectable
 * faults (faults.ts). Used by the simulator, the demo and logic tests.
 */
import { createHash } from "node:crypto";
import type { AMISelectorTerm, EC2NodeClass } from "../../api/types.ts";
import type { Clock } from "../../ports/clock.ts";
import {
  InsufficientCapacityError,
  NodeClassNotReadyError,
  providerIdFor,
  type Cloud,
  type CloudInstance,
  type InstanceState,
  type LaunchRequest,
  type OfferingFailure,
  type ResolvedAmi,
  type ResolvedNodeClass,
  TAG_LAUNCH_TEMPLATE_ID,
} from "../../ports/cloud.ts";
import { offeringKeyString, UNAVAILABLE_OFFERING_TTL_MS, type UnavailableOfferingsStore } from "../../ports/unavailable-offerings.ts";
import type { InstanceType } from "../../ports/instance-type.ts";
import { aliasTermAmis, aliasTermParameters, architectureRequirements } from "../aws/ami-alias.ts";
import { selectNewestAmis } from "../aws/ami-select.ts";
import { loadAwsInstanceTypes } from "../aws/catalog/index.ts";
import { catalogZoneOptions } from "../aws/catalog-zones.ts";
import { LIVE_STATES } from "../aws/instances.ts";
import { createFleetInput } from "../aws/launch/fleet.ts";
import { planLaunch, type LaunchOption } from "../aws/launch/plan.ts";
import { stableJson } from "../aws/launch/template.ts";
import { readinessConditions, type ConditionType } from "../aws/readiness.ts";
import { isEmptyTerm, matchesTerm, selectResources } from "../aws/selectors.ts";
import { userDataProblem } from "../aws/userdata/index.ts";
import { withReservedOfferings } from "../aws/reserved-offerings.ts";
import { isClusterInstance, launchTags, TAG_NODECLAIM, TAG_NODEPOOL } from "../aws/tags.ts";
import { ClientTokens } from "./client-tokens.ts";
import { CloudFaults, type CloudOperation } from "./faults.ts";
import { cleanupSimInstanceProfiles, ensureSimInstanceProfile } from "./iam.ts";
import { selectSimReservations } from "./reservations.ts";
import type { SimImage, SimWorld } from "./world.ts";

export interface SimulatedCloudOptions {
  clusterName: string;
  world: SimWorld;
  clock: Clock;
  unavailable: UnavailableOfferingsStore;
  kubernetesVersion?: string;
  ssmParameterPrefix?: string;
  /** pending -> running. Default 30 s (EC2 to a booted kubelet is 30-40 s). */
  bootDelayMs?: number;
  /** shutting-down -> terminated. Default 30 s. */
  terminateDelayMs?: number;
  onDemandPrices?: ReadonlyMap<string, number>;
  /** `type:zone` -> USD/hour. */
  spotPrices?: ReadonlyMap<string, number>;
  faults?: CloudFaults;
}

interface SimInstance {
  instanceId: string;
  /** The subnet whose address the instance holds until it is terminated. */
  subnetId?: string;
  /** The security groups the NodeClass resolved to at launch, sorted. */
  securityGroupIds?: string[];
  /** The capacity reservation whose slot the instance holds until it is terminated. */
  reservationId?: string;
  instanceType: string;
  zone: string;
  capacityType: CloudInstance["capacityType"];
  imageId: string;
  launchTimeMs: number;
  tags: Record<string, string>;
  terminatedAtMs?: number;
  /** Set by `stop`, for interruption tests. */
  stoppedAtMs?: number;
}

/** A launch template as EC2 keeps it: one per distinct content (here NodeClass spec and image), tagged for the cluster. */
export interface SimLaunchTemplate {
  name: string;
  id: string;
  nodeClassName: string;
  createdAtMs: number;
}

export class SimulatedCloud implements Cloud {
  readonly faults: CloudFaults;
  private readonly instances = new Map<string, SimInstance>();
  private readonly tokens = new ClientTokens<string>();
  private readonly templates = new Map<string, SimLaunchTemplate>();
  private nextId = 1;
  /** Separate from instance ids, so templates never shift the instance ids a simulation reports. */
  private nextTemplateId = 1;

  constructor(private readonly options: SimulatedCloudOptions) {
    this.faults = options.faults ?? new CloudFaults();
  }

  /**
   * A new AMI release, as AWS publishes one: a new image for every SSM alias parameter whose path
   * contains `pathPart` (e.g. "/amazon-linux-2023/"), and the parameter pointed at it. NodeClasses that select
   * the alias resolve the new images from now on, so nodes on the old ones drift. Returns the new ids.
   */
  releaseImages(pathPart: string, creationDate: string): string[] {
    const { world } = this.options;
    const released: string[] = [];
    for (const [path, oldId] of world.ssmParameters) {
      if (!path.includes(pathPart)) continue;
      const old = world.images.find((i) => i.id === oldId);
      const id = `ami-${(0x100 + world.images.length).toString(16).padStart(17, "0")}`;
      world.images.push({ ...(old ?? { name: path, architecture: "x86_64", owner: "amazon", tags: {} }), id, creationDate } as SimImage);
      world.ssmParameters.set(path, id);
      released.push(id);
    }
    if (released.length === 0) throw new Error(`no SSM AMI parameter path contains "${pathPart}"`);
    return released;
  }

  private async enter(operation: CloudOperation): Promise<void> {
    const delay = this.faults.enter(operation);
    if (delay > 0) await this.options.clock.sleep(delay);
  }

  async resolveNodeClass(nodeClass: EC2NodeClass): Promise<ResolvedNodeClass> {
    await this.enter("resolveNodeClass");
    return this.resolve(nodeClass);
  }

  private resolve(nodeClass: EC2NodeClass): ResolvedNodeClass {
    const { world } = this.options;
    const spec = nodeClass.spec;
    const problems: Partial<Record<ConditionType, string>> = {};
    const subnets = selectResources(world.subnets, spec.subnetSelectorTerms)
      .map((s) => ({ id: s.id, zone: s.zone, ...(s.zoneId ? { zoneId: s.zoneId } : {}), availableIps: s.availableIps }))
      .sort((a, b) => b.availableIps - a.availableIps || a.id.localeCompare(b.id));
    const securityGroups = selectResources(world.securityGroups, spec.securityGroupSelectorTerms)
      .map((g) => ({ id: g.id, name: g.name }))
      .sort((a, b) => a.id.localeCompare(b.id));
    const amis = this.amis(spec.amiSelectorTerms, problems);
    let instanceProfile = spec.instanceProfile;
    if (!instanceProfile && spec.role) {
      try {
        instanceProfile = ensureSimInstanceProfile(world, this.profileScope(), nodeClass.metadata.name, spec.role);
      } catch (err) {
        problems.InstanceProfileReady = `${(err as Error).name}: ${(err as Error).message}`;
      }
    }
    const capacityReservations = selectSimReservations(world, spec.capacityReservationSelectorTerms, this.options.clock.now());
    const validation = userDataProblem(nodeClass);
    if (validation) problems.ValidationSucceeded = validation;
    const { conditions, ready } = readinessConditions({
      subnets, securityGroups, amis, ...(instanceProfile ? { instanceProfile } : {}), problems, nowIso: new Date(this.options.clock.now()).toISOString(),
    });
    return {
      name: nodeClass.metadata.name, subnets, securityGroups, amis, ...(instanceProfile ? { instanceProfile } : {}),
      ...(capacityReservations ? { capacityReservations } : {}), conditions, ready,
    };
  }

  private profileScope() {
    return { clusterName: this.options.clusterName, region: this.options.world.region };
  }

  /** Deletes the instance profiles made for NodeClasses not in `keep`; returns their names. */
  async cleanupInstanceProfiles(keep: ReadonlySet<string>): Promise<string[]> {
    return cleanupSimInstanceProfiles(this.options.world, this.profileScope(), keep);
  }

  private amis(terms: AMISelectorTerm[], problems: Partial<Record<ConditionType, string>>): ResolvedAmi[] {
    const { world } = this.options;
    const imageById = new Map(world.images.map((i) => [i.id, i]));
    const toAmi = (id: string, image: SimImage | undefined, requirements: ResolvedAmi["requirements"]): ResolvedAmi => ({
      id, ...(image ? { name: image.name, creationDate: image.creationDate } : {}), requirements, ...(image?.deprecated ? { deprecated: true } : {}),
    });
    const found: ResolvedAmi[] = [];
    const unresolved: string[] = [];
    for (const term of terms) {
      if (term.alias !== undefined) {
        const params = aliasTermParameters(term.alias, this.options.kubernetesVersion ?? "1.33", this.options.ssmParameterPrefix);
        if ("error" in params) {
          unresolved.push(params.error);
          continue;
        }
        const { amis, problem } = aliasTermAmis(term.alias, params, world.ssmParameters, (id, requirements) => toAmi(id, imageById.get(id), requirements));
        found.push(...amis);
        if (problem) unresolved.push(problem);
      } else if (term.ssmParameter !== undefined) {
        const id = world.ssmParameters.get(term.ssmParameter);
        if (!id) unresolved.push(`SSM parameter ${term.ssmParameter} not found`);
        else found.push(toAmi(id, imageById.get(id), architectureRequirements(imageById.get(id)?.architecture)));
      } else if (!isEmptyTerm(term)) {
        const owners = term.owner !== undefined ? [term.owner] : ["self", "amazon"];
        for (const image of world.images) {
          if (term.name !== undefined && !owners.includes(image.owner)) continue;
          if (matchesTerm({ id: image.id, name: image.name, tags: image.tags }, { ...(term.id ? { id: term.id } : {}), ...(term.name ? { name: term.name } : {}), ...(term.tags ? { tags: term.tags } : {}) })) {
            found.push(toAmi(image.id, image, architectureRequirements(image.architecture)));
          }
        }
      }
    }
    if (found.length === 0 && unresolved.length > 0) problems.AMIsReady = unresolved.join("; ");
    return selectNewestAmis(found);
  }

  async instanceTypes(nodeClass: EC2NodeClass): Promise<InstanceType[]> {
    await this.enter("instanceTypes");
    const resolved = this.resolve(nodeClass);
    const unavailable = new Set((await this.options.unavailable.listUnavailable(this.options.clock.now())).map(offeringKeyString));
    const catalog = loadAwsInstanceTypes({
      region: this.options.world.region,
      nodeClass,
      ...catalogZoneOptions(this.options.world.region, resolved.subnets),
      unavailable,
      ...(this.options.onDemandPrices ? { onDemandPrices: this.options.onDemandPrices } : {}),
      ...(this.options.spotPrices ? { spotPrices: this.options.spotPrices } : {}),
    }).instanceTypes;
    return withReservedOfferings(catalog, resolved.capacityReservations ?? [], unavailable);
  }

  async create(request: LaunchRequest): Promise<CloudInstance> {
    await this.enter("create");
    // As the adapter does first: a live instance already launched for this NodeClaim is the answer.
    const existing = [...this.instances.values()].find(
      (i) => i.tags[TAG_NODECLAIM] === request.nodeClaimName && ["pending", "running"].includes(this.stateOf(i)),
    );
    if (existing) return this.view(existing);

    const resolved = this.resolve(request.nodeClass);
    if (!resolved.ready || !resolved.instanceProfile) {
      throw new NodeClassNotReadyError(request.nodeClass.metadata.name, resolved.conditions.find((c) => c.type === "Ready")?.message ?? "not ready");
    }
    const now = this.options.clock.now();
    const unavailable = new Set((await this.options.unavailable.listUnavailable(now)).map(offeringKeyString));
    const maxPods = request.nodeClass.spec.kubelet?.maxPods;
    const plan = planLaunch({
      instanceTypes: request.instanceTypes, requirements: request.requirements, subnets: resolved.subnets, amis: resolved.amis, unavailable,
      ...(maxPods !== undefined ? { kubeletMaxPods: maxPods } : {}),
    });
    if ("reason" in plan) throw new InsufficientCapacityError(request.nodeClaimName, [], plan.reason);
    // The CreateFleet request the adapter would send for this plan, with its client token: EC2's
    // token rules then hold here too (same token and request: the same answer, also a failure;
    // same token, other request: IdempotentParameterMismatch).
    const groups = new Map<string, LaunchOption[]>();
    for (const o of plan.options) {
      const name = this.templateName(request.nodeClass, o.ami.id);
      groups.set(name, [...(groups.get(name) ?? []), o]);
    }
    const fleet = createFleetInput({
      groups: [...groups].map(([templateName, options]) => ({ templateName, options })),
      capacityType: plan.capacityType,
      tags: this.instanceTags(request),
      nodeClaim: { name: request.nodeClaimName, uid: request.nodeClaimUid },
      ...(request.nodeClass.spec.context ? { context: request.nodeClass.spec.context } : {}),
    });
    const instanceId = await this.tokens.once(fleet.ClientToken!, stableJson({ ...fleet, ClientToken: undefined }), () => this.launchFirstAvailable(request, plan.options, resolved.securityGroups.map((g) => g.id).sort(), now));
    // A repeated request gets the instance the first one made, as it is now.
    return this.view(this.instances.get(instanceId)!);
  }

  private instanceTags(request: LaunchRequest): Record<string, string> {
    return launchTags({
      clusterName: this.options.clusterName, nodePoolName: request.nodePoolName, nodeClaimName: request.nodeClaimName,
      nodeClassName: request.nodeClass.metadata.name, nodeClassTags: request.nodeClass.spec.tags,
    });
  }

  /** One fleet request: the first option that has capacity, in the plan's order; refused ones are marked unavailable. */
  private async launchFirstAvailable(request: LaunchRequest, options: readonly LaunchOption[], securityGroupIds: string[], now: number): Promise<string> {
    const failures: OfferingFailure[] = [];
    for (const option of options) {
      const key = { instanceType: option.instanceType.name, zone: option.offering.zone, capacityType: option.offering.capacityType };
      const subnet = this.options.world.subnets.find((x) => x.id === option.subnet.id);
      const reservation = option.offering.capacityType === "reserved"
        ? this.options.world.capacityReservations?.find((r) => r.id === option.offering.reservationId)
        : undefined;
      const code = this.faults.capacityError(key) ??
        (subnet && subnet.availableIps <= 0 ? "InsufficientFreeAddressesInSubnet" : undefined) ??
        (option.offering.capacityType === "reserved" && (!reservation || reservation.state !== "active" || reservation.availableInstances <= 0) ? "ReservationCapacityExceeded" : undefined);
      if (code) {
        failures.push({ offering: key, code, message: `simulated ${code}` });
        await this.options.unavailable.markUnavailable(key, code, now + UNAVAILABLE_OFFERING_TTL_MS);
        continue;
      }
      if (subnet) subnet.availableIps -= 1;
      if (reservation) reservation.availableInstances -= 1;
      const template = this.ensureTemplate(request.nodeClass, option.ami.id, now);
      const instance: SimInstance = {
        subnetId: option.subnet.id,
        securityGroupIds,
        ...(reservation ? { reservationId: reservation.id } : {}),
        instanceId: `i-${(this.nextId++).toString(16).padStart(17, "0")}`,
        instanceType: option.instanceType.name,
        zone: option.offering.zone,
        capacityType: option.offering.capacityType,
        imageId: option.ami.id,
        launchTimeMs: now,
        tags: this.instanceTags(request),
      };
      // EC2 tags every instance launched from a template with the template's id.
      instance.tags[TAG_LAUNCH_TEMPLATE_ID] = template.id;
      this.instances.set(instance.instanceId, instance);
      return instance.instanceId;
    }
    throw new InsufficientCapacityError(request.nodeClaimName, failures);
  }

  async get(instanceId: string): Promise<CloudInstance | undefined> {
    await this.enter("get");
    const instance = this.instances.get(instanceId);
    return instance && this.stateOf(instance) !== "terminated" ? this.view(instance) : undefined;
  }

  async list(): Promise<CloudInstance[]> {
    await this.enter("list");
    return [...this.instances.values()]
      .filter((i) => isClusterInstance(i.tags, this.options.clusterName) && LIVE_STATES.includes(this.stateOf(i)))
      .map((i) => this.view(i));
  }

  async delete(instanceId: string): Promise<void> {
    await this.enter("delete");
    const instance = this.instances.get(instanceId);
    if (instance && instance.terminatedAtMs === undefined) {
      instance.terminatedAtMs = this.options.clock.now();
      const subnet = this.options.world.subnets.find((x) => x.id === instance.subnetId);
      if (subnet) subnet.availableIps += 1;
      const reservation = this.options.world.capacityReservations?.find((r) => r.id === instance.reservationId);
      if (reservation) reservation.availableInstances += 1;
    }
  }

  private templateName(nodeClass: EC2NodeClass, imageId: string): string {
    const hash = createHash("sha256").update(JSON.stringify([nodeClass.metadata.name, nodeClass.spec, imageId])).digest("hex").slice(0, 24);
    return `tenon/${this.options.clusterName}/${hash}`;
  }

  /** Like the EC2 adapter: a template per distinct content, found again by its content-hash name. */
  private ensureTemplate(nodeClass: EC2NodeClass, imageId: string, nowMs: number): SimLaunchTemplate {
    const name = this.templateName(nodeClass, imageId);
    let template = this.templates.get(name);
    if (!template) {
      template = { name, id: `lt-${(this.nextTemplateId++).toString(16).padStart(17, "0")}`, nodeClassName: nodeClass.metadata.name, createdAtMs: nowMs };
      this.templates.set(name, template);
    }
    return template;
  }

  /** The cluster's launch templates, by name (for tests and the simulator's report). */
  launchTemplates(): SimLaunchTemplate[] {
    return [...this.templates.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deletes templates that no entry of `inUse` names (by name or id) and at least `graceMs` old; returns their names. */
  async cleanupLaunchTemplates(inUse: ReadonlySet<string>, graceMs: number): Promise<string[]> {
    const now = this.options.clock.now();
    const doomed = this.launchTemplates().filter((t) => !inUse.has(t.name) && !inUse.has(t.id) && now - t.createdAtMs >= graceMs).map((t) => t.name);
    for (const name of doomed) this.templates.delete(name);
    return doomed;
  }

  /** Leaks an instance into the account, as a crashed launch would: tagged, but with no NodeClaim record. */
  injectInstance(fields: Omit<SimInstance, "instanceId" | "launchTimeMs"> & { launchTimeMs?: number }): string {
    const instanceId = `i-${(this.nextId++).toString(16).padStart(17, "0")}`;
    this.instances.set(instanceId, { ...fields, instanceId, launchTimeMs: fields.launchTimeMs ?? this.options.clock.now() });
    return instanceId;
  }

  /** EC2 stops an instance underneath us (maintenance, a user). */
  stop(instanceId: string): void {
    const instance = this.instances.get(instanceId);
    if (instance) instance.stoppedAtMs = this.options.clock.now();
  }

  private stateOf(i: SimInstance): InstanceState {
    const now = this.options.clock.now();
    if (i.terminatedAtMs !== undefined) return now - i.terminatedAtMs >= (this.options.terminateDelayMs ?? 30_000) ? "terminated" : "shutting-down";
    if (i.stoppedAtMs !== undefined) return "stopped";
    return now - i.launchTimeMs >= (this.options.bootDelayMs ?? 30_000) ? "running" : "pending";
  }

  private view(i: SimInstance): CloudInstance {
    return {
      providerId: providerIdFor(i.zone, i.instanceId),
      instanceId: i.instanceId,
      instanceType: i.instanceType,
      zone: i.zone,
      capacityType: i.capacityType,
      imageId: i.imageId,
      ...(i.subnetId ? { subnetId: i.subnetId } : {}),
      ...(i.securityGroupIds ? { securityGroupIds: [...i.securityGroupIds] } : {}),
      launchTimeMs: i.launchTimeMs,
      state: this.stateOf(i),
      tags: { ...i.tags },
      ...(i.tags[TAG_NODECLAIM] ? { nodeClaimName: i.tags[TAG_NODECLAIM] } : {}),
      ...(i.tags[TAG_NODEPOOL] ? { nodePoolName: i.tags[TAG_NODEPOOL] } : {}),
    };
  }
}
