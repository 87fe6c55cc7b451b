/**
 * The Events a disruption pass leaves, with Karpenter's reasons and dedupe timeouts: on each Node
 * the pass could not take, `Unconsolidatable` with the reason (once per 15 minutes) or, when a
 * do-not-disrupt annotation or a PodDisruptionBudget holds it, `DisruptionBlocked` (once per 2
 * minutes); on each NodePool whose budget allows no disruption for a reason now, `DisruptionBlocked`
 * naming the reason (once a minute: budgets change by the minute). Pure; the executor publishes
 * them through the store's dedupe claims (lib/actions/events.ts), so a tick every minute does not
 * repeat them.
 */
import type { Action } from "../actions/actions.ts";
import type { DisruptionReason } from "../api/types.ts";
import { nodeClaimEvent, type ClusterEvent } from "../ports/cluster.ts";
import { allowance, budgetTotals } from "./budgets.ts";
import type { PassResult } from "./decide.ts";
import type { NodeView } from "./cluster.ts";

export const UNCONSOLIDATABLE_DEDUPE_MS = 15 * 60_000;
/**
 * Node Events one tick considers at most. Each costs a conditional write (its dedupe claim) even
 * when deduplicated, so a large cluster's nodes take turns: a node's turn comes in the minute
 * where a digest of its name, modulo the number of turns, matches (every node within
 * ceil(nodes / 100) minutes, every minute when there are 100 or fewer).
 */
export const NODE_EVENTS_PER_TICK = 100;
export const NODEPOOL_BLOCKED_DEDUPE_MS = 60_000;

const BUDGETED_REASONS: readonly DisruptionReason[] = ["Empty", "Underutilized", "Drifted"];

/** Reasons that say nothing about the node itself: no Event for them. */
function worthAnEvent(reason: string): boolean {
  return reason !== "nothing to do" && !reason.startsWith("not evaluated");
}

function nodeRef(view: NodeView): ClusterEvent["involvedObject"] {
  const uid = view.node?.metadata.uid;
  return { apiVersion: "v1", kind: "Node", name: view.name, ...(uid ? { uid } : {}) };
}

/** A stable small number for a name (FNV-1a), to spread nodes over turns. */
function digest(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function passEvents(pass: PassResult): Action[] {
  const actions: Action[] = [];
  // Only Tenon's own nodes that could be candidates at all: registered, initialized, not leaving.
  const told = pass.notDisrupted.filter(({ view, reason }) => view.node && view.nodeClaim && view.pool && !view.deleting && view.initialized && worthAnEvent(reason));
  const turns = Math.ceil(told.length / NODE_EVENTS_PER_TICK);
  const turn = Math.floor(pass.at / 60_000) % Math.max(1, turns);
  for (const { view, reason } of told) {
    if (turns > 1 && digest(view.name) % turns !== turn) continue;
    if (!view.node) continue;
    const identity = view.node.metadata.uid ?? view.name;
    const blocked = pass.blocked.has(view.name);
    const event: ClusterEvent = blocked
      ? { involvedObject: nodeRef(view), type: "Normal", reason: "DisruptionBlocked", message: `Cannot disrupt Node: ${reason}`, dedupe: { values: [identity] } }
      : { involvedObject: nodeRef(view), type: "Normal", reason: "Unconsolidatable", message: reason, dedupe: { values: [identity], timeoutMs: UNCONSOLIDATABLE_DEDUPE_MS } };
    actions.push({ kind: "record-event", event, reason: `left alone: ${reason}` });
    // The same on the NodeClaim, as Karpenter does, when its object exists (nodeclaim-mirror.ts).
    const claim = view.nodeClaim!;
    const claimIdentity = claim.metadata.uid ?? claim.metadata.name;
    const claimEvent = blocked
      ? nodeClaimEvent(claim.metadata.name, claimIdentity, "Normal", "DisruptionBlocked", `Cannot disrupt NodeClaim: ${reason}`)
      : nodeClaimEvent(claim.metadata.name, claimIdentity, "Normal", "Unconsolidatable", reason, UNCONSOLIDATABLE_DEDUPE_MS);
    actions.push({ kind: "record-event", event: claimEvent, reason: `left alone: ${reason}` });
  }
  const totals = budgetTotals(pass.views);
  const pools = new Map(pass.views.filter((v) => v.pool).map((v) => [v.poolName!, v.pool!.nodePool]));
  for (const [name, pool] of pools) {
    const t = totals.get(name);
    if (!t || t.total === 0) continue;
    for (const reason of BUDGETED_REASONS) {
      if (allowance(pool, reason, t.total, t.disrupting, pass.at).allowed > 0) continue;
      const identity = pool.metadata.uid ?? name;
      actions.push({
        kind: "record-event",
        event: {
          involvedObject: { apiVersion: "karpenter.sh/v1", kind: "NodePool", name, ...(pool.metadata.uid ? { uid: pool.metadata.uid } : {}) },
          type: "Normal",
          reason: "DisruptionBlocked",
          message: `No allowed disruptions for disruption reason ${reason} due to blocking budget`,
          dedupe: { values: [identity, reason], timeoutMs: NODEPOOL_BLOCKED_DEDUPE_MS },
        },
        reason: `the disruption budgets of NodePool ${name} allow no ${reason} disruption now`,
      });
    }
  }
  return actions;
}
