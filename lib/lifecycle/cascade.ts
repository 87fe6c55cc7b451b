/**
 * A deleted NodePool takes its NodeClaims with it (Karpenter's NodePool termination): every record
 * labelled `karpenter.sh/nodepool=<name>` whose NodePool no longer exists, neither as a CRD nor as
 * a table item, is marked Terminating, and termination drains and removes it. An invalid NodePool
 * still exists (its nodes stay); a record without the label is left alone. The caller passes
 * undefined when the NodePools could not be listed: then nothing is marked. Pure.
 */
import type { Action } from "../actions/actions.ts";
import { terminatingContent } from "../actions/records.ts";
import { LABEL_NODEPOOL } from "../api/labels.ts";
import type { NodeClaimRecord } from "../ports/store.ts";

export const CASCADE_STEP = "nodepool-deleted";
/** The NodeClaim's DisruptionReason condition when its NodePool goes. */
export const NODEPOOL_DELETED_REASON = "NodePoolDeleted";

export function decideNodePoolCascade(records: readonly NodeClaimRecord[], existingNodePools: ReadonlySet<string> | undefined, nowMs: number): Action[] {
  if (!existingNodePools) return [];
  const actions: Action[] = [];
  for (const record of records) {
    const pool = record.nodeClaim.metadata.labels?.[LABEL_NODEPOOL];
    if (pool === undefined || record.phase === "Terminating" || existingNodePools.has(pool)) continue;
    const why = `its NodePool ${pool} was deleted`;
    actions.push({
      kind: "update-nodeclaim",
      record,
      content: terminatingContent(record, NODEPOOL_DELETED_REASON, why, nowMs),
      reason: `${why}: marked for termination`,
      unit: `${CASCADE_STEP}:${record.name}`,
    });
  }
  return actions;
}
