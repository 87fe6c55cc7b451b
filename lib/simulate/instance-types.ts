/**
 * The instance types each NodePool may launch in a simulation: either a user's `--instance-types`
 * catalog (used as given), or the bundled AWS catalog for the region, computed with the kubelet
 * settings of the EC2NodeClass the NodePool references, so allocatable matches a real launch.
 */
import type { EC2NodeClass, NodePool } from "../api/types.ts";
import { catalogData, loadAwsInstanceTypes, usualZones, type AwsCatalog, type RegionCatalog } from "../cloud/aws/catalog/index.ts";
import { labelSatisfies } from "../requirements/node-selector.ts";
import type { InstanceType } from "../ports/instance-type.ts";
import type { NodePoolOption } from "../scheduling/types.ts";
import { withNodeCost } from "../pricing/node-cost.ts";

export type InstanceTypeSource =
  | { kind: "catalog"; instanceTypes: InstanceType[] }
  | {
      kind: "aws";
      region: string;
      /** Zones to assume where no EC2NodeClass `status.subnets` says (`--zones`); default: the region's usual zones. */
      zones?: readonly string[];
      /** Prices read from AWS (`--live`), over the bundled table's. */
      live?: { onDemand?: ReadonlyMap<string, number>; spot?: ReadonlyMap<string, number>; readAt: string; catalog?: RegionCatalog };
    };

const EC2_NODE_CLASS_GROUP = "karpenter.k8s.aws";

/**
 * What the prices in a table are, in one line under it (the notes say the same at more length):
 * the offline catalog's are on-demand list prices of one region, for Linux (Windows plus its
 * licence), with spot priced at on-demand and each node's EBS volumes counted; a user's catalog is
 * used as given.
 */
export function priceBasis(source: InstanceTypeSource): string {
  if (source.kind === "catalog") return "$/HOUR: as given in the --instance-types catalog";
  if (source.live) {
    const spot = source.live.spot ? "spot from the spot price history" : "spot priced at on-demand (the spot price history could not be read)";
    const onDemand = source.live.onDemand ? "on-demand from the Pricing API" : `on-demand from the offline catalog (the Pricing API could not be read)`;
    const types = source.live.catalog ? "instance types and offerings from EC2" : "instance types from the offline catalog";
    return `$/HOUR: live prices for ${source.region}, read ${source.live.readAt}: ${onDemand}, ${spot}, Linux (Windows plus its licence); ${types}; EBS volumes counted`;
  }
  const priced = catalogData().pricedRegion;
  const where = priced === source.region ? `${priced} on-demand list prices` : `${priced} on-demand list prices, used for ${source.region}`;
  return `$/HOUR: offline catalog, ${where}, Linux (Windows plus its licence); spot priced at on-demand (no spot prices offline); EBS volumes counted`;
}

/** The EC2NodeClass a NodePool references, if it is in the input. */
export function nodeClassFor(pool: NodePool, nodeClasses: readonly EC2NodeClass[]): EC2NodeClass | undefined {
  const ref = pool.spec.template.spec.nodeClassRef;
  if (ref.group !== EC2_NODE_CLASS_GROUP || ref.kind !== "EC2NodeClass") return undefined;
  return nodeClasses.find((nc) => nc.metadata.name === ref.name);
}

