/**
 * Preferences and their relaxation. A pod is first scheduled as if every preference were required
 * (preferred node affinity: the heaviest remaining term; preferred pod (anti-)affinity: all
 * remaining terms; ScheduleAnyway spreads: all). When it fits nowhere, one preference is dropped
 * and it is tried again, in Karpenter's order:
 *   1. the first remaining required node-affinity OR term (the next term is tried instead),
 *   2. a preferred pod affinity term, 3. a preferred pod anti-affinity term (heaviest first, so
 *      lighter ones get their chance), 4. the active preferred node-affinity term,
 *   5. a ScheduleAnyway spread constraint, 6. tolerate PreferNoSchedule taints.
 */
import type { Pod, PodAffinityTerm, TopologySpreadConstraint } from "../api/kubernetes.ts";

export interface RelaxState {
  /** Index of the required node-affinity term in use. */
  requiredTerm: number;
  preferredAffinityDropped: number;
  preferredAntiAffinityDropped: number;
  preferredNodeDropped: number;
  scheduleAnywayDropped: number;
  toleratePreferNoSchedule: boolean;
}

export const INITIAL_RELAX: RelaxState = {
  requiredTerm: 0,
  preferredAffinityDropped: 0,
  preferredAntiAffinityDropped: 0,
  preferredNodeDropped: 0,
  scheduleAnywayDropped: 0,
  toleratePreferNoSchedule: false,
};

/** The state with every preference dropped (preference policy Ignore). */
export function ignoreAllPreferences(pod: Pod): RelaxState {
  const a = pod.spec.affinity;
  return {
    requiredTerm: 0,
    preferredAffinityDropped: a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0,
    preferredAntiAffinityDropped: a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0,
    preferredNodeDropped: a?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0,
    scheduleAnywayDropped: scheduleAnyway(pod).length,
    toleratePreferNoSchedule: true,
  };
}

function scheduleAnyway(pod: Pod): TopologySpreadConstraint[] {
  return (pod.spec.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === "ScheduleAnyway");
}

/** Terms heaviest first, ties in spec order. */
function byWeight<T extends { weight: number }>(list: readonly T[] | undefined): T[] {
  return (list ?? []).map((t, i) => ({ t, i })).sort((a, b) => b.t.weight - a.t.weight || a.i - b.i).map((x) => x.t);
}

/** The next, more relaxed state, with what was dropped; undefined when nothing is left to relax. */
export function relax(pod: Pod, s: RelaxState): { state: RelaxState; dropped: string } | undefined {
  const a = pod.spec.affinity;
  const required = a?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms.length ?? 0;
  if (s.requiredTerm + 1 < required) return { state: { ...s, requiredTerm: s.requiredTerm + 1 }, dropped: `required node affinity term ${s.requiredTerm}` };
  if (s.preferredAffinityDropped < (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0))
    return { state: { ...s, preferredAffinityDropped: s.preferredAffinityDropped + 1 }, dropped: "a preferred pod affinity term" };
  if (s.preferredAntiAffinityDropped < (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0))
    return { state: { ...s, preferredAntiAffinityDropped: s.preferredAntiAffinityDropped + 1 }, dropped: "a preferred pod anti-affinity term" };
  if (s.preferredNodeDropped < (a?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0))
    return { state: { ...s, preferredNodeDropped: s.preferredNodeDropped + 1 }, dropped: "a preferred node affinity term" };
  if (s.scheduleAnywayDropped < scheduleAnyway(pod).length)
    return { state: { ...s, scheduleAnywayDropped: s.scheduleAnywayDropped + 1 }, dropped: "a ScheduleAnyway topology spread" };
  if (!s.toleratePreferNoSchedule) return { state: { ...s, toleratePreferNoSchedule: true }, dropped: "PreferNoSchedule taints" };
  return undefined;
}

/** The pod (anti-)affinity and spread terms in force at a relaxation state. */
export function activeTopologyTerms(pod: Pod, s: RelaxState): { spreads: TopologySpreadConstraint[]; affinity: PodAffinityTerm[]; antiAffinity: PodAffinityTerm[] } {
  const a = pod.spec.affinity;
  const spreads = (pod.spec.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable !== "ScheduleAnyway");
  spreads.push(...scheduleAnyway(pod).slice(s.scheduleAnywayDropped));
  const affinity = [...(a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])];
  affinity.push(...byWeight(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution).slice(s.preferredAffinityDropped).map((p) => p.podAffinityTerm));
  const antiAffinity = [...(a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])];
  antiAffinity.push(...byWeight(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution).slice(s.preferredAntiAffinityDropped).map((p) => p.podAffinityTerm));
  // Terms without a topology key can't be evaluated (the API server rejects them); skip them.
  return {
    spreads: spreads.filter((c) => c && typeof c.topologyKey === "string"),
    affinity: affinity.filter((t) => t && typeof t.topologyKey === "string"),
    antiAffinity: antiAffinity.filter((t) => t && typeof t.topologyKey === "string"),
  };
}
