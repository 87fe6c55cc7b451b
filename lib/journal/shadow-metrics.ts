/**
 * Shadow mode's side of the comparison with the incumbent, as metrics (lib/ports/telemetry.ts
 * SHADOW_METRIC; docs/explain.md): what a shadow run would launch and remove, at what price, from
 * the actions it recorded and the provisioner's why. The incumbent's side is the consolidator
 * tick's (lib/disruption/gauges.ts, incumbentPoints). Pure.
 */
import type { Applied } from "../actions/actions.ts";
import { SHADOW_METRIC as S, type MetricPoint } from "../ports/telemetry.ts";
import type { SchedulingSummary } from "./entry.ts";
import { dimensionValue, gaugePoint } from "../metrics/karpenter.ts";

const round = (n: number): number => Math.round(n * 1e6) / 1e6;

function sumBy<T>(items: readonly T[], key: (item: T) => string, value: (item: T) => number): Map<string, { n: number; sum: number }> {
  const out = new Map<string, { n: number; sum: number }>();
  for (const item of items) {
    const k = key(item);
    const t = out.get(k) ?? { n: 0, sum: 0 };
    t.n++;
    t.sum += value(item);
    out.set(k, t);
  }
  return out;
}

/**
 * What one shadow run would do, as gauges: the NodeClaims it would launch per NodePool with their
 * cheapest prices (the provisioner's why), and the nodes its disruption commands would remove per
 * reason, what they cost and what removing them would save (the recorded `write-command`s).
 */
export function shadowRunPoints(applied: readonly Applied[], scheduling: SchedulingSummary | undefined): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const [nodepool, t] of sumBy(scheduling?.nodeClaims ?? [], (c) => dimensionValue(c.nodePool), (c) => c.pricePerHour ?? 0)) {
    points.push(gaugePoint(S.launchNodes, { nodepool }, t.n), gaugePoint(S.launchCost, { nodepool }, round(t.sum)));
  }
  const commands = applied.flatMap(({ action }) => (action.kind === "write-command" ? [action.content] : []));
  const byReason = new Map<string, { nodes: number; cost: number; savings: number }>();
  for (const c of commands) {
    const t = byReason.get(c.reason) ?? { nodes: 0, cost: 0, savings: 0 };
    t.nodes += c.candidates.length;
    t.cost += c.candidates.reduce((sum, x) => sum + (x.pricePerHour ?? 0), 0);
    t.savings += c.savingsPerHour;
    byReason.set(c.reason, t);
  }
  for (const [reason, t] of byReason) {
    points.push(gaugePoint(S.removeNodes, { reason }, t.nodes), gaugePoint(S.removeCost, { reason }, round(t.cost)), gaugePoint(S.savings, { reason }, round(t.savings)));
  }
  return points;
}