export function nodePoolOptions(
  pools: readonly NodePool[],
  nodeClasses: readonly EC2NodeClass[],
  source: InstanceTypeSource,
  note: (message: string) => void,
): NodePoolOption[] {
  // Pools sharing a NodeClass share one computed list: the catalog is large.
  const byNodeClass = new Map<string, AwsCatalog>();
  const notesSeen = new Set<string>();
  const noteOnce = (message: string) => {
    if (notesSeen.has(message)) return;
    notesSeen.add(message);
    note(message);
  };
  return pools.map((nodePool) => {
    const nodeClass = nodeClassFor(nodePool, nodeClasses);
    const ref = nodePool.spec.template.spec.nodeClassRef;
    if (!nodeClass && source.kind === "aws") {
      noteOnce(`NodePool ${nodePool.metadata.name}: ${ref.kind} ${ref.name} is not in the input; default kubelet settings are used for allocatable`);
    }
    let instanceTypes: InstanceType[];
    if (source.kind === "catalog") {
      if (nodeClass?.spec.kubelet && Object.keys(nodeClass.spec.kubelet).length > 0) {
        noteOnce(`EC2NodeClass ${nodeClass.metadata.name}: kubelet settings do not change allocatable from an --instance-types catalog, which is used as given`);
      }
      instanceTypes = source.instanceTypes;
    } else {
      const cacheKey = nodeClass ? `class/${nodeClass.metadata.name}` : "default";
      let cached = byNodeClass.get(cacheKey);
      if (!cached) {
        // A NodeClass that reports its subnets limits offerings to their zones, as a real launch would.
        let zones = [...new Set((nodeClass?.status?.subnets ?? []).map((s) => s.zone))].sort();
        if (zones.length === 0) zones = assumedZones(source, noteOnce);
        const loaded = loadAwsInstanceTypes({
          region: source.region,
          ...(nodeClass ? { nodeClass } : {}),
          zones,
          ...(source.live?.onDemand ? { onDemandPrices: source.live.onDemand } : {}),
          ...(source.live?.spot ? { spotPrices: source.live.spot } : {}),
          ...(source.live?.catalog ? { regionCatalog: source.live.catalog } : {}),
        });
        const perPool = new Set(loaded.incompatible.map((u) => u.note));
        for (const message of loaded.notes) if (!perPool.has(message)) noteOnce(message);
        cached = loaded;
        byNodeClass.set(cacheKey, cached);
      }
      // Types the NodeClass can't launch matter only to a NodePool that could have chosen them.
      for (const u of cached.incompatible) if (couldChoose(nodePool, cached.instanceTypes, u.instanceTypes)) noteOnce(u.note);
      instanceTypes = cached.instanceTypes;
    }
    const option: NodePoolOption = { nodePool, instanceTypes: withNodeCost(instanceTypes, nodePool) };
    if (nodeClass) option.nodeClass = nodeClass;
    return option;
  });
}

/** The zones assumed for a NodePool whose EC2NodeClass reports no subnets, said once in a note. */
function assumedZones(source: Extract<InstanceTypeSource, { kind: "aws" }>, note: (message: string) => void): string[] {
  if (source.zones) {
    note(`zones: ${source.zones.join(", ")} (from --zones) where no EC2NodeClass status.subnets names them`);
    return [...source.zones];
  }
  const usual = usualZones(source.region, source.live?.catalog);
  const leftOut = usual.leftOut.map((z) => `${z.zone}, which offers ${z.offered} of the region's ${usual.total} instance types`);
  note(
    `zones: assumed ${usual.zones.join(", ")} where no EC2NodeClass status.subnets names them` +
      `${leftOut.length > 0 ? ` (left out ${leftOut.join("; ")})` : ""}; give --zones to use your cluster's`,
  );
  return usual.zones;
}

/**
 * Whether the NodePool's requirements allow any of the named types, judged by the types' own labels
 * (a `karpenter.k8s.aws/` label a type lacks, such as a GPU count, is absent; keys that are not
 * instance-type labels, such as the zone, are left to the launch).
 */
function couldChoose(pool: NodePool, instanceTypes: readonly InstanceType[], names: readonly string[]): boolean {
  const requirements = pool.spec.template.spec.requirements;
  const judged = (key: string, it: InstanceType) => it.labels[key] !== undefined || key.startsWith("karpenter.k8s.aws/");
  return instanceTypes.some((it) => names.includes(it.name) && requirements.every((r) => !judged(r.key, it) || labelSatisfies(it.labels[r.key], r)));
}
