/**
 * One disruption pass, as Karpenter's disruption controller makes it: the cluster and the time in,
 * commands out (which nodes go, what replaces them, where their pods land, why), plus the nodes
 * that expire and one reason for every node left alone. Pure: no I/O, no clock.
 *
 * Methods run in Karpenter's order and the first that decides something ends the pass: emptiness
 * (every empty candidate the budgets allow, in one command), drift (one node), multi-node
 * consolidation (the largest prefix of candidates, in disruption-cost order, that can go at once)
 * and single-node consolidation (the first candidate that can go). Every what-if is one run of the
 * provisioner's scheduler (`schedule()`) over the rest of the cluster, so a moved pod must meet
 * every constraint `tenon simulate` applies. Work is shared across the what-ifs of a pass: the
 * cluster is read, priced and marked once, and each what-if only leaves its candidates out.
 *
 * Nodes already on their way out (deleting.ts, the provisioner's rule: being deleted, NodeClaim
 * Terminating, or tainted karpenter.sh/disrupted) offer no capacity, and the pods they give back are
 * placed first, with the pending pods: where they land they hold their room in every what-if, as
 * Karpenter's simulations schedule the pods of deleting nodes too. A candidate holding such pods is
 * not empty, and a what-if that removes it must place them as well as its own pods, or the command
 * is not taken: consolidation never takes the capacity a draining node's pods are about to need.
 */
import type { DisruptionReason, EC2NodeClass } from "../api/types.ts";
import { LABEL_HOSTNAME } from "../api/labels.ts";
import type { PersistentVolume, Pod, PodDisruptionBudget } from "../api/kubernetes.ts";
import { podKey } from "../api/kubernetes.ts";
import { resolveLaunch } from "../scheduling/launch.ts";
import { schedule } from "../scheduling/scheduler.ts";
import type { FeatureGates } from "../ports/settings.ts";
import { buildSchedulingInput, type ClusterObjects } from "../scheduling/snapshot.ts";
import type { ExistingNode, NewNodeClaim, Placement, SchedulingInput, SchedulingOptions } from "../scheduling/types.ts";
import { allowance, budgetTotals, describeBudget } from "./budgets.ts";
import {
  buildViews,
  consolidatable,
  disruptionCost,
  drift,
  expiresAt,
  inConsolidateAfterWindow,
  managed,
  nodeDoNotDisrupt,
  type Consolidatable,
  type Drift,
  type NodeView,
} from "./cluster.ts";
import { leavingBecause, nodeClaimOwner, podsGivenBack } from "./deleting.ts";
import { PdbIndex } from "./pdb.ts";
import { evictionCost, isReschedulable, podDoNotDisrupt } from "./pods.ts";
import { cheaperReplacement, money } from "./replacement.ts";

export type Method = "emptiness" | "drift" | "multi-node-consolidation" | "single-node-consolidation";

/** Karpenter looks at no more than this many candidates at once in multi-node consolidation. */
export const MULTI_NODE_MAX_CANDIDATES = 100;
/** Balanced consolidation's default threshold k: a move must score at least 1/k. */
export const BALANCED_THRESHOLD = 2;

export interface DisruptionObjects extends ClusterObjects {
  nodeClasses: readonly EC2NodeClass[];
  podDisruptionBudgets: readonly PodDisruptionBudget[];
  /** The scheduling policies moved pods are placed with (PREFERENCE_POLICY, MIN_VALUES_POLICY); default Karpenter's. */
  scheduling?: SchedulingOptions;
  /** Karpenter's feature gates (FEATURE_GATES); default all off, as Karpenter's. */
  featureGates?: FeatureGates;
}

export interface Command {
  reason: DisruptionReason;
  decision: "delete" | "replace";
  candidates: NodeView[];
  /** New nodes to launch (each with the pods it would host). */
  replacements: NewNodeClaim[];
  /** Pods that go to existing capacity, by node (or in-flight NodeClaim) name. */
  placements: Placement[];
  /** Every reschedulable pod on the candidates. */
  pods: Pod[];
  savingsPerHour: number;
}

