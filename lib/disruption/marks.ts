/**
 * The marks Karpenter keeps on NodeClaims, kept on Tenon's records by the disruption tick (pure):
 *  - `status.lastPodEventTime`: when a pod last arrived on or left the node (Karpenter's pod-events
 *    controller). Tenon sees the cluster once a tick, so it notices a change in the node's set of
 *    reschedulable pods (kept as a hash in the annotation `tenon.sh/pod-set`) and stamps the time it
 *    noticed; `consolidateAfter` counts from there;
 *  - conditions `Consolidatable` (consolidateAfter has passed) and `Drifted` (with the drift
 *    reason), computed afresh every pass and written only when they change, so `tenon nodeclaim
 *    list` and the journal show them.
 * The pass itself never trusts these two conditions on live records: they are stripped before it
 * runs (they are Tenon's own output, recomputed here), while `tenon disrupt` still reads them
 * from a Karpenter cluster's NodeClaims.
 */
import { createHash } from "node:crypto";
import type { Action } from "../actions/actions.ts";
import type { Node, Pod } from "../api/kubernetes.ts";
import { podKey } from "../api/kubernetes.ts";
import type { Condition, NodeClaim } from "../api/types.ts";
import { upsertCondition } from "../ports/cluster.ts";
import type { NodeClaimRecord } from "../ports/store.ts";
import { consolidatable, drift, type NodeView } from "./cluster.ts";
import type { DisruptionObjects } from "./decide.ts";
import { isReschedulable } from "./pods.ts";

export const POD_SET_ANNOTATION = "tenon.sh/pod-set";
/**
 * Mark updates written per run at most (one conditional write each): a run stays short even on the
 * first run over a large cluster (every record gets its first pod-set hash) or under heavy pod
 * churn; the rest are written by the next runs.
 */
export const MAX_MARK_UPDATES = 200;
const DERIVED = new Set(["Consolidatable", "Drifted"]);

function podSetHash(pods: readonly Pod[]): string {
  const keys = pods.filter(isReschedulable).map(podKey).sort();
  return createHash("sha256").update(keys.join("\n")).digest("hex").slice(0, 16);
}

export interface Marked {
  /** The objects the pass should read: fresh lastPodEventTime, no stale derived conditions. */
  objects: DisruptionObjects;
  /** The NodeClaims whose record must change (the pod set moved), by record name. */
  changed: Map<string, NodeClaim>;
}

/** Stamps pod events and strips the derived conditions, before the pass. */
export function prepareMarks(objects: DisruptionObjects, records: readonly NodeClaimRecord[], nowMs: number): Marked {
  const byProvider = new Map<string, NodeClaimRecord>();
  for (const r of records) if (r.nodeClaim.status?.providerID) byProvider.set(r.nodeClaim.status.providerID, r);
  const podsByNode = new Map<string, Pod[]>();
  for (const p of objects.pods) if (p.spec.nodeName) podsByNode.set(p.spec.nodeName, [...(podsByNode.get(p.spec.nodeName) ?? []), p]);
  const nodeByProvider = new Map<string, Node>();
  for (const n of objects.nodes) if (n.spec.providerID) nodeByProvider.set(n.spec.providerID, n);
  const changed = new Map<string, NodeClaim>();
  const nodeClaims = objects.nodeClaims.map((claim) => {
    const stripped: NodeClaim = { ...claim, status: { ...claim.status, conditions: (claim.status?.conditions ?? []).filter((c) => !DERIVED.has(c.type)) } };
    const providerId = claim.status?.providerID;
    const record = providerId ? byProvider.get(providerId) : undefined;
    const node = providerId ? nodeByProvider.get(providerId) : undefined;
    if (!record || !node || record.phase !== "Initialized") return stripped;
    const hash = podSetHash(podsByNode.get(node.metadata.name) ?? []);
    const before = record.nodeClaim.metadata.annotations?.[POD_SET_ANNOTATION];
    if (before === hash) return stripped;
    // First sight of the node's pods (no hash yet) keeps Karpenter's fallback: initialization time.
    const stamped: NodeClaim = {
      ...stripped,
      metadata: { ...stripped.metadata, annotations: { ...stripped.metadata.annotations, [POD_SET_ANNOTATION]: hash } },
      status: { ...stripped.status, ...(before !== undefined ? { lastPodEventTime: new Date(nowMs).toISOString() } : {}) },
    };
    changed.set(record.name, stamped);
    return stamped;
  });
  return { objects: { ...objects, nodeClaims }, changed };
}

