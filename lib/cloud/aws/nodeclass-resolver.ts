/**
 * Resolves an EC2NodeClass's selectors against EC2 and SSM into subnets, security groups, AMIs and an
 * instance profile, with readiness conditions. Results are cached for a short TTL on the injected
 * Clock; a result that failed because of an API error is not cached.
 */
import {
  DescribeImagesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type Image,
} from "@aws-sdk/client-ec2";
import { GetParametersCommand } from "@aws-sdk/client-ssm";
import type { AMISelectorTerm, EC2NodeClass, NodeSelectorRequirement, SelectorTerm } from "../../api/types.ts";
import type { Clock } from "../../ports/clock.ts";
import type { ResolvedAmi, ResolvedCapacityReservation, ResolvedNodeClass, ResolvedSecurityGroup, ResolvedSubnet } from "../../ports/cloud.ts";
import { aliasTermAmis, aliasTermParameters, architectureRequirements } from "./ami-alias.ts";
import { selectNewestAmis } from "./ami-select.ts";
import { describeCapacityReservations } from "./capacity-reservations.ts";
import type { AwsClients, AwsCloudConfig } from "./config.ts";
import { InFlightLedger } from "./in-flight.ts";
import { InstanceProfiles } from "./instance-profile.ts";
import { readinessConditions, type ConditionType } from "./readiness.ts";
import { amiTermFilters, isEmptyTerm, selectorTermFilters } from "./selectors.ts";
import { TtlCache } from "./ttl-cache.ts";
import { userDataProblem } from "./userdata/index.ts";