export interface NotDisrupted {
  view: NodeView;
  reason: string;
}

export interface PassResult {
  at: number;
  method: Method | null;
  commands: Command[];
  expired: NodeView[];
  notDisrupted: NotDisrupted[];
  views: NodeView[];
  /** Nodes each method could take now (candidates no do-not-disrupt or PDB blocks): Karpenter's eligible nodes by reason. */
  eligible: Partial<Record<DisruptionReason, number>>;
  /** Candidates a do-not-disrupt annotation or a PodDisruptionBudget keeps from any graceful disruption, by name. */
  blocked: Set<string>;
}

interface Candidate {
  view: NodeView;
  poolName: string;
  consolidatable: Consolidatable;
  drift: Drift | undefined;
  /** Why a graceful disruption may not take the node (do-not-disrupt, PDB), if anything. */
  blocker: string | undefined;
  /** A terminationGracePeriod lets drift take a blocked node eventually. */
  eventual: boolean;
  cost: number;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Local and hostPath volumes pin a pod to its node by hostname; a moved pod gets a fresh volume, so that pin is dropped. */
function unpinned(volumes: readonly PersistentVolume[]): PersistentVolume[] {
  return volumes.map((pv) => {
    const terms = pv.spec.nodeAffinity?.required?.nodeSelectorTerms;
    if (!terms || !terms.some((t) => (t.matchExpressions ?? []).some((e) => e.key === LABEL_HOSTNAME))) return pv;
    const kept = terms.map((t) => ({ ...t, matchExpressions: (t.matchExpressions ?? []).filter((e) => e.key !== LABEL_HOSTNAME) }));
    // A term that named only the hostname now allows any node, so the volume allows any node.
    if (kept.some((t) => t.matchExpressions.length === 0 && (t.matchFields ?? []).length === 0)) {
      const { nodeAffinity: _pinned, ...spec } = pv.spec;
      return { ...pv, spec };
    }
    return { ...pv, spec: { ...pv.spec, nodeAffinity: { required: { nodeSelectorTerms: kept } } } };
  });
}

/** Scheduling inputs for what-ifs: the cluster read once, each what-if leaving its candidates out. */
class WhatIf {
  private readonly base: ExistingNode[];

  constructor(
    private readonly input: SchedulingInput,
    destination: (e: ExistingNode) => boolean,
    /** Pods leaving nodes give back, by the node whose room they hold: they move with it. */
    private readonly held: ReadonlyMap<string, readonly Pod[]>,
  ) {
    this.base = input.existingNodes.map((e) => (e.unschedulable || destination(e) ? e : { ...e, unschedulable: true }));
  }

