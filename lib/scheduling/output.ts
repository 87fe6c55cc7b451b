/** Turns the run's claims and placements into the SchedulingResult shapes. */
import { LABEL_CAPACITY_TYPE, LABEL_HOSTNAME, LABEL_INSTANCE_TYPE, LABEL_ZONE } from "../api/labels.ts";
import { Requirement } from "../requirements/index.ts";
import type { ClaimBin, ExistingBin } from "./bins.ts";
import { truncateTypes, type PreparedType } from "./instance-types.ts";
import type { NewNodeClaim, Placement } from "./types.ts";

export function toNewNodeClaim(claim: ClaimBin, maxTypes: number): NewNodeClaim {
  const kept = truncateTypes(claim.types, claim.reqs, maxTypes);
  let reqs = claim.reqs.without(LABEL_HOSTNAME);
  // The claim can only be what its options offer: narrow type, zone and capacity type to them.
  const zones = new Set<string>();
  const capacityTypes = new Set<string>();
  const zoneReq = reqs.get(LABEL_ZONE);
  const capacityTypeReq = reqs.get(LABEL_CAPACITY_TYPE);
  for (const t of kept) {
    for (const o of t.offerings) {
      if ((zoneReq && !zoneReq.has(o.zone)) || (capacityTypeReq && !capacityTypeReq.has(o.capacityType))) continue;
      zones.add(o.zone);
      capacityTypes.add(o.capacityType);
    }
  }
  const minValues = (key: string) => reqs.get(key)?.minValues;
  reqs = reqs
    .with(Requirement.in(LABEL_INSTANCE_TYPE, kept.map((t) => t.it.name), minValues(LABEL_INSTANCE_TYPE)))
    .with(Requirement.in(LABEL_ZONE, zones, minValues(LABEL_ZONE)))
    .with(Requirement.in(LABEL_CAPACITY_TYPE, capacityTypes, minValues(LABEL_CAPACITY_TYPE)));
  // A custom label the NodePool allows several values of still needs one on the node (as
  // Karpenter gives it one): every pod here accepts each of them, so the first is taken.
  for (const r of [...reqs.values()]) {
    if (claim.template.allowUndefined(r.key) || r.complement || r.values.size < 2) continue;
    reqs = reqs.with(Requirement.single(r.key, [...r.values].sort()[0]!));
  }
  const labels: Record<string, string> = { ...reqs.labels(), ...claim.template.labels };
  const sortedLabels: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) sortedLabels[k] = labels[k]!;
  // The DaemonSets' requests on whichever kept type is launched: at least the least of them.
  const daemon = leastOverhead(kept);
  return {
    nodePoolName: claim.template.name,
    requirements: reqs.toNodeSelector(),
    labels: sortedLabels,
    taints: [...claim.template.taints],
    startupTaints: [...claim.template.startupTaints],
    instanceTypes: kept.map((t) => t.it),
    pods: [...claim.pods],
    requests: claim.need(daemon),
    daemonSetRequests: { ...daemon },
  };
}

function leastOverhead(types: readonly PreparedType[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (types.length === 0) return out;
  for (const name in types[0]!.daemon) {
    let least = Infinity;
    for (const t of types) least = Math.min(least, t.daemon[name] ?? 0);
    if (least > 0) out[name] = least;
  }
  return out;
}

export function toPlacements(existing: readonly ExistingBin[]): Placement[] {
  return existing.filter((b) => b.pods.length > 0).map((b) => ({ name: b.name, pods: [...b.pods] }));
}
