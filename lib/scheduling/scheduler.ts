/**
 * `schedule()`: places pending pods onto existing capacity and new NodeClaims, the way Karpenter's
 * provisioner simulates it, as a pure function of its input.
 *
 * Pods go largest first (cpu, then memory). Each tries the existing nodes and in-flight claims,
 * then the claims made earlier in this run (first fit), then a new claim from each NodePool by
 * weight. A pod that fits nowhere has one preference relaxed and is tried again (preferences.ts);
 * when nothing is left to relax it waits for another round (pods placed meanwhile may be what it
 * needs) and, once a round places nothing, is reported with the reason from every NodePool. Finally,
 * claims whose pods would be cheaper on several smaller nodes are split (repack.ts).
 */
import type { Pod } from "../api/kubernetes.ts";
import { Requirements } from "../requirements/index.ts";
import { buildExistingBins } from "./existing-nodes.ts";
import type { RunContext } from "./context.ts";
import { ResourceSpace } from "./candidate-list.ts";
import { PoolLimits } from "./limits.ts";
import { toNewNodeClaim, toPlacements } from "./output.ts";
import { AllowedMemo } from "./placement-topology.ts";
import { NEVER, NOT_NOW, PLACED, TOO_SMALL, tryClaim, tryExisting, tryNewClaim, type BinOutcome } from "./placement.ts";
import type { Bin } from "./bins.ts";
import { planFor, type PodGroup, type PodPlan } from "./plan.ts";
import { groupPods } from "./pod-groups.ts";
import { ignoreAllPreferences, INITIAL_RELAX, relax, type RelaxState } from "./preferences.ts";
import { repackClaims } from "./repack.ts";
import { buildTemplates, isStaticNodePool, type NodePoolTemplate } from "./templates.ts";
import { Topology, type DomainSource } from "./topology.ts";
import type { SchedulingInput, SchedulingResult, UnschedulablePod } from "./types.ts";
import { VolumeIndex } from "./volume-topology.ts";

export const DEFAULT_MAX_INSTANCE_TYPES_PER_CLAIM = 60;