  run(candidates: readonly NodeView[], repack: boolean) {
    const removed = new Set(candidates.map((c) => c.existing.name));
    const pods = candidates.flatMap((c) => [...c.reschedulable, ...(this.held.get(c.name) ?? [])]);
    const existingNodes = this.base.filter((e) => !removed.has(e.name));
    return schedule({ ...this.input, pods, existingNodes, options: { ...(this.input.options ?? {}), repack } });
  }
}

type Outcome = { command: Command } | { reason: string };

export const ALL_METHODS: readonly Method[] = ["emptiness", "drift", "multi-node-consolidation", "single-node-consolidation"];

export interface PassOptions {
  /** The methods this pass may use, in Karpenter's order (default: all). The consolidator leaves drift to the drift checker. */
  methods?: readonly Method[];
  /**
   * Re-validation of a decided command: only these candidates, only this method, and all of them
   * together (no smaller prefix, no other node): the pass decides the same command again or says
   * why it no longer holds.
   */
  only?: { method: Method; candidates: ReadonlySet<string> };
}

export function disruptionPass(objects: DisruptionObjects, at: number, options: PassOptions = {}): PassResult {
  const only = options.only;
  const methods = new Set(only ? [only.method] : (options.methods ?? ALL_METHODS));
  const { input, leaving, givenBack } = leavingOut(buildSchedulingInput({ ...objects, persistentVolumes: unpinned(objects.persistentVolumes) }, objects.scheduling ? { scheduling: objects.scheduling } : {}));
  const views = buildViews(input.existingNodes, input.nodePools);
  const byName = new Map(views.map((v) => [v.name, v]));

  // Pending pods the provisioner would put on existing capacity nominate it: those nodes are not
  // candidates, and the pods hold their room in every what-if. The pods leaving nodes give back are
  // placed in the same run and hold their room too, but nominate nothing: a what-if that removes
  // the node they landed on places them again.
  const nominated = new Map<string, string[]>();
  const held = new Map<string, Pod[]>();
  if (input.pods.length + givenBack.size > 0) {
    const pending = schedule({ ...input, pods: [...input.pods, ...[...givenBack.values()].map((g) => g.pod)] });
    for (const p of pending.existingNodes) {
      const view = byName.get(p.name);
      if (!view) continue;
      const own = p.pods.filter((pod) => !givenBack.has(podKey(pod)));
      const back = p.pods.filter((pod) => givenBack.has(podKey(pod)));
      if (own.length > 0) {
        nominated.set(p.name, own.map(podKey));
        view.existing.pods.push(...own);
      }
      if (back.length > 0) {
        held.set(p.name, back);
        // A new array: the view's own pods (blockers, PDBs, costs) stay the node's own.
        view.existing.pods = [...view.existing.pods, ...back];
      }
    }
  }
  const wouldNotFit = (u: { pod: Pod; reason: string }) => {
    const from = givenBack.get(podKey(u.pod))?.from;
    return `pod ${podKey(u.pod)}${from ? ` (given back by ${from}, which is ${leaving.get(from)})` : ""} would not fit elsewhere: ${u.reason}`;
  };
  const holding = (view: NodeView) => held.get(view.name) ?? [];
  const pdbs = new PdbIndex(objects.podDisruptionBudgets, views.flatMap((v) => v.pods));

  const reasons = new Map<NodeView, string>();
  const expired: NodeView[] = [];
  const isExpired = new Set<NodeView>();
  const candidates: Candidate[] = [];
  for (const view of views) {
    if (view.nodeClaim && !view.deleting && view.pool) {
      const end = expiresAt(view);
      if (end !== undefined && at >= end) {
        expired.push(view);
        isExpired.add(view);
        continue;
      }
    }
    const reason = notCandidate(view, nominated) ?? (leaving.has(view.name) ? `leaving (${leaving.get(view.name)})` : undefined) ?? (only && !only.candidates.has(view.name) ? "not a candidate of the command being validated" : undefined);
    if (reason !== undefined) {
      reasons.set(view, reason);
      continue;
    }
    let blocker = nodeDoNotDisrupt(view, at);
    for (const pod of view.pods) {
      if (blocker) break;
      blocker = podDoNotDisrupt(pod, at) ?? pdbs.blocks(pod);
    }
    candidates.push({
      view,
      poolName: view.poolName!,
      consolidatable: consolidatable(view, at),
      drift: drift(view, objects.nodeClasses),
      blocker,
      eventual: view.nodeClaim!.spec.terminationGracePeriod !== undefined,
      cost: disruptionCost(view, at),
    });
  }
  candidates.sort((a, b) => a.cost - b.cost || compareNames(a.view.name, b.view.name));
  // What keeps a candidate out of consolidation whatever the pass decides; methods that look at the
  // node replace it with something more specific.
  for (const c of candidates) {
    const stays = consolidationBlocker(c, holding(c.view).length);
    if (stays) reasons.set(c.view, stays);
  }

  // Budgets: per NodePool, its managed initialized nodes (deleting ones too, unless the instance is
  // already terminating); deleting and not-Ready nodes use up the allowance.
  const totals = budgetTotals(views);
  const budgetFor = (poolName: string, reason: DisruptionReason) => {
    const view = candidates.find((c) => c.poolName === poolName)!.view;
    const t = totals.get(poolName) ?? { total: 0, disrupting: 0 };
    return allowance(view.pool!.nodePool, reason, t.total, t.disrupting, at);
  };
  const remaining = (reason: DisruptionReason) => {
    const out = new Map<string, number>();
    for (const c of candidates) if (!out.has(c.poolName)) out.set(c.poolName, budgetFor(c.poolName, reason).allowed);
    return out;
  };

  const destination = (e: ExistingNode): boolean => {
    const view = byName.get(e.name);
    if (!view) return true;
    if (isExpired.has(view)) return false;
    if (view.node && managed(view) && !view.initialized) return false;
    return !inConsolidateAfterWindow(view, at);
  };
  const whatIf = new WhatIf(input, destination, held);
  const priceTotals = balancedTotals(candidates);

  const blocked = new Set(candidates.filter((c) => c.blocker).map((c) => c.view.name));
  const eligibleNodes: Partial<Record<DisruptionReason, number>> = { Empty: 0, Underutilized: 0, Drifted: 0 };
  for (const c of candidates) {
    if (c.drift && (!c.blocker || c.eventual)) eligibleNodes.Drifted!++;
    if (c.blocker || !c.consolidatable.ok) continue;
    if (c.view.reschedulable.length === 0) eligibleNodes.Empty!++;
    else eligibleNodes.Underutilized!++;
  }
  const decided = (method: Method, commands: Command[]): PassResult => finish(method, commands);
  const finish = (method: Method | null, commands: Command[]): PassResult => {
    const taken = new Set(commands.flatMap((c) => c.candidates));
    const notDisrupted: NotDisrupted[] = [];
    for (const view of views) {
      if (taken.has(view) || isExpired.has(view)) continue;
      let reason = reasons.get(view);
      if (reason === undefined) reason = method ? `not evaluated: this pass already decided ${method} (one command per pass)` : "nothing to do";
      notDisrupted.push({ view, reason });
    }
    return { at, method, commands, expired, notDisrupted, views, eligible: eligibleNodes, blocked };
  };

  // ---- emptiness ----
  if (methods.has("emptiness")) {
    const emptyBudget = remaining("Empty");
    const empty: Candidate[] = [];
    for (const c of candidates) {
      if (c.view.reschedulable.length > 0 || c.blocker || !c.consolidatable.ok) continue;
      const back = holding(c.view);
      if (back.length > 0) {
        if (!reasons.has(c.view)) reasons.set(c.view, `empty, but it holds the room of ${back.length} pod(s) leaving nodes give back (${back.slice(0, 3).map(podKey).join(", ")})`);
        continue;
      }
      if (emptyBudget.get(c.poolName)! <= 0) {
        reasons.set(c.view, `empty, but the ${describeBudget(c.poolName, "Empty", budgetFor(c.poolName, "Empty"))}`);
        continue;
      }
      emptyBudget.set(c.poolName, emptyBudget.get(c.poolName)! - 1);
      empty.push(c);
    }
    if (empty.length > 0) {
      const command: Command = {
        reason: "Empty",
        decision: "delete",
        candidates: empty.map((c) => c.view),
        replacements: [],
        placements: [],
        pods: [],
        savingsPerHour: empty.reduce((s, c) => s + (c.view.price ?? 0), 0),
      };
      if (!only || empty.length === only.candidates.size) return decided("emptiness", [command]);
    }
  }

  // ---- drift ----
  if (methods.has("drift")) {
    const driftBudget = remaining("Drifted");
    const drifted = candidates
      .filter((c) => c.drift !== undefined)
      .sort(
        (a, b) =>
          Number(a.view.reschedulable.length > 0) - Number(b.view.reschedulable.length > 0) ||
          (a.drift!.since ?? Infinity) - (b.drift!.since ?? Infinity) ||
          compareNames(a.view.name, b.view.name),
      );
    for (const c of drifted) {
      if (c.blocker && !c.eventual) {
        reasons.set(c.view, `drifted (${c.drift!.message}), but ${c.blocker}`);
        continue;
      }
      if (driftBudget.get(c.poolName)! <= 0) {
        reasons.set(c.view, `drifted (${c.drift!.message}), but the ${describeBudget(c.poolName, "Drifted", budgetFor(c.poolName, "Drifted"))}`);
        continue;
      }
      const sim = whatIf.run([c.view], true);
      if (sim.unschedulable.length > 0) {
        const u = sim.unschedulable[0]!;
        reasons.set(c.view, `drifted (${c.drift!.message}), but ${wouldNotFit(u)}`);
        continue;
      }
      const replacements = sim.newNodeClaims;
      const launchPrice = replacements.reduce((s, r) => s + (resolveLaunch(r)?.price ?? 0), 0);
      const command: Command = {
        reason: "Drifted",
        decision: replacements.length > 0 ? "replace" : "delete",
        candidates: [c.view],
        replacements,
        placements: sim.existingNodes,
        pods: c.view.reschedulable,
        savingsPerHour: (c.view.price ?? 0) - launchPrice,
      };
      for (const other of drifted.slice(drifted.indexOf(c) + 1)) reasons.set(other.view, `drifted (${other.drift!.message}); drift replaces one node per pass`);
      return decided("drift", [command]);
    }
  }

  // ---- consolidation candidates ----
  const consolidationBudget = remaining("Underutilized");
  const eligible: Candidate[] = [];
  for (const c of candidates) {
    if (consolidationBlocker(c, holding(c.view).length)) continue;
    if (consolidationBudget.get(c.poolName)! <= 0) {
      if (!reasons.has(c.view)) reasons.set(c.view, `the ${describeBudget(c.poolName, "Underutilized", budgetFor(c.poolName, "Underutilized"))}`);
      continue;
    }
    consolidationBudget.set(c.poolName, consolidationBudget.get(c.poolName)! - 1);
    eligible.push(c);
  }

  const consolidate = (group: Candidate[], kind: "single" | "multi"): Outcome => {
    const outcome = consolidateGroup(group, kind);
    const back = group.flatMap((c) => holding(c.view));
    if ("command" in outcome || back.length === 0 || outcome.reason.includes("given back")) return outcome;
    return { reason: `${outcome.reason} (its pods include ${back.length} that leaving nodes give back: ${back.slice(0, 3).map(podKey).join(", ")}${back.length > 3 ? ", ..." : ""})` };
  };
  const consolidateGroup = (group: Candidate[], kind: "single" | "multi"): Outcome => {
    const views = group.map((c) => c.view);
    const sim = whatIf.run(views, false);
    if (sim.unschedulable.length > 0) {
      return { reason: wouldNotFit(sim.unschedulable[0]!) };
    }
    const pods = views.flatMap((v) => v.reschedulable);
    const known = views.reduce((s, v) => s + (v.price ?? 0), 0);
    if (sim.newNodeClaims.length === 0) {
      const command: Command = { reason: "Underutilized", decision: "delete", candidates: views, replacements: [], placements: sim.existingNodes, pods, savingsPerHour: known };
      return balancedVeto(command, group, priceTotals) ?? { command };
    }
    if (sim.newNodeClaims.length > 1) return { reason: `its pods would need ${sim.newNodeClaims.length} new nodes; consolidation replaces with at most one` };
    const unpriced = views.find((v) => v.price === undefined);
    if (unpriced) return { reason: `node ${unpriced.name} has no known price (instance type, zone or capacity type not in the catalog), so nothing is known to be cheaper` };
    const outcome = cheaperReplacement(sim.newNodeClaims[0]!, views, known, kind, objects.featureGates?.spotToSpotConsolidation ?? false);
    if ("reason" in outcome) return outcome;
    const launch = resolveLaunch(outcome.claim);
    const command: Command = {
      reason: "Underutilized",
      decision: "replace",
      candidates: views,
      replacements: [outcome.claim],
      placements: sim.existingNodes,
      pods,
      savingsPerHour: known - (launch?.price ?? outcome.price),
    };
    return balancedVeto(command, group, priceTotals) ?? { command };
  };

  // ---- multi-node consolidation ----
  if (only?.method === "multi-node-consolidation") {
    if (eligible.length !== only.candidates.size) return finish(null, []);
    const outcome = consolidate(eligible, "multi");
    if ("command" in outcome) return decided("multi-node-consolidation", [outcome.command]);
    for (const c of eligible) reasons.set(c.view, outcome.reason);
    return finish(null, []);
  }
  const prefix = methods.has("multi-node-consolidation") ? eligible.slice(0, MULTI_NODE_MAX_CANDIDATES) : [];
  if (prefix.length >= 2) {
    let lo = 1;
    let hi = prefix.length - 1;
    let best: Command | undefined;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const outcome = consolidate(prefix.slice(0, mid + 1), "multi");
      if ("command" in outcome) {
        best = outcome.command;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best) return decided("multi-node-consolidation", [best]);
  }

  // ---- single-node consolidation ----
  for (const c of methods.has("single-node-consolidation") ? eligible : []) {
    const outcome = consolidate([c], "single");
    if ("command" in outcome) return decided("single-node-consolidation", [outcome.command]);
    reasons.set(c.view, outcome.reason);
  }
  return finish(null, []);
}

/**
 * The last check before a command's candidates are deleted: with them gone, every pod they would
 * give back fits on the rest of the cluster as it is now (replacements included), without a new
 * node, after the pods other leaving nodes give back have taken the room they fit in. Returns why
 * not, or undefined when they all fit.
 */
export function podsFitWithout(objects: DisruptionObjects, candidates: ReadonlySet<string>): string | undefined {
  const { input, givenBack } = leavingOut(buildSchedulingInput({ ...objects, persistentVolumes: unpinned(objects.persistentVolumes) }, objects.scheduling ? { scheduling: objects.scheduling } : {}));
  const leaving = input.existingNodes.filter((e) => candidates.has(e.name));
  const pods = leaving.flatMap((e) => e.pods.filter(isReschedulable));
  if (pods.length === 0) return undefined;
  let rest = input.existingNodes.filter((e) => !candidates.has(e.name));
  const others = [...givenBack.values()].filter((g) => !candidates.has(g.from)).map((g) => g.pod);
  if (others.length > 0) {
    // Where the other leaving nodes' pods fit, they take the room first (those that fit nowhere wait for new capacity).
    const first = schedule({ ...input, pods: others, existingNodes: rest, nodePools: [] });
    const placed = new Map(first.existingNodes.map((p) => [p.name, p.pods]));
    rest = rest.map((e) => (placed.has(e.name) ? { ...e, pods: [...e.pods, ...placed.get(e.name)!] } : e));
  }
  const result = schedule({ ...input, pods, existingNodes: rest, nodePools: [] });
  const stuck = result.unschedulable[0];
  return stuck ? `pod ${podKey(stuck.pod)} would have nowhere to go: ${stuck.reason}` : undefined;
}

/**
 * Why consolidation can't take this candidate at all (blocked, not consolidatable, WhenEmpty), or
 * undefined. `held`: how many pods leaving nodes give back hold their room on it (they move too).
 */
function consolidationBlocker(c: Candidate, held: number): string | undefined {
  if (c.blocker) return c.blocker;
  if (!c.consolidatable.ok) return c.consolidatable.reason;
  const moving = c.view.reschedulable.length + held;
  if (c.view.pool!.nodePool.spec.disruption.consolidationPolicy === "WhenEmpty" && moving > 0) {
    return `NodePool ${c.poolName} has consolidationPolicy: WhenEmpty and the node has ${moving} pod(s) to move`;
  }
  return undefined;
}

/**
 * The scheduling input with the leaving nodes (deleting.ts) offering no capacity, the reason each
 * is leaving, and the pods they give back (pending copies, by pod key, with the node they leave).
 */
function leavingOut(input: SchedulingInput): { input: SchedulingInput; leaving: Map<string, string>; givenBack: Map<string, { pod: Pod; from: string }> } {
  const leaving = new Map<string, string>();
  const givenBack = new Map<string, { pod: Pod; from: string }>();
  const existingNodes = input.existingNodes.map((e) => {
    const reason = e.node && e.nodeClaim ? leavingBecause(e.node, nodeClaimOwner(e.nodeClaim)) : undefined;
    if (!reason) return e;
    leaving.set(e.name, reason);
    for (const pod of podsGivenBack(e.pods)) givenBack.set(podKey(pod), { pod, from: e.name });
    return e.unschedulable ? e : { ...e, unschedulable: true };
  });
  return { input: leaving.size === 0 ? input : { ...input, existingNodes }, leaving, givenBack };
}

function notCandidate(view: NodeView, nominated: ReadonlyMap<string, string[]>): string | undefined {
  if (!view.node) return "NodeClaim has no Node yet (still launching)";
  if (!managed(view)) return "not managed by a NodePool (no karpenter.sh/nodepool label)";
  if (!view.pool) return `NodePool ${view.poolName} does not exist`;
  if (!view.nodeClaim) return "Node has no NodeClaim (no NodeClaim's status.providerID matches its spec.providerID)";
  if (view.deleting) return "already being deleted";
  if (!view.initialized) return "not initialized yet (NodeClaim Initialized is not True)";
  const pods = nominated.get(view.name);
  if (pods) return `nominated for pending pod(s) ${pods.slice(0, 3).join(", ")}${pods.length > 3 ? ` and ${pods.length - 3} more` : ""}`;
  return undefined;
}

// ---- Balanced ----------------------------------------------------------------------------------

interface PoolTotals {
  cost: number;
  disruption: number;
}

function moveCost(views: readonly NodeView[]): number {
  let cost = views.length;
  for (const v of views) for (const p of v.reschedulable) cost += Math.max(0, evictionCost(p));
  return cost;
}

function balancedTotals(candidates: readonly Candidate[]): Map<string, PoolTotals> {
  const out = new Map<string, PoolTotals>();
  for (const c of candidates) {
    if (!c.view.price) continue;
    const t = out.get(c.poolName) ?? { cost: 0, disruption: 0 };
    t.cost += c.view.price;
    t.disruption += moveCost([c.view]);
    out.set(c.poolName, t);
  }
  return out;
}

/**
 * `consolidationPolicy: Balanced`, as Karpenter scores a move: the share of the NodePool's cost it
 * saves over the share of the NodePool's disruption cost it causes must reach 1/k (k = 2). Each
 * Balanced NodePool in the move is scored on its own share of the savings.
 */
function balancedVeto(command: Command, group: readonly Candidate[], totals: ReadonlyMap<string, PoolTotals>): { reason: string } | undefined {
  const pools = [...new Set(group.map((c) => c.poolName))].sort();
  const totalPrice = group.reduce((s, c) => s + (c.view.price ?? 0), 0);
  for (const pool of pools) {
    const members = group.filter((c) => c.poolName === pool);
    if (members[0]!.view.pool!.nodePool.spec.disruption.consolidationPolicy !== "Balanced") continue;
    const t = totals.get(pool);
    const poolPrice = members.reduce((s, c) => s + (c.view.price ?? 0), 0);
    const savings = pools.length > 1 && totalPrice > 0 ? command.savingsPerHour * (poolPrice / totalPrice) : command.savingsPerHour;
    if (!t || t.cost <= 0 || savings <= 0) return { reason: `NodePool ${pool} is Balanced and the move saves nothing` };
    if (t.disruption <= 0) continue;
    const score = savings / t.cost / (moveCost(members.map((m) => m.view)) / t.disruption);
    if (score < 1 / BALANCED_THRESHOLD) {
      return { reason: `NodePool ${pool} is Balanced and the move's savings (${money(savings)}) are too small for the pods it disrupts (score ${score.toFixed(3)} < ${1 / BALANCED_THRESHOLD})` };
    }
  }
  return undefined;
}