function sameCondition(a: Condition | undefined, b: { status: string; reason: string } | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.status === b.status && a.reason === b.reason;
}

/**
 * The record updates for this tick: pod events stamped, and (when a pass ran) the Consolidatable
 * and Drifted conditions as the pass saw them, one conditional update per record that changed.
 */
export function markActions(marked: Marked, views: readonly NodeView[] | undefined, records: readonly NodeClaimRecord[], nodeClasses: DisruptionObjects["nodeClasses"], nowMs: number): Action[] {
  const byName = new Map(records.map((r) => [r.name, r]));
  const next = new Map(marked.changed);
  const iso = new Date(nowMs).toISOString();
  for (const view of views ?? []) {
    const record = view.nodeClaim ? byName.get(view.nodeClaim.metadata.name) : undefined;
    if (!record || record.phase !== "Initialized" || !view.pool || !view.node) continue;
    const c = consolidatable(view, nowMs);
    const d = drift(view, nodeClasses);
    const wantConsolidatable = { status: c.ok ? "True" : "False", reason: c.ok ? "Consolidatable" : "NotConsolidatable", message: c.ok ? "" : c.reason };
    const wantDrifted = d ? { status: "True", reason: d.reason, message: d.message } : undefined;
    const stored = record.nodeClaim.status?.conditions ?? [];
    const hadConsolidatable = stored.find((x) => x.type === "Consolidatable");
    const hadDrifted = stored.find((x) => x.type === "Drifted");
    if (sameCondition(hadConsolidatable, wantConsolidatable) && sameCondition(hadDrifted, wantDrifted)) continue;
    const base = next.get(record.name) ?? record.nodeClaim;
    let conditions = upsertCondition((base.status?.conditions ?? []).filter((x) => x.type !== "Drifted"), { type: "Consolidatable", ...wantConsolidatable } as Omit<Condition, "lastTransitionTime">, iso);
    if (wantDrifted) conditions = upsertCondition(conditions, { type: "Drifted", ...wantDrifted } as Omit<Condition, "lastTransitionTime">, hadDrifted?.status === "True" ? (hadDrifted.lastTransitionTime ?? iso) : iso);
    next.set(record.name, { ...base, status: { ...base.status, conditions } });
  }
  const actions: Action[] = [];
  for (const [name, nodeClaim] of next) {
    if (actions.length >= MAX_MARK_UPDATES) break;
    const record = byName.get(name);
    if (!record) continue; // changed by another action this tick: marked next tick

    // Keep the stored conditions the pass does not own (Launched, Registered, Initialized...).
    const own = (record.nodeClaim.status?.conditions ?? []).filter((c) => !DERIVED.has(c.type));
    const derived = (nodeClaim.status?.conditions ?? []).filter((c) => DERIVED.has(c.type));
    const kept = derived.length > 0 ? derived : (record.nodeClaim.status?.conditions ?? []).filter((c) => DERIVED.has(c.type));
    const content = {
      nodeClaim: { ...record.nodeClaim, metadata: nodeClaim.metadata, status: { ...record.nodeClaim.status, ...nodeClaim.status, conditions: [...own, ...kept] } },
      phase: record.phase,
      launch: record.launch,
    };
    actions.push({ kind: "update-nodeclaim", record, content, reason: "the node's pods or its Consolidatable / Drifted marks changed", unit: `mark:${name}` });
  }
  return actions;
}
