/**
 * Karpenter's metrics as data (lib/ports/telemetry.ts KARPENTER_METRIC; docs/observability.md maps
 * them). Pure: the counters are points a decision attaches to the action that does the thing (the
 * executor emits them when the action is applied, so a shadow run or a conflicted write counts
 * nothing); the gauges the consolidator tick observes are lib/disruption/gauges.ts.
 */
import type { NodeClaim } from "../api/types.ts";
import { LABEL_CAPACITY_TYPE, LABEL_NODEPOOL } from "../api/labels.ts";
import { KARPENTER_METRIC as K, type MetricPoint } from "../ports/telemetry.ts";
import type { DisruptionCommandContent } from "../ports/store.ts";

/** A dimension value CloudWatch accepts (no empty strings): what Karpenter leaves blank is "none". */
export function dimensionValue(text: string | undefined): string {
  return text === undefined || text === "" ? "none" : text;
}

export function countPoint(name: string, dimensions: Record<string, string>, n = 1): MetricPoint {
  return { name, unit: "Count", value: n, dimensions };
}

export function gaugePoint(name: string, dimensions: Record<string, string>, n: number): MetricPoint {
  return { name, unit: "None", value: n, dimensions };
}

/** A NodeClaim's NodePool and capacity type, the dimensions most of Karpenter's NodeClaim metrics carry. */
export function nodeClaimDimensions(claim: NodeClaim): { nodepool: string; capacity_type: string } {
  const labels = claim.metadata.labels ?? {};
  return { nodepool: dimensionValue(labels[LABEL_NODEPOOL]), capacity_type: dimensionValue(labels[LABEL_CAPACITY_TYPE]) };
}

/** `karpenter_nodeclaims_created`: a NodeClaim launched, for `reason` (provisioning, or the disruption reason it replaces for). */
export function nodeClaimCreated(claim: NodeClaim, reason: string): MetricPoint {
  return countPoint(K.nodeClaimsCreated, { ...nodeClaimDimensions(claim), reason });
}

export function nodeClaimTerminated(claim: NodeClaim): MetricPoint {
  return countPoint(K.nodeClaimsTerminated, nodeClaimDimensions(claim));
}

export function nodeClaimDisrupted(claim: NodeClaim, reason: string): MetricPoint {
  return countPoint(K.nodeClaimsDisrupted, { ...nodeClaimDimensions(claim), reason });
}

export function nodeCreated(claim: NodeClaim): MetricPoint {
  return countPoint(K.nodesCreated, { nodepool: nodeClaimDimensions(claim).nodepool });
}

export function nodeTerminated(nodePool: string | undefined): MetricPoint {
  return countPoint(K.nodesTerminated, { nodepool: dimensionValue(nodePool) });
}

/** Karpenter's consolidation_type for a Tenon method: empty, single, multi; none for drift. */
export function consolidationType(method: string): string {
  if (method === "emptiness") return "empty";
  if (method === "single-node-consolidation") return "single";
  if (method === "multi-node-consolidation") return "multi";
  return "none";
}

/** `karpenter_voluntary_disruption_decisions`: a disruption command decided (written). */
export function disruptionDecision(content: DisruptionCommandContent): MetricPoint {
  return countPoint(K.disruptionDecisions, { decision: content.decision, reason: content.reason, consolidation_type: consolidationType(content.method) });
}

/** Karpenter's message_type for an interruption message kind. */
const MESSAGE_TYPE: Readonly<Record<string, string>> = {
  "spot-interruption": "spot_interrupted",
  "rebalance-recommendation": "rebalance_recommendation",
  "state-change": "state_change",
  "scheduled-change": "scheduled_change",
  "capacity-reservation-interruption": "capacity_reservation_interrupted",
};

/** `karpenter_interruption_received_messages` by Karpenter's message_type. */
export function interruptionMessage(kind: string): MetricPoint {
  return countPoint(K.interruptionMessages, { message_type: MESSAGE_TYPE[kind] ?? dimensionValue(kind) });
}

export function cloudProviderError(method: string, error: string): MetricPoint {
  return countPoint(K.cloudProviderErrors, { method, error });
}

export function instanceLaunchFailure(nodePool: string): MetricPoint {
  return countPoint(K.instanceLaunchFailures, { nodepool: dimensionValue(nodePool) });
}

