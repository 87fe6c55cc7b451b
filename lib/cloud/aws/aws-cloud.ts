/** The Cloud port on real AWS: EC2 (CreateFleet), SSM (AMI aliases) and Pricing. */
import { DescribeLaunchTemplatesCommand } from "@aws-sdk/client-ec2";
import type { EC2NodeClass } from "../../api/types.ts";
import type { Clock } from "../../ports/clock.ts";
import type { Cloud, CloudInstance, LaunchRequest, ResolvedNodeClass } from "../../ports/cloud.ts";
import { providerIdFor } from "../../ports/cloud.ts";
import { offeringKeyString, type UnavailableOfferingsStore } from "../../ports/unavailable-offerings.ts";
import type { InstanceType } from "../../ports/instance-type.ts";
import { loadAwsInstanceTypes, regionZones } from "./catalog/index.ts";
import { readRegionCatalog, type RegionCatalog } from "./catalog/live.ts";
import { TtlCache } from "./ttl-cache.ts";
import { catalogZoneOptions } from "./catalog-zones.ts";
import type { AwsClients, AwsCloudConfig } from "./config.ts";
import { InstanceRepository } from "./instances.ts";
import { Launcher } from "./launch/launcher.ts";
import { LaunchTemplateStore } from "./launch/template-store.ts";
import { NodeClassResolver } from "./nodeclass-resolver.ts";
import { PriceBook, type PriceSnapshot } from "./pricing.ts";
import { withReservedOfferings } from "./reserved-offerings.ts";
import { launchTags, managedByFilter } from "./tags.ts";

/** A price read that failed is tried again after this long. */
const PRICE_RETRY_MS = 5 * 60_000;

export interface AwsCloudDeps {
  clients: AwsClients;
  config: AwsCloudConfig;
  clock: Clock;
  unavailable: UnavailableOfferingsStore;
}

export class AwsCloud implements Cloud {
  private readonly resolver: NodeClassResolver;
  private readonly instances: InstanceRepository;
  private readonly templates: LaunchTemplateStore;
  private readonly launcher: Launcher;
  private readonly prices: PriceBook;
  private readonly liveCatalog: TtlCache<RegionCatalog>;
  private pricesReadAt = -Infinity;
  private priceRead: Promise<void> | undefined;

  constructor(private readonly deps: AwsCloudDeps) {
    const { clients, config, clock } = deps;
    this.resolver = new NodeClassResolver(clients, config, clock);
    this.instances = new InstanceRepository(clients.ec2, config.clusterName);
    this.templates = new LaunchTemplateStore(clients.ec2, config.clusterName);
    this.launcher = new Launcher(clients.ec2, this.templates, deps.unavailable, clock, config, this.resolver.inFlight);
    this.prices = new PriceBook(clients.ec2, clients.pricing, config.region);
    this.liveCatalog = new TtlCache(clock, config.instanceCatalogTtlMs ?? 6 * 3_600_000);
  }

  resolveNodeClass(nodeClass: EC2NodeClass): Promise<ResolvedNodeClass> {
    return this.resolver.resolve(nodeClass);
  }