export const DEFAULT_RESOLVE_TTL_MS = 60_000;

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export class NodeClassResolver {
  private readonly cache: TtlCache<{ resolved: ResolvedNodeClass; atMs: number }>;
  readonly instanceProfiles: InstanceProfiles;
  /** Launches since the last report: subtracted from cached subnet IPs and reservation counts. */
  readonly inFlight: InFlightLedger;
  /** The cache key last used per NodeClass name: a changed spec drops the old entry. */
  private readonly keyByName = new Map<string, string>();

  constructor(
    private readonly clients: AwsClients,
    private readonly config: AwsCloudConfig,
    private readonly clock: Clock,
  ) {
    const ttlMs = config.resolveCacheTtlMs ?? DEFAULT_RESOLVE_TTL_MS;
    this.cache = new TtlCache(clock, ttlMs);
    this.instanceProfiles = new InstanceProfiles(clients.iam, { clusterName: config.clusterName, region: config.region });
    this.inFlight = new InFlightLedger(2 * ttlMs);
  }

  private withInFlight({ resolved, atMs }: { resolved: ResolvedNodeClass; atMs: number }): ResolvedNodeClass {
    return {
      ...resolved,
      subnets: this.inFlight.subnets(resolved.subnets, atMs),
      ...(resolved.capacityReservations ? { capacityReservations: this.inFlight.reservations(resolved.capacityReservations, atMs) } : {}),
    };
  }

  async resolve(nodeClass: EC2NodeClass): Promise<ResolvedNodeClass> {
    const s = nodeClass.spec;
    const key = JSON.stringify([nodeClass.metadata.name, s.subnetSelectorTerms, s.securityGroupSelectorTerms, s.amiSelectorTerms, s.role, s.instanceProfile, s.amiFamily, s.userData, s.capacityReservationSelectorTerms]);
    const hit = this.cache.get(key);
    if (hit) return this.withInFlight(hit);
    // Otherwise a spec changed back within the TTL (role A -> B -> A) would answer from A's old
    // entry without putting role A back into the instance profile.
    const previous = this.keyByName.get(nodeClass.metadata.name);
    if (previous !== undefined && previous !== key) this.cache.delete(previous);
    this.keyByName.set(nodeClass.metadata.name, key);
    const atMs = this.clock.now();

    const problems: Partial<Record<ConditionType, string>> = {};
    let apiError = false;
    const attempt = async <T>(type: ConditionType, fallback: T, load: () => Promise<T>): Promise<T> => {
      try {
        return await load();
      } catch (err) {
        problems[type] = errorText(err);
        apiError = true;
        return fallback;
      }
    };
    const [subnets, securityGroups, amis] = await Promise.all([
      attempt("SubnetsReady", [] as ResolvedSubnet[], () => this.subnets(s.subnetSelectorTerms)),
      attempt("SecurityGroupsReady", [] as ResolvedSecurityGroup[], () => this.securityGroups(s.securityGroupSelectorTerms)),
      attempt("AMIsReady", [] as ResolvedAmi[], () => this.amis(s.amiSelectorTerms, problems)),
    ]);
    let instanceProfile = s.instanceProfile;
    if (!instanceProfile && s.role) {
      const role = s.role;
      instanceProfile = await attempt("InstanceProfileReady", undefined as string | undefined, () => this.instanceProfiles.ensure(nodeClass.metadata.name, role));
    }
    // Reservations are optional extras: failing to read them costs reserved offerings, not readiness.
    let capacityReservations: ResolvedCapacityReservation[] | undefined;
    if (s.capacityReservationSelectorTerms?.length) {
      try {
        capacityReservations = await describeCapacityReservations(this.clients.ec2, s.capacityReservationSelectorTerms, atMs);
      } catch {
        capacityReservations = [];
        apiError = true;
      }
    }
    const validation = userDataProblem(nodeClass);
    if (validation) problems.ValidationSucceeded = validation;
    const { conditions, ready } = readinessConditions({
      subnets, securityGroups, amis, ...(instanceProfile ? { instanceProfile } : {}), problems,
      nowIso: new Date(this.clock.now()).toISOString(),
    });
    const resolved: ResolvedNodeClass = {
      name: nodeClass.metadata.name, subnets, securityGroups, amis, ...(instanceProfile ? { instanceProfile } : {}),
      ...(capacityReservations ? { capacityReservations } : {}), conditions, ready,
    };
    if (!apiError) this.cache.set(key, { resolved, atMs });
    return this.withInFlight({ resolved, atMs });
  }

  invalidate(): void {
    this.cache.clear();
    this.keyByName.clear();
  }

  private async subnets(terms: SelectorTerm[]): Promise<ResolvedSubnet[]> {
    const byId = new Map<string, ResolvedSubnet>();
    for (const term of terms) {
      if (isEmptyTerm(term)) continue;
      let token: string | undefined;
      do {
        const out = await this.clients.ec2.send(new DescribeSubnetsCommand({ Filters: selectorTermFilters("subnet", term), NextToken: token }));
        for (const s of out.Subnets ?? []) {
          if (!s.SubnetId || !s.AvailabilityZone || s.State === "pending") continue;
          byId.set(s.SubnetId, {
            id: s.SubnetId, zone: s.AvailabilityZone, ...(s.AvailabilityZoneId ? { zoneId: s.AvailabilityZoneId } : {}),
            availableIps: s.AvailableIpAddressCount ?? 0,
          });
        }
        token = out.NextToken;
      } while (token);
    }
    return [...byId.values()].sort((a, b) => b.availableIps - a.availableIps || a.id.localeCompare(b.id));
  }

  private async securityGroups(terms: SelectorTerm[]): Promise<ResolvedSecurityGroup[]> {
    const byId = new Map<string, ResolvedSecurityGroup>();
    for (const term of terms) {
      if (isEmptyTerm(term)) continue;
      let token: string | undefined;
      do {
        const out = await this.clients.ec2.send(new DescribeSecurityGroupsCommand({ Filters: selectorTermFilters("security-group", term), NextToken: token }));
        for (const g of out.SecurityGroups ?? []) {
          if (g.GroupId) byId.set(g.GroupId, { id: g.GroupId, ...(g.GroupName ? { name: g.GroupName } : {}) });
        }
        token = out.NextToken;
      } while (token);
    }
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  private async amis(terms: AMISelectorTerm[], problems: Partial<Record<ConditionType, string>>): Promise<ResolvedAmi[]> {
    const found: ResolvedAmi[] = [];
    const unresolved: string[] = [];
    for (const term of terms) {
      if (term.alias !== undefined) {
        const params = aliasTermParameters(term.alias, this.config.kubernetesVersion, this.config.ssmParameterPrefix);
        if ("error" in params) {
          unresolved.push(params.error);
          continue;
        }
        const values = await this.ssmValues(params.map((p) => p.path));
        const images = await this.describeImagesById([...values.values()]);
        const { amis, problem } = aliasTermAmis(term.alias, params, values, (id, requirements) => toResolvedAmi(id, images.get(id), requirements, this.clock.now()));
        found.push(...amis);
        if (problem) unresolved.push(problem);
      } else if (term.ssmParameter !== undefined) {
        const values = await this.ssmValues([term.ssmParameter]);
        const id = values.get(term.ssmParameter);
        if (!id) {
          unresolved.push(`SSM parameter ${term.ssmParameter} not found`);
          continue;
        }
        const image = (await this.describeImagesById([id])).get(id);
        found.push(toResolvedAmi(id, image, architectureRequirements(image?.Architecture), this.clock.now()));
      } else if (!isEmptyTerm(term)) {
        const { filters, owners, imageIds } = amiTermFilters(term);
        let token: string | undefined;
        do {
          const out = await this.clients.ec2.send(new DescribeImagesCommand({
            ...(filters.length ? { Filters: filters } : {}), ...(owners ? { Owners: owners } : {}), ...(imageIds ? { ImageIds: imageIds } : {}), NextToken: token,
          }));
          for (const image of out.Images ?? []) {
            if (image.ImageId) found.push(toResolvedAmi(image.ImageId, image, architectureRequirements(image.Architecture), this.clock.now()));
          }
          token = out.NextToken;
        } while (token);
      }
    }
    if (found.length === 0 && unresolved.length > 0) problems.AMIsReady = unresolved.join("; ");
    return selectNewestAmis(found);
  }

  private async ssmValues(names: string[]): Promise<Map<string, string>> {
    const values = new Map<string, string>();
    for (let i = 0; i < names.length; i += 10) {
      const out = await this.clients.ssm.send(new GetParametersCommand({ Names: names.slice(i, i + 10) }));
      for (const p of out.Parameters ?? []) if (p.Name && p.Value) values.set(p.Name, p.Value);
    }
    return values;
  }

  /** Filters on image-id rather than ImageIds, so an unknown id is just absent instead of an error. */
  private async describeImagesById(ids: string[]): Promise<Map<string, Image>> {
    const images = new Map<string, Image>();
    if (ids.length === 0) return images;
    const out = await this.clients.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: "image-id", Values: [...new Set(ids)] }] }));
    for (const image of out.Images ?? []) if (image.ImageId) images.set(image.ImageId, image);
    return images;
  }
}

function toResolvedAmi(id: string, image: Image | undefined, requirements: NodeSelectorRequirement[], nowMs: number): ResolvedAmi {
  const deprecated = image?.DeprecationTime !== undefined && Date.parse(image.DeprecationTime) <= nowMs;
  return {
    id,
    ...(image?.Name ? { name: image.Name } : {}),
    requirements,
    ...(image?.CreationDate ? { creationDate: image.CreationDate } : {}),
    ...(deprecated ? { deprecated: true } : {}),
  };
}
