/**
 * Which offerings one launch may try, cheapest first: the decision half of a launch, with no I/O.
 * Mirrors Karpenter: offerings must be available, allowed by the NodeClaim, reachable through a
 * subnet and bootable by an image; one capacity type is chosen (reserved > spot > on-demand);
 * GPU/accelerator/metal types are used only when nothing else fits; spot dearer than the cheapest
 * on-demand is dropped; at most 60 types.
 */
import type { NodeSelectorRequirement } from "../../../api/types.ts";
import type { ResolvedAmi, ResolvedSubnet } from "../../../ports/cloud.ts";
import { offeringKeyString } from "../../../ports/unavailable-offerings.ts";
import { CAPACITY_TYPE_PRIORITY, type CapacityType, type InstanceType, type Offering } from "../../../ports/instance-type.ts";
import { amiForType } from "../ami-select.ts";
import { LABEL_INSTANCE_TYPE } from "../../../api/labels.ts";
import { labelSatisfies } from "../../../requirements/node-selector.ts";
import { capacityTypeAllowed, offeringAllowed } from "../requirements.ts";

export const MAX_INSTANCE_TYPES = 60;

export interface LaunchOption {
  instanceType: InstanceType;
  offering: Offering;
  subnet: ResolvedSubnet;
  ami: ResolvedAmi;
  /** Written to the kubelet config; part of the launch-template identity. */
  maxPods: number;
}

export interface LaunchPlanInput {
  instanceTypes: InstanceType[];
  requirements: NodeSelectorRequirement[];
  subnets: ResolvedSubnet[];
  amis: ResolvedAmi[];
  /** `capacityType:instanceType:zone` keys currently marked unavailable. */
  unavailable: ReadonlySet<string>;
  kubeletMaxPods?: number;
  maxInstanceTypes?: number;
}

export type LaunchPlan = { capacityType: CapacityType; options: LaunchOption[] } | { reason: string };

/** One subnet per zone: the one with the most free addresses. */
export function subnetsByZone(subnets: ResolvedSubnet[]): Map<string, ResolvedSubnet> {
  const best = new Map<string, ResolvedSubnet>();
  for (const s of subnets) {
    const current = best.get(s.zone);
    if (!current || s.availableIps > current.availableIps || (s.availableIps === current.availableIps && s.id < current.id)) best.set(s.zone, s);
  }
  return best;
}

/** GPU, accelerator or bare-metal types: expensive, used only when asked for. */
export function isExotic(type: InstanceType): boolean {
  const l = type.labels;
  return (
    "karpenter.k8s.aws/instance-gpu-count" in l ||
    "karpenter.k8s.aws/instance-accelerator-count" in l ||
    (type.capacity["habana.ai/gaudi"] ?? 0) > 0 ||
    type.name.split(".")[1]?.includes("metal") === true
  );
}

interface Candidate {
  type: InstanceType;
  ami: ResolvedAmi;
  offerings: Offering[];
}

export function planLaunch(input: LaunchPlanInput): LaunchPlan {
  const zones = subnetsByZone(input.subnets);
  const typeReqs = input.requirements.filter((r) => r.key === LABEL_INSTANCE_TYPE);
  let candidates: Candidate[] = [];
  let noAmi = 0;
  for (const type of input.instanceTypes) {
    if (!typeReqs.every((r) => labelSatisfies(type.name, r))) continue;
    const offerings = type.offerings.filter(
      (o) =>
        o.available &&
        !input.unavailable.has(offeringKeyString({ capacityType: o.capacityType, instanceType: type.name, zone: o.zone })) &&
        zones.has(o.zone) &&
        offeringAllowed(o, input.requirements),
    );
    if (offerings.length === 0) continue;
    const ami = amiForType(input.amis, type);
    if (!ami) {
      noAmi++;
      continue;
    }
    candidates.push({ type, ami, offerings });
  }
  if (candidates.length === 0) {
    return { reason: noAmi > 0 ? `no image fits the ${noAmi} candidate instance types` : "no available offering matches the requirements and the NodeClass's subnets" };
  }
  const ordinary = candidates.filter((c) => !isExotic(c.type));
  if (ordinary.length > 0) candidates = ordinary;

  let capacityType = CAPACITY_TYPE_PRIORITY.find((ct) => candidates.some((c) => c.offerings.some((o) => o.capacityType === ct)))!;
  if (capacityType === "spot" && capacityTypeAllowed("on-demand", input.requirements)) {
    const onDemandPrices = candidates.flatMap((c) => c.offerings.filter((o) => o.capacityType === "on-demand").map((o) => o.price));
    if (onDemandPrices.length > 0) {
      const cheapestOnDemand = Math.min(...onDemandPrices);
      candidates = candidates.map((c) => ({
        ...c,
        offerings: c.offerings.filter((o) => o.capacityType !== "spot" || o.price <= cheapestOnDemand),
      }));
      if (!candidates.some((c) => c.offerings.some((o) => o.capacityType === "spot"))) capacityType = "on-demand";
    }
  }
  const cheapest = (c: Candidate) => Math.min(...c.offerings.filter((o) => o.capacityType === capacityType).map((o) => o.price));
  const chosen = candidates
    .filter((c) => c.offerings.some((o) => o.capacityType === capacityType))
    .sort((a, b) => cheapest(a) - cheapest(b) || a.type.name.localeCompare(b.type.name))
    .slice(0, input.maxInstanceTypes ?? MAX_INSTANCE_TYPES);
  const options: LaunchOption[] = chosen.flatMap((c) =>
    c.offerings
      .filter((o) => o.capacityType === capacityType)
      .map((o) => ({
        instanceType: c.type,
        offering: o,
        subnet: zones.get(o.zone)!,
        ami: c.ami,
        maxPods: input.kubeletMaxPods ?? c.type.capacity.pods ?? 110,
      })),
  );
  options.sort((a, b) => a.offering.price - b.offering.price || a.instanceType.name.localeCompare(b.instanceType.name) || a.offering.zone.localeCompare(b.offering.zone));
  return { capacityType, options };
}