export function schedule(input: SchedulingInput): SchedulingResult {
  const options = input.options ?? {};
  // Static NodePools (spec.replicas) keep their own node count; pending pods never get claims from
  // them, as in Karpenter. Their existing nodes still count as capacity (they are existingNodes).
  const templates = buildTemplates(input.nodePools.filter((o) => !isStaticNodePool(o.nodePool)), input.daemonSets);
  const staticPools = input.nodePools.filter((o) => isStaticNodePool(o.nodePool)).map((o) => o.nodePool.metadata.name).sort();
  const existing = buildExistingBins(input.existingNodes, input.daemonSets);
  const sources: DomainSource[] = [
    ...templates.map((t) => ({ reqs: t.reqs, allowUndefined: t.allowUndefined, taints: t.taints, domains: (key: string) => t.domains(key) })),
    ...existing.map((b) => ({ reqs: b.reqs, taints: b.taints, domains: (key: string) => { const d = b.domain(key); return d === undefined ? [] : [d]; } })),
  ];
  const bound = input.existingNodes.map((n) => ({ labels: n.labels, reqs: Requirements.fromLabels(n.labels), taints: n.taints, pods: n.pods, name: n.name }));
  const topology = new Topology(sources, bound);
  const ctx: RunContext = {
    topology,
    templates,
    staticPools,
    existing,
    claims: [],
    bins: [...existing],
    open: [...existing],
    closedInOpen: 0,
    smallestRequest: {},
    resources: new ResourceSpace([]),
    limits: new PoolLimits(templates, input.existingNodes),
    maxTypes: options.maxInstanceTypesPerClaim ?? DEFAULT_MAX_INSTANCE_TYPES_PER_CLAIM,
    minValuesStrict: (options.minValuesPolicy ?? "Strict") === "Strict",
    nextHostname: 1,
    fitting: new Map(),
  };

  const { groups, groupOf, specRank } = groupPods(input.pods, new VolumeIndex(input.volumes));
  Object.assign(ctx.smallestRequest, smallestRequest(groups));
  ctx.resources = new ResourceSpace(groups.filter((g) => g.error === undefined).flatMap((g) => Object.keys(g.requests)));
  // Required anti-affinity of pending pods must repel pods placed before them too.
  for (const g of groups) if (!g.error) topology.inverseGroupsOwnedBy(g.rep);
  const ignore = options.preferencePolicy === "Ignore";
  // Make every topology group before placing anything, so none needs to catch up on placements.
  for (const g of groups) if (!g.error) planFor(g, initialState(g.rep, ignore), topology);

  const order = input.pods.map((_, i) => i);
  order.sort((a, b) => {
    const ga = groupOf[a]!;
    const gb = groupOf[b]!;
    return (gb.requests.cpu ?? 0) - (ga.requests.cpu ?? 0) || (gb.requests.memory ?? 0) - (ga.requests.memory ?? 0) || specRank[a]! - specRank[b]! || a - b;
  });

  const unschedulable: UnschedulablePod[] = [];
  let failed: Array<{ i: number; reason: string }> = [];
  for (const i of order) {
    const pod = input.pods[i]!;
    const group = groupOf[i]!;
    if (group.error !== undefined) {
      unschedulable.push({ pod, reason: group.error });
      continue;
    }
    const reason = placeWithRelaxation(ctx, pod, group, ignore);
    if (reason !== undefined) failed.push({ i, reason });
  }
  // Pods that failed go round again while a round places something: a pod may need one placed
  // after it (pod affinity to a smaller pod), as Karpenter's queue retries until no progress.
  while (failed.length > 0) {
    const next: typeof failed = [];
    for (const f of failed) {
      const reason = placeWithRelaxation(ctx, input.pods[f.i]!, groupOf[f.i]!, ignore);
      if (reason !== undefined) next.push({ i: f.i, reason });
    }
    const progress = next.length < failed.length;
    failed = next;
    if (!progress) break;
  }
  for (const f of failed) unschedulable.push({ pod: input.pods[f.i]!, reason: f.reason });

  if (options.repack !== false) repackClaims(ctx);

  const podIndex = new Map(input.pods.map((p, i) => [p, i]));
  unschedulable.sort((a, b) => podIndex.get(a.pod)! - podIndex.get(b.pod)!);
  return {
    newNodeClaims: ctx.claims.filter((c) => c.pods.length > 0).map((c) => toNewNodeClaim(c, ctx.maxTypes)),
    existingNodes: toPlacements(existing),
    unschedulable,
  };
}

/** Per resource, the least any pod asks for (resources some pod doesn't ask for count as zero). */
function smallestRequest(groups: readonly PodGroup[]): Record<string, number> {
  const valid = groups.filter((g) => g.error === undefined);
  if (valid.length === 0) return {};
  const names = new Set<string>();
  for (const g of valid) for (const name in g.requests) names.add(name);
  const out: Record<string, number> = {};
  for (const name of names) {
    let min = Infinity;
    for (const g of valid) min = Math.min(min, g.requests[name] ?? 0);
    if (min > 0) out[name] = min;
  }
  return out;
}

function initialState(pod: Pod, ignore: boolean): RelaxState {
  return ignore ? ignoreAllPreferences(pod) : INITIAL_RELAX;
}

/**
 * Places a pod, relaxing one preference at a time until it fits. Pods of a group schedule alike,
 * so a member starts from the relaxation its predecessor needed: the stricter states failed for
 * that predecessor and the claims they could use have only filled up since.
 */
function placeWithRelaxation(ctx: RunContext, pod: Pod, group: PodGroup, ignore: boolean): string | undefined {
  let state: RelaxState = group.startState ?? initialState(pod, ignore);
  for (;;) {
    const plan = planFor(group, state, ctx.topology);
    const reason = place(ctx, pod, plan);
    if (reason === undefined) {
      group.startState = state;
      return undefined;
    }
    const next = relax(pod, state);
    if (!next) return reason;
    state = next.state;
  }
}

