/**
 * The termination step of the lifecycle tick: observe the Nodes being deleted (from the node view
 * the tick already read), their pods (one per-node list each), the records and the instances;
 * decide (decide.ts); let the executor act. Nothing is kept between ticks: each tick reads back
 * where every drain stands, so a tick that dies midway is resumed by the next.
 */
import type { Node, Pod } from "../api/kubernetes.ts";
import { TERMINATION_FINALIZER } from "../api/labels.ts";
import type { Applied, Executor } from "../actions/actions.ts";
import type { CloudInstance } from "../ports/cloud.ts";
import { listAll, type Cluster } from "../ports/cluster.ts";
import type { NodeClaimRecord } from "../ports/store.ts";
import { decideTermination, MAX_EVICTIONS_PER_TICK } from "./decide.ts";

export interface TerminationReport {
  /** Nodes and NodeClaims on the termination path this tick. */
  terminating: string[];
  /** Evictions requested (a PDB may have refused some: they are asked again next tick). */
  evictionsRequested: number;
  evictionsRefused: number;
  instancesTerminated: string[];
  /** Nodes whose finalizer was removed and records deleted: done. */
  finished: string[];
}

/** Nodes Tenon holds that are being deleted. */
export function nodesBeingDeleted(nodes: readonly Node[]): Node[] {
  return nodes.filter((n) => n.metadata.deletionTimestamp !== undefined && (n.metadata.finalizers ?? []).includes(TERMINATION_FINALIZER));
}

export async function runTermination(
  ports: { cluster: Cluster; clock: { now(): number } },
  observed: { records: readonly NodeClaimRecord[]; nodes: readonly Node[]; instances: readonly CloudInstance[] },
  executor: Executor,
): Promise<TerminationReport | undefined> {
  const deleting = nodesBeingDeleted(observed.nodes);
  if (deleting.length === 0 && !observed.records.some((r) => r.phase === "Terminating")) return undefined;
  const podsByNode = new Map<string, Pod[]>();
  for (const node of deleting) podsByNode.set(node.metadata.name, await listAll((o) => ports.cluster.listPodsOnNode(node.metadata.name, o)));
  const actions = decideTermination({ ...observed, podsByNode, nowMs: ports.clock.now(), maxEvictions: MAX_EVICTIONS_PER_TICK });
  const applied = await executor.execute(actions);
  return terminationReport(applied);
}

function terminationReport(applied: readonly Applied[]): TerminationReport {
  const report: TerminationReport = { terminating: [], evictionsRequested: 0, evictionsRefused: 0, instancesTerminated: [], finished: [] };
  for (const { action, outcome } of applied) {
    const subject = action.unit?.slice(action.unit.indexOf(":") + 1);
    if (subject && !report.terminating.includes(subject)) report.terminating.push(subject);
    if (outcome.status !== "done") continue;
    if (action.kind === "evict-pod") {
      report.evictionsRequested++;
      if (outcome.detail === "blocked") report.evictionsRefused++;
    }
    if (action.kind === "terminate-instance") report.instancesTerminated.push(action.instanceId);
    if (action.kind === "remove-node-finalizer") report.finished.push(action.node);
  }
  return report;
}
