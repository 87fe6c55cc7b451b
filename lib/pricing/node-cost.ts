/**
 * A NodePool's per-node cost (annotation `tenon.sh/node-cost-per-hour`: licences, agents, support
 * fees per node) folded into its instance types' offering prices, so every price the scheduler
 * and the disruption decisions compare is what a node of that pool really costs: a fixed cost per
 * node makes fewer, larger nodes and multi-node consolidation worth more. Pure.
 */
import { ANNOTATION_NODE_COST } from "../api/labels.ts";
import type { NodePool } from "../api/types.ts";
import type { InstanceType } from "../ports/instance-type.ts";

/** The pool's per-node cost in USD per hour (0 without the annotation; validation rejects a bad one). */
export function nodeCostOf(nodePool: NodePool): number {
  const raw = nodePool.metadata.annotations?.[ANNOTATION_NODE_COST];
  const cost = raw === undefined ? 0 : Number(raw);
  return Number.isFinite(cost) && cost > 0 ? cost : 0;
}

/** The instance types with the pool's per-node cost added to every offering; the same list when there is none. */
export function withNodeCost(instanceTypes: InstanceType[], nodePool: NodePool): InstanceType[] {
  const cost = nodeCostOf(nodePool);
  if (cost === 0) return instanceTypes;
  return instanceTypes.map((t) => ({ ...t, offerings: t.offerings.map((o) => ({ ...o, price: Math.round((o.price + cost) * 1e6) / 1e6 })) }));
}