/** Places the pod per its plan; returns undefined when placed, else the reason it fits nowhere. */
function place(ctx: RunContext, pod: Pod, plan: PodPlan): string | undefined {
  const list = plan.shared;
  list.sync(ctx.bins, ctx.open, ctx.resources);
  const memo = new AllowedMemo(ctx.topology);
  const tooSmall = plan.tooSmall;
  const want = plan.group.want ??= ctx.resources.want(plan.group.requests);
  let placed = false;
  // First fit among the bins whose room covers the pod: the others would all say TOO_SMALL or NEVER.
  for (let i = list.nextCovering(want, 0); i >= 0; i = list.nextCovering(want, i + 1)) {
    const bin = list.candidates[i]!;
    if (tooSmall.size > 0 && tooSmall.has(bin)) continue;
    const outcome = plan.variants
      ? tryBinVariants(ctx, bin, pod, plan, plan.variants, memo)
      : bin.kind === "existing" ? tryExisting(ctx, bin, pod, plan, memo) : tryClaim(ctx, bin, pod, plan, memo);
    if (outcome === PLACED) {
      placed = true;
      break;
    }
    if (outcome === NEVER || (outcome === TOO_SMALL && plan.variants)) list.remove(i);
    else if (outcome === TOO_SMALL) tooSmall.add(bin);
  }
  list.compactIfSparse();
  if (placed) return undefined;
  const reasons: string[] = [];
  for (const t of ctx.templates) {
    const outcome = plan.variants ? tryNewClaimVariants(ctx, t, pod, plan, plan.variants, memo) : tryNewClaim(ctx, t, pod, plan, memo);
    if (outcome === PLACED) {
      // The new claim is already known to this plan's candidate list on the next pod.
      return undefined;
    }
    reasons.push(outcome);
  }
  for (const name of ctx.staticPools) reasons.push(`NodePool ${name} is static (spec.replicas): not provisioned for pending pods`);
  if (reasons.length === 0) return "no NodePool can launch capacity for it and no existing node fits";
  return reasons.join("; ");
}

/** A new claim from `t` under each volume alternative in turn; the reasons of all when none fits. */
function tryNewClaimVariants(ctx: RunContext, t: NodePoolTemplate, pod: Pod, plan: PodPlan, variants: readonly PodPlan[], memo: AllowedMemo): typeof PLACED | string {
  let outcome = tryNewClaim(ctx, t, pod, plan, memo);
  const why = new Set<string>();
  for (let v = 0; outcome !== PLACED && v < variants.length; v++) {
    why.add(outcome);
    outcome = tryNewClaim(ctx, t, pod, variants[v]!, memo);
  }
  if (outcome === PLACED) return PLACED;
  why.add(outcome);
  return [...why].join(" / ");
}

function tryBin(ctx: RunContext, bin: Bin, pod: Pod, plan: PodPlan, memo: AllowedMemo): BinOutcome {
  return bin.kind === "existing" ? tryExisting(ctx, bin, pod, plan, memo) : tryClaim(ctx, bin, pod, plan, memo);
}

/** The bin under each volume alternative in turn: the first that places wins, as in Karpenter. */
function tryBinVariants(ctx: RunContext, bin: Bin, pod: Pod, plan: PodPlan, variants: readonly PodPlan[], memo: AllowedMemo): BinOutcome {
  let outcome = tryBin(ctx, bin, pod, plan, memo);
  for (let v = 0; outcome !== PLACED && v < variants.length; v++) {
    const next = tryBin(ctx, bin, pod, variants[v]!, memo);
    // The bin is out for good only when it is out under every alternative.
    outcome = next === PLACED || outcome === NOT_NOW ? (next === PLACED ? PLACED : NOT_NOW) : next;
  }
  return outcome;
}
