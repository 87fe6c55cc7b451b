/**
 * Per-pod work done once: pods that schedule alike (same namespace, labels, requests, ports and
 * scheduling constraints; pod-groups.ts) form a group that
 * shares one PodPlan per relaxation state: requests, host ports, node requirements, topology
 * groups, and the list of bins (existing nodes and claims) not yet ruled out for good. Claims only
 * fill up and narrow, so a bin that failed for a reason that can't improve is skipped by every
 * later pod of the group.
 */
import type { Toleration, Pod } from "../api/kubernetes.ts";
import type { Resources } from "../quantity/resources.ts";
import { Requirements } from "../requirements/index.ts";
import type { Bin } from "./bins.ts";
import { CandidateList } from "./candidate-list.ts";
import type { HostPort } from "./host-ports.ts";
import type { PodNodeConstraints } from "./node-affinity.ts";
import { activeTopologyTerms, type RelaxState } from "./preferences.ts";
import type { Topology, TopologyGroup } from "./topology.ts";

/** Groups with the same constraints and any requests: their plans share candidate lists, per relaxation state. */
export interface PodFamily {
  readonly lists: Map<string, CandidateList>;
}

export interface PodGroup {
  readonly id: number;
  /** A representative pod: every member has the same namespace, labels, requests, ports and scheduling constraints. */
  readonly rep: Pod;
  readonly requests: Resources;
  readonly ports: readonly HostPort[];
  readonly node: PodNodeConstraints;
  /**
   * What the pod's volumes allow, as alternatives (any one will do); one unconstrained entry when
   * they allow anything. Never part of the requirements spreads count nodes by (as in Karpenter).
   */
  readonly volumeAlts: readonly Requirements[];
  /** Set when the pod can't be scheduled whatever happens (bad quantity, missing volume). */
  readonly error?: string;
  readonly plans: Map<string, PodPlan>;
  readonly family: PodFamily;
  /** The requests over the run's resources, for the candidate lists' headroom index (set on first use). */
  want?: Float64Array;
  /** The relaxation state the last member was placed with: later members start there. */
  startState?: RelaxState;
}

export interface PodPlan {
  readonly group: PodGroup;
  readonly state: RelaxState;
  readonly nodeReqs: Requirements;
  readonly tolerations: readonly Toleration[];
  readonly ignorePreferNoSchedule: boolean;
  /** The pod's own topology groups, then inverse anti-affinity groups that repel it. */
  readonly topo: TopologyGroup[];
  readonly ownCount: number;
  readonly selfSelects: boolean[];
  /**
   * Bins still possibly usable, shared by the plans (same relaxation state) of every group with
   * the same constraints whatever their requests: a bin is dropped from it (null) only for a
   * reason no size changes (taints, ports, requirements).
   */
  shared: CandidateList;
  /** Bins this plan's pods are too big for, for good (claims only fill up and narrow). */
  tooSmall: Set<Bin>;
  /** Per template: undefined = not checked yet, null = passes static checks, string = why not. */
  readonly templateStatic: Array<string | null | undefined>;
  counting?: TopologyGroup[];
  countingGeneration?: number;
  ownedInverse?: TopologyGroup[];
  /**
   * The same plan under each further volume alternative (only `nodeReqs` differs), tried in order
   * on a bin when this one fails there; absent when the pod's volumes have one alternative.
   */
  variants?: PodPlan[];
}

export function planFor(group: PodGroup, state: RelaxState, topology: Topology): PodPlan {
  const key = JSON.stringify(state);
  let plan = group.plans.get(key);
  if (plan) return plan;
  const pod = group.rep;
  const node = group.node;
  let strictReqs = node.base;
  if (node.requiredTerms.length) strictReqs = strictReqs.intersect(node.requiredTerms[Math.min(state.requiredTerm, node.requiredTerms.length - 1)]!);
  // Spread's nodeAffinityPolicy looks at the pod's required constraints only: never at
  // preferences, nor at where its volumes are (they narrow the node, not the nodes counted).
  const preferred = node.preferredTerms[state.preferredNodeDropped];
  const podReqs = preferred ? strictReqs.intersect(preferred) : strictReqs;
  const tolerations = pod.spec.tolerations ?? [];
  const terms = activeTopologyTerms(pod, state);
  const own = topology.groupsFor(pod, terms, strictReqs, tolerations);
  const inverse = topology.inverseFor(pod);
  const make = (volume: Requirements): PodPlan => ({
    group,
    state,
    nodeReqs: podReqs.intersect(volume),
    tolerations,
    ignorePreferNoSchedule: state.toleratePreferNoSchedule,
    topo: [...own, ...inverse],
    ownCount: own.length,
    selfSelects: own.map((g) => g.selects(pod)),
    shared: new CandidateList(),
    tooSmall: new Set(),
    templateStatic: [],
  });
  plan = make(group.volumeAlts[0]!);
  if (group.volumeAlts.length > 1) plan.variants = group.volumeAlts.slice(1).map(make);
  else {
    // One volume alternative: the plan shares its family's list (a plan with alternatives keeps its own).
    let list = group.family.lists.get(key);
    if (!list) group.family.lists.set(key, (list = plan.shared));
    plan.shared = list;
  }
  group.plans.set(key, plan);
  return plan;
}

/** Groups that count this pod once placed (refreshed when new groups appear mid-run). */
export function countingGroups(plan: PodPlan, topology: Topology): TopologyGroup[] {
  if (plan.countingGeneration !== topology.generation) {
    plan.counting = topology.countingGroupsFor(plan.group.rep);
    plan.countingGeneration = topology.generation;
  }
  plan.ownedInverse ??= topology.inverseGroupsOwnedBy(plan.group.rep);
  return plan.counting!;
}
