/**
 * The gauges a consolidator tick reports (lib/ports/telemetry.ts KARPENTER_METRIC), from what it
 * observed: per NodePool, usage and limits by resource type, allowed disruptions by reason, the
 * hourly cost of its nodes, its pods by phase; the eligible nodes by reason; and the startup
 * durations of the pods that became Ready on Tenon's nodes since the last tick. Pure.
 */
import type { DisruptionReason, NodePool } from "../api/types.ts";
import type { Pod } from "../api/kubernetes.ts";
import { parseResources } from "../quantity/resources.ts";
import { KARPENTER_METRIC as K, type MetricPoint } from "../ports/telemetry.ts";
import type { NodePoolOption } from "../scheduling/types.ts";
import { dimensionValue as value, gaugePoint as gauge } from "../metrics/karpenter.ts";
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_NODEPOOL } from "../api/labels.ts";
import type { InstanceType } from "../ports/instance-type.ts";
import { SHADOW_METRIC } from "../ports/telemetry.ts";
import { allowance, budgetTotals } from "./budgets.ts";
import type { NodeView } from "./cluster.ts";

/** Resource names reported for usage and limits, with the scale that turns scheduler numbers into Karpenter's units. */
const RESOURCE_SCALE: Readonly<Record<string, number>> = { cpu: 1 / 1000, memory: 1, pods: 1, "ephemeral-storage": 1, "nvidia.com/gpu": 1 };

export interface GaugeInput {
  nodePools: readonly NodePoolOption[];
  /** Every node and in-flight NodeClaim the tick observed, priced (the disruption pass's views). */
  views: readonly NodeView[];
  /** Pending pods the tick saw (not bound to a node). */
  pendingPods: readonly Pod[];
  nowMs: number;
  /** Candidates per reason, when the tick ran a disruption pass. */
  eligible?: Readonly<Partial<Record<DisruptionReason, number>>>;
  /** Startup durations are reported for pods that became Ready within this window before `nowMs` (absent: none). */
  startupWindowMs?: number;
}

const BUDGET_REASONS: readonly DisruptionReason[] = ["Empty", "Underutilized", "Drifted"];

function limitsOf(nodePool: NodePool): Record<string, number> {
  return parseResources(nodePool.spec.limits as Record<string, string> | undefined);
}