  /**
   * The region's instance types and offerings read from EC2, when the setting asks for them (or the
   * region is not bundled); undefined means the bundled catalog. A failed read falls back to the
   * bundled catalog where there is one, and is an error elsewhere.
   */
  private async regionCatalog(): Promise<RegionCatalog | undefined> {
    const { region, instanceCatalog = "auto" } = this.deps.config;
    const bundled = regionZones(region) !== undefined;
    if (instanceCatalog === "bundled" || (instanceCatalog === "auto" && bundled)) return undefined;
    try {
      return await this.liveCatalog.getOrLoad(region, () => readRegionCatalog(this.deps.clients.ec2, region, this.deps.clock.now()));
    } catch (error) {
      if (!bundled) throw new Error(`instance types for ${region}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /**
   * Starts a price read when the last is older than `priceRefreshMs` (a failed one is retried after
   * PRICE_RETRY_MS), and waits for it at most `priceWaitMs`: a slow Pricing API never holds up a
   * launch, and the read in progress serves the next call.
   */
  private async freshPrices(): Promise<void> {
    const every = this.deps.config.priceRefreshMs;
    if (every === undefined) return;
    const now = this.deps.clock.now();
    if (!this.priceRead && now - this.pricesReadAt >= every) {
      this.pricesReadAt = now - every + PRICE_RETRY_MS;
      this.priceRead = this.prices.refresh().then(
        (snapshot) => {
          if (snapshot.errors.length === 0) this.pricesReadAt = now;
        },
        () => undefined,
      ).finally(() => {
        this.priceRead = undefined;
      });
    }
    if (!this.priceRead) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.deps.config.priceWaitMs ?? 2_000)));
    await Promise.race([this.priceRead, waited]);
    clearTimeout(timer);
  }

  async instanceTypes(nodeClass: EC2NodeClass): Promise<InstanceType[]> {
    const resolved = await this.resolver.resolve(nodeClass);
    const regionCatalog = await this.regionCatalog();
    await this.freshPrices();
    const unavailable = new Set((await this.deps.unavailable.listUnavailable(this.deps.clock.now())).map(offeringKeyString));
    const prices = this.prices.snapshot();
    const catalog = loadAwsInstanceTypes({
      region: this.deps.config.region,
      nodeClass,
      ...catalogZoneOptions(this.deps.config.region, resolved.subnets, regionCatalog?.region),
      ...(regionCatalog ? { regionCatalog } : {}),
      unavailable,
      ...(prices.onDemand ? { onDemandPrices: prices.onDemand } : {}),
      ...(prices.spot ? { spotPrices: prices.spot } : {}),
      ...(this.deps.config.vmMemoryOverheadPercent !== undefined ? { vmMemoryOverheadPercent: this.deps.config.vmMemoryOverheadPercent } : {}),
      ...(this.deps.config.reservedENIs !== undefined ? { reservedENIs: this.deps.config.reservedENIs } : {}),
    }).instanceTypes;
    return withReservedOfferings(catalog, resolved.capacityReservations ?? [], unavailable);
  }

  /** Fetch on-demand and spot prices now (a scheduled function calls this every 12 h). */
  refreshPrices(): Promise<PriceSnapshot> {
    return this.prices.refresh();
  }

  async create(request: LaunchRequest): Promise<CloudInstance> {
    const existing = await this.instances.findByNodeClaim(request.nodeClaimName);
    if (existing) return existing;
    const resolved = await this.resolver.resolve(request.nodeClass);
    const launched = await this.launcher.launch(request, resolved);
    const described = await this.instances.get(launched.instanceId).catch(() => undefined);
    // What the launch used, where DescribeInstances leaves it out (moto reports no security groups
    // for launch-template instances): the NodeClaim records both for EC2NodeClass drift.
    const used = {
      ...(launched.subnetId ? { subnetId: launched.subnetId } : {}),
      ...(launched.securityGroupIds ? { securityGroupIds: launched.securityGroupIds } : {}),
    };
    if (described) return { ...used, ...described };
    // DescribeInstances is eventually consistent; answer from what CreateFleet said.
    const tags = launchTags({
      clusterName: this.deps.config.clusterName, nodePoolName: request.nodePoolName, nodeClaimName: request.nodeClaimName,
      nodeClassName: request.nodeClass.metadata.name, nodeClassTags: request.nodeClass.spec.tags,
    });
    return {
      providerId: providerIdFor(launched.zone, launched.instanceId),
      instanceId: launched.instanceId,
      instanceType: launched.instanceType,
      zone: launched.zone,
      capacityType: launched.capacityType,
      imageId: launched.imageId,
      ...used,
      launchTimeMs: this.deps.clock.now(),
      state: "pending",
      tags,
      nodeClaimName: request.nodeClaimName,
      nodePoolName: request.nodePoolName,
    };
  }

  get(instanceId: string): Promise<CloudInstance | undefined> {
    return this.instances.get(instanceId);
  }

  list(): Promise<CloudInstance[]> {
    return this.instances.list();
  }

  delete(instanceId: string): Promise<void> {
    return this.instances.terminate(instanceId);
  }

  /**
   * Delete the instance profiles Tenon made for NodeClasses not in `keep` (names of the NodeClasses
   * that exist or still have instances). Returns the deleted profiles' names.
   */
  cleanupInstanceProfiles(keep: ReadonlySet<string>): Promise<string[]> {
    return this.resolver.instanceProfiles.cleanup(keep);
  }

  /** Delete this cluster's launch templates not in `inUse` (names or EC2 ids) and older than `graceMs`. */
  async cleanupLaunchTemplates(inUse: ReadonlySet<string>, graceMs = 5 * 60_000): Promise<string[]> {
    return this.templates.cleanup(await this.templateNamesIn(inUse), this.deps.clock.now(), graceMs);
  }

  /** The template store matches names; instances name their template by id, so ids are looked up. */
  private async templateNamesIn(inUse: ReadonlySet<string>): Promise<Set<string>> {
    const names = new Set(inUse);
    if (![...inUse].some((v) => v.startsWith("lt-"))) return names;
    let token: string | undefined;
    do {
      const page = await this.deps.clients.ec2.send(new DescribeLaunchTemplatesCommand({
        Filters: [managedByFilter(this.deps.config.clusterName)], NextToken: token,
      }));
      for (const t of page.LaunchTemplates ?? []) {
        if (t.LaunchTemplateId && t.LaunchTemplateName && inUse.has(t.LaunchTemplateId)) names.add(t.LaunchTemplateName);
      }
      token = page.NextToken;
    } while (token);
    return names;
  }
}
