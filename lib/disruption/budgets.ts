/**
 * NodePool disruption budgets: how many of a NodePool's nodes a reason may disrupt at `at`.
 * Budgets that name reasons apply to those only; the others to every reason. A budget with a
 * schedule applies inside its window (cron, UTC). A count is taken as is, a percentage of the
 * NodePool's nodes is rounded up, and the most restrictive budget in force wins. Nodes already
 * being disrupted (deleting or not Ready) use up the allowance.
 */
import { cronWindowEnd } from "../api/cron.ts";
import { DEFAULT_BUDGET_NODES } from "../api/nodepool.ts";
import type { Budget, DisruptionReason, NodePool } from "../api/types.ts";
import type { NodeView } from "./cluster.ts";

export interface Allowance {
  /** Nodes the reason may still disrupt in this NodePool now. */
  allowed: number;
  /** The budgets' limit before subtracting nodes already disrupting. */
  limit: number;
  total: number;
  disrupting: number;
  /** When the most restrictive budget is a scheduled window, when it closes. */
  until?: number;
  /** The budget that set the limit, as written. */
  budget?: Budget;
}

function budgetValue(nodes: string, total: number): number {
  if (nodes.endsWith("%")) return Math.ceil((Number(nodes.slice(0, -1)) * total) / 100);
  return Number(nodes);
}

export function allowance(nodePool: NodePool, reason: DisruptionReason, total: number, disrupting: number, at: number): Allowance {
  const budgets = nodePool.spec.disruption.budgets.length > 0 ? nodePool.spec.disruption.budgets : [{ nodes: DEFAULT_BUDGET_NODES }];
  let limit = Infinity;
  let until: number | undefined;
  let chosen: Budget | undefined;
  for (const budget of budgets) {
    if (budget.reasons && !budget.reasons.includes(reason)) continue;
    let end: number | undefined;
    if (budget.schedule !== undefined && budget.duration !== undefined) {
      end = cronWindowEnd(budget.schedule, budget.duration, at);
      if (end === undefined) continue;
    }
    const value = budgetValue(budget.nodes, total);
    if (value < limit || (value === limit && end !== undefined && (until === undefined || end > until))) {
      limit = value;
      until = end;
      chosen = budget;
    }
  }
  const out: Allowance = { allowed: Math.max(0, (limit === Infinity ? total : limit) - disrupting), limit: limit === Infinity ? total : limit, total, disrupting };
  if (until !== undefined) out.until = until;
  if (chosen) out.budget = chosen;
  return out;
}

export function describeBudget(poolName: string, reason: DisruptionReason, a: Allowance): string {
  const which = a.budget ? `budget nodes: "${a.budget.nodes}"${a.budget.schedule ? ` (schedule "${a.budget.schedule}")` : ""}` : "no budget";
  const used = a.disrupting > 0 ? `, ${a.disrupting} already disrupting` : "";
  const until = a.until !== undefined ? ` until ${new Date(a.until).toISOString().replace(".000Z", "Z")}` : "";
  return `disruption budget of NodePool ${poolName} for ${reason} is exhausted (${which} allows ${a.limit} of ${a.total} nodes${used})${until}`;
}

/** Per NodePool, its managed initialized nodes and those already being disrupted: what its budgets count. */
export function budgetTotals(views: readonly NodeView[]): Map<string, { total: number; disrupting: number }> {
  const totals = new Map<string, { total: number; disrupting: number }>();
  for (const v of views) {
    if (!v.poolName || !v.pool || !v.node || !v.initialized || v.instanceTerminating) continue;
    const t = totals.get(v.poolName) ?? { total: 0, disrupting: 0 };
    t.total++;
    if (v.deleting || !v.ready) t.disrupting++;
    totals.set(v.poolName, t);
  }
  return totals;
}
