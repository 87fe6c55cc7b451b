/**
 * What the API server's eviction handler decides, in the simulation: may this pod be evicted now
 * without breaking a PodDisruptionBudget? Pure: the caller passes the pods and budgets.
 *
 * Budget arithmetic as policy/v1 defines it: expected pods are the desired replicas of the
 * controllers whose pods the budget selects (so a pod already evicted and not yet replaced still
 * counts), plus selected pods that have no controller;
 * `minAvailable` and `maxUnavailable` may be counts or percentages of expected, rounded up;
 * a pod is healthy when it is bound, Running and not terminating. A healthy pod may go only if
 * healthy - desiredHealthy > 0. An unhealthy pod may go when the budget is already met (policy
 * IfHealthyBudget, the default) or always (AlwaysAllow).
 */
import type { Pod, PodDisruptionBudget } from "../../api/kubernetes.ts";
import { compileSelector } from "../../scheduling/label-selector.ts";

export interface BudgetVerdict {
  allowed: boolean;
  /** Why not, naming the budget, when not allowed. */
  message?: string;
}

export function isHealthy(pod: Pod): boolean {
  return Boolean(pod.spec.nodeName) && pod.status?.phase === "Running" && !pod.metadata.deletionTimestamp;
}

function scaled(value: number | string, expected: number): number {
  if (typeof value === "number") return value;
  const percent = /^(\d+)%$/.exec(value.trim());
  if (percent) return Math.ceil((Number(percent[1]) * expected) / 100);
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** The number of selected pods that must stay healthy. */
export function desiredHealthy(budget: PodDisruptionBudget, expected: number): number {
  if (budget.spec.minAvailable !== undefined) return scaled(budget.spec.minAvailable, expected);
  if (budget.spec.maxUnavailable !== undefined) return Math.max(0, expected - scaled(budget.spec.maxUnavailable, expected));
  return 0;
}

/** A controller's scale, as the disruption controller reads it: desired replicas and the labels its pods carry. */
export interface ControllerScale {
  namespace: string;
  podLabels: Readonly<Record<string, string>>;
  replicas: number;
}

function hasController(pod: Pod): boolean {
  return (pod.metadata.ownerReferences ?? []).some((o) => o.controller);
}

export function evictionVerdict(
  pod: Pod,
  pods: readonly Pod[],
  budgets: readonly PodDisruptionBudget[],
  scales: readonly ControllerScale[] = [],
): BudgetVerdict {
  const namespace = pod.metadata.namespace || "default";
  for (const budget of budgets) {
    if ((budget.metadata.namespace || "default") !== namespace) continue;
    const selector = compileSelector(budget.spec.selector);
    if (!selector.matches(pod.metadata.labels)) continue;
    const selected = pods.filter((p) => (p.metadata.namespace || "default") === namespace && selector.matches(p.metadata.labels));
    const controllerReplicas = scales
      .filter((s) => s.namespace === namespace && selector.matches(s.podLabels))
      .reduce((sum, s) => sum + s.replicas, 0);
    const expected = controllerReplicas > 0 ? controllerReplicas + selected.filter((p) => !hasController(p)).length : selected.length;
    const healthy = selected.filter(isHealthy).length;
    const desired = desiredHealthy(budget, expected);
    const podHealthy = isHealthy(pod);
    const allowed = podHealthy
      ? healthy - desired > 0
      : budget.spec.unhealthyPodEvictionPolicy === "AlwaysAllow" || healthy >= desired;
    if (!allowed) {
      return {
        allowed: false,
        message: `The disruption budget ${budget.metadata.name} needs ${desired} healthy pods and has ${healthy} currently`,
      };
    }
  }
  return { allowed: true };
}
