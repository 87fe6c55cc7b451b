/** Assertion helpers over SchedulingResult. */
import type { SchedulingResult } from "../../lib/scheduling/types.ts";
import { CAPACITY_TYPE, ZONE } from "./builders.ts";

export function claimPods(r: SchedulingResult): string[][] {
  return r.newNodeClaims.map((c) => c.pods.map((p) => p.metadata.name).sort());
}

/** Where each pod went: claim index `claim:<i>`, existing node name, or `unschedulable`. */
export function placementOf(r: SchedulingResult): Record<string, string> {
  const out: Record<string, string> = {};
  r.newNodeClaims.forEach((c, i) => c.pods.forEach((p) => (out[p.metadata.name] = `claim:${i}`)));
  for (const e of r.existingNodes) for (const p of e.pods) out[p.metadata.name] = e.name;
  for (const u of r.unschedulable) out[u.pod.metadata.name] = "unschedulable";
  return out;
}

/** Pods per zone label across new claims (claims without a single zone count under "?"). */
export function podsPerZone(r: SchedulingResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of r.newNodeClaims) {
    const z = c.labels[ZONE] ?? "?";
    out[z] = (out[z] ?? 0) + c.pods.length;
  }
  return out;
}

/** Cheapest available offering of the claim's first (cheapest) instance type. */
export function claimPrice(c: SchedulingResult["newNodeClaims"][number]): number {
  const zone = c.requirements.find((r) => r.key === ZONE);
  const ct = c.requirements.find((r) => r.key === CAPACITY_TYPE);
  let best = Infinity;
  for (const t of c.instanceTypes) {
    for (const o of t.offerings) {
      if (!o.available || (zone && !zone.values!.includes(o.zone)) || (ct && !ct.values!.includes(o.capacityType))) continue;
      if (o.price < best) best = o.price;
    }
  }
  return best;
}

export function reasonOf(r: SchedulingResult, podName: string): string | undefined {
  return r.unschedulable.find((u) => u.pod.metadata.name === podName)?.reason;
}