function readyAtMs(pod: Pod): number | undefined {
  const ready = pod.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True");
  const ms = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The gauges a consolidator tick reports, per NodePool: usage and limits by resource type, allowed
 * disruptions by reason, the hourly cost of its nodes, its pods by phase; and the eligible nodes by
 * reason and the startup durations of the pods that became Ready on Tenon's nodes since the last tick.
 */
export function nodePoolGauges(input: GaugeInput): MetricPoint[] {
  const points: MetricPoint[] = [];
  const totals = budgetTotals(input.views);
  for (const option of input.nodePools) {
    const pool = option.nodePool;
    const nodepool = pool.metadata.name;
    const mine = input.views.filter((v) => v.poolName === nodepool && !v.instanceTerminating);
    const usage: Record<string, number> = {};
    let cost = 0;
    for (const v of mine) {
      const capacity = v.existing.capacity ?? v.existing.allocatable;
      for (const name of Object.keys(RESOURCE_SCALE)) if (capacity[name] !== undefined) usage[name] = (usage[name] ?? 0) + capacity[name]!;
      cost += v.price ?? 0;
    }
    for (const [name, n] of Object.entries(usage)) points.push(gauge(K.nodePoolsUsage, { nodepool, resource_type: name }, n * RESOURCE_SCALE[name]!));
    points.push(gauge(K.nodePoolsUsage, { nodepool, resource_type: "nodes" }, mine.length));
    for (const [name, n] of Object.entries(limitsOf(pool))) points.push(gauge(K.nodePoolsLimit, { nodepool, resource_type: name }, n * (RESOURCE_SCALE[name] ?? 1)));
    const t = totals.get(nodepool) ?? { total: 0, disrupting: 0 };
    for (const reason of BUDGET_REASONS) points.push(gauge(K.nodePoolsAllowedDisruptions, { nodepool, reason }, allowance(pool, reason, t.total, t.disrupting, input.nowMs).allowed));
    points.push(gauge(K.nodePoolsCost, { nodepool }, Math.round(cost * 1e6) / 1e6));
    const phases = new Map<string, number>();
    for (const v of mine) for (const pod of v.pods.filter((p) => p.spec.nodeName)) phases.set(value(pod.status?.phase), (phases.get(value(pod.status?.phase)) ?? 0) + 1);
    for (const [phase, n] of phases) points.push(gauge(K.podsState, { nodepool, phase }, n));
  }
  if (input.pendingPods.length > 0) points.push(gauge(K.podsState, { nodepool: "none", phase: "Pending" }, input.pendingPods.length));
  for (const [reason, n] of Object.entries(input.eligible ?? {})) points.push(gauge(K.disruptionEligibleNodes, { reason }, n));
  if (input.startupWindowMs !== undefined) {
    const since = input.nowMs - input.startupWindowMs;
    for (const v of input.views) {
      if (!v.poolName) continue;
      for (const pod of v.pods) {
        const ready = readyAtMs(pod);
        const created = pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : NaN;
        if (ready === undefined || Number.isNaN(created) || ready <= since || ready > input.nowMs) continue;
        points.push({ name: K.podsStartupDuration, unit: "Seconds", value: Math.max(0, (ready - created) / 1000), dimensions: { nodepool: v.poolName } });
      }
    }
  }
  return points;
}

/** EKS managed node groups label their capacity type thus (ON_DEMAND, SPOT, CAPACITY_BLOCK). */
export const LABEL_EKS_CAPACITY_TYPE = "eks.amazonaws.com/capacityType";

/** Karpenter's capacity type for a node: its own label, an EKS managed node group's, or on-demand. */
export function capacityTypeOf(labels: Readonly<Record<string, string>>): string {
  const own = labels[LABEL_CAPACITY_TYPE];
  if (own) return own;
  const eks = labels[LABEL_EKS_CAPACITY_TYPE];
  if (eks === "SPOT") return "spot";
  if (eks === "CAPACITY_BLOCK") return "reserved";
  return "on-demand";
}

/** The hourly price of `type` in `zone` for `capacityType`: that offering, else the cheapest of that capacity type, else of on-demand. */
export function offeringPrice(type: InstanceType, zone: string | undefined, capacityType: string): number | undefined {
  const exact = type.offerings.find((o) => o.zone === zone && o.capacityType === capacityType);
  if (exact) return exact.price;
  for (const ct of [capacityType, "on-demand"]) {
    const prices = type.offerings.filter((o) => o.capacityType === ct).map((o) => o.price);
    if (prices.length > 0) return Math.min(...prices);
  }
  return undefined;
}

/**
 * The incumbent's nodes (Nodes with no Tenon NodeClaim) per `karpenter.sh/nodepool` label
 * (`none` without one): how many, and their price from `catalog` by instance type, zone and
 * capacity type. A node whose type the catalog lacks is counted and not priced.
 */
export function incumbentPoints(views: readonly NodeView[], catalog: ReadonlyMap<string, InstanceType>): MetricPoint[] {
  const incumbents = views.filter((v) => v.node && !v.nodeClaim && !v.node.metadata.deletionTimestamp);
  const points: MetricPoint[] = [];
  const priced = (v: NodeView): number => {
    const labels = v.existing.labels;
    const type = catalog.get(labels[LABEL_INSTANCE_TYPE] ?? "");
    return type ? (offeringPrice(type, v.zone, capacityTypeOf(labels)) ?? 0) : 0;
  };
  const byPool = new Map<string, { n: number; sum: number }>();
  for (const v of incumbents) {
    const nodepool = value(v.existing.labels[LABEL_NODEPOOL]);
    const t = byPool.get(nodepool) ?? { n: 0, sum: 0 };
    t.n++;
    t.sum += priced(v);
    byPool.set(nodepool, t);
  }
  for (const [nodepool, t] of byPool) {
    points.push(gauge(SHADOW_METRIC.incumbentNodes, { nodepool }, t.n), gauge(SHADOW_METRIC.incumbentCost, { nodepool }, Math.round(t.sum * 1e6) / 1e6));
  }
  return points;
}
