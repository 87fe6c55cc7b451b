/**
 * NodeClaims visible with `kubectl get nodeclaims`: the table stays the source of truth, and
 * karpenter.sh/v1 NodeClaim objects mirror its records (docs/observability.md, "NodeClaim objects").
 * Observe (records, the mirrored objects, Karpenter's leader-election Lease), decide (pure:
 * `mirrorGate`, `decideNodeClaimMirror`), and let the executor create, update and delete the
 * objects. Only what differs is written, so a tick over an unchanged table writes nothing.
 *
 * The danger is a running Karpenter: it reconciles every NodeClaim object, and could launch for a
 * mirrored one, garbage-collect it or disrupt it. So `auto` mirrors only while no Karpenter holds
 * its Lease, the mirrored objects never carry Karpenter's finalizer, and only objects labelled
 * `tenon.sh/managed-by=<cluster>` are ever updated or deleted.
 */
import type { Condition, NodeClaim } from "../api/types.ts";
import { LABEL_MANAGED_BY } from "../api/labels.ts";
import type { Action } from "../actions/actions.ts";
import type { Executor } from "../actions/actions.ts";
import { listAll, type Lease, type NodeMetadataPatch, type RawObject } from "../ports/cluster.ts";
import type { NodeClaimRecord } from "../ports/store.ts";
import type { NodeClaimMirrorSetting } from "../ports/settings.ts";
import type { TenonMode } from "../ports/journal.ts";
import type { FullPorts } from "../observe/ports.ts";

/** The label that marks an object as Tenon's (the same key as its AWS ownership tag), valued with the cluster's name. */
export const MIRROR_LABEL = LABEL_MANAGED_BY;
/** Karpenter's leader-election Lease (controller-runtime's LeaderElectionID; namespaced where Karpenter runs, LEADER_ELECTION_NAME overrides it). */
export const KARPENTER_LEASE_NAME = "karpenter-leader-election";
/** A Lease renewed this recently means a Karpenter is running (its leader renews every few seconds). */
export const KARPENTER_LEASE_FRESH_MS = 5 * 60_000;
/** Condition types the mirror carries: the record's, and Ready from them. */
const CONDITION_TYPES = ["Launched", "Registered", "Initialized", "Drifted", "Consolidatable", "DisruptionReason"];
/** Requirement keys Karpenter's NodeClaim CRD refuses (restricted label domains). */
const ALLOWED_KARPENTER_KEYS = new Set(["karpenter.sh/capacity-type", "karpenter.sh/nodepool"]);
const CONDITION_REASON = /^([A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?|)$/;

export type MirrorGate = { mirror: true; why: string } | { mirror: false; why: string };

export interface MirrorGateInput {
  setting: NodeClaimMirrorSetting;
  mode: TenonMode;
  /** False when the NodeClaim CRD is not installed. */
  crdServed: boolean;
  /** Karpenter's Leases (any namespace); read only for `auto`. */
  leases: readonly Lease[];
  nowMs: number;
}

/** A Lease a Karpenter holds and renewed within KARPENTER_LEASE_FRESH_MS, if any. */
export function freshKarpenterLease(leases: readonly Lease[], nowMs: number): Lease | undefined {
  return leases.find((l) => {
    if (!l.holderIdentity || !l.renewTime) return false;
    const renewed = Date.parse(l.renewTime);
    return Number.isFinite(renewed) && nowMs - renewed < KARPENTER_LEASE_FRESH_MS;
  });
}

/** Whether this tick mirrors, and why (or why not). Pure. */
export function mirrorGate(input: MirrorGateInput): MirrorGate {
  if (input.setting === "off") return { mirror: false, why: "NODECLAIM_MIRROR is off" };
  if (!input.crdServed) return { mirror: false, why: "the NodeClaim CRD is not installed" };
  if (input.setting === "on") return { mirror: true, why: "NODECLAIM_MIRROR is on" };
  if (input.mode !== "live") return { mirror: false, why: `NODECLAIM_MIRROR is auto and the mode is ${input.mode}` };
  const lease = freshKarpenterLease(input.leases, input.nowMs);
  if (lease) return { mirror: false, why: `NODECLAIM_MIRROR is auto and Karpenter is running (Lease ${lease.namespace}/${lease.name} held by ${lease.holderIdentity}, renewed ${lease.renewTime})` };
  return { mirror: true, why: "NODECLAIM_MIRROR is auto, the NodeClaim CRD is installed and no Karpenter holds its Lease" };
}

function iso(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : text;
}

function mirroredCondition(c: Condition): Record<string, unknown> {
  return {
    type: c.type,
    status: c.status,
    reason: c.reason && CONDITION_REASON.test(c.reason) ? c.reason : c.reason ? c.reason.replace(/[^A-Za-z0-9_,:]/g, "").replace(/^[^A-Za-z]+/, "") : "",
    message: c.message ?? "",
    lastTransitionTime: iso(c.lastTransitionTime) ?? "",
  };
}

/** The status a record's object carries: what Karpenter keeps, from the record. */
export function mirroredStatus(claim: NodeClaim): Record<string, unknown> {
  const status = claim.status ?? {};
  const conditions = (status.conditions ?? []).filter((c) => CONDITION_TYPES.includes(c.type) && c.lastTransitionTime);
  const state = (type: string) => conditions.find((c) => c.type === type);
  const ready = ["Launched", "Registered", "Initialized"].every((t) => state(t)?.status === "True");
  const latest = conditions.map((c) => c.lastTransitionTime!).sort().at(-1) ?? claim.metadata.creationTimestamp ?? new Date(0).toISOString();
  const readyCondition: Condition = ready
    ? { type: "Ready", status: "True", reason: "Ready", message: "", lastTransitionTime: state("Initialized")!.lastTransitionTime! }
    : { type: "Ready", status: "Unknown", reason: "NotReady", message: `waiting for ${["Launched", "Registered", "Initialized"].find((t) => state(t)?.status !== "True")}`, lastTransitionTime: latest };
  return {
    ...(status.providerID ? { providerID: status.providerID } : {}),
    ...(status.nodeName ? { nodeName: status.nodeName } : {}),
    ...(status.imageID ? { imageID: status.imageID } : {}),
    ...(status.capacity ? { capacity: { ...status.capacity } } : {}),
    ...(status.allocatable ? { allocatable: { ...status.allocatable } } : {}),
    conditions: [...conditions, readyCondition].map(mirroredCondition).sort((a, b) => String(a["type"]).localeCompare(String(b["type"]))),
  };
}

export type MirroredObject = RawObject & { metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> } };

/** The NodeClaim object for a record: its name, labels, annotations, spec and status; no finalizer, no owner. */
export function mirroredObject(record: NodeClaimRecord, clusterName: string): MirroredObject {
  const claim = record.nodeClaim;
  const spec = claim.spec;
  const requirements = spec.requirements
    .filter((r) => r.key !== "kubernetes.io/hostname" && (!/^([^/]*\.)?karpenter\.sh\//.test(r.key) || ALLOWED_KARPENTER_KEYS.has(r.key)))
    .filter((r) => !(r.operator === "In" && (r.values ?? []).length === 0))
    .slice(0, 100);
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    metadata: {
      name: record.name,
      labels: { ...(claim.metadata.labels ?? {}), [MIRROR_LABEL]: clusterName },
      annotations: { ...(claim.metadata.annotations ?? {}) },
    },
    spec: {
      nodeClassRef: { ...spec.nodeClassRef },
      requirements: structuredClone(requirements),
      ...(spec.taints?.length ? { taints: structuredClone(spec.taints) } : {}),
      ...(spec.startupTaints?.length ? { startupTaints: structuredClone(spec.startupTaints) } : {}),
      ...(spec.resources ? { resources: structuredClone(spec.resources) } : {}),
      ...(spec.expireAfter !== undefined ? { expireAfter: spec.expireAfter === null ? "Never" : crdDuration(spec.expireAfter) } : {}),
      ...(spec.terminationGracePeriod !== undefined ? { terminationGracePeriod: crdDuration(spec.terminationGracePeriod) } : {}),
    },
    status: mirroredStatus(claim),
  };
}

/** Milliseconds as the CRD's duration pattern takes them: whole hours, minutes and seconds (`720h0m0s`). */
export function crdDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m${seconds % 60}s`;
}

interface ObservedMeta {
  name: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

function metaOf(object: RawObject): ObservedMeta {
  return (object.metadata ?? { name: "" }) as ObservedMeta;
}

/** The keys of `want` that `have` lacks or holds differently; undefined when none. */
function mapChanges(want: Record<string, string>, have: Record<string, string> | undefined): Record<string, string> | undefined {
  const changed = Object.entries(want).filter(([k, v]) => have?.[k] !== v);
  return changed.length > 0 ? Object.fromEntries(changed) : undefined;
}

/** The observed status in the mirror's shape (times normalized), to compare with the desired one. */
function comparableStatus(status: unknown): string {
  const s = (status ?? {}) as Record<string, unknown>;
  const conditions = ((s["conditions"] as Condition[] | undefined) ?? []).map(mirroredCondition).sort((a, b) => String(a["type"]).localeCompare(String(b["type"])));
  return JSON.stringify({ providerID: s["providerID"], nodeName: s["nodeName"], imageID: s["imageID"], capacity: s["capacity"], allocatable: s["allocatable"], conditions });
}

/**
 * The actions that make the objects mirror the records: create the missing ones (with their
 * status), bring labels, annotations and status up to date, and delete Tenon's objects whose
 * record is gone. Pure; `objects` are the objects labelled as this cluster's mirror.
 */
export function decideNodeClaimMirror(input: { records: readonly NodeClaimRecord[]; objects: readonly RawObject[]; clusterName: string }): Action[] {
  const actions: Action[] = [];
  const byName = new Map(input.objects.map((o) => [metaOf(o).name, o]));
  for (const record of input.records) {
    const desired = mirroredObject(record, input.clusterName);
    const observed = byName.get(record.name);
    if (!observed) {
      actions.push({ kind: "create-nodeclaim-object", object: desired, reason: `NodeClaim ${record.name} is in the table (${record.phase}) and has no object in the cluster` });
      continue;
    }
    const meta = metaOf(observed);
    const want = desired.metadata;
    const labels = mapChanges(want.labels, meta.labels);
    const annotations = mapChanges(want.annotations, meta.annotations);
    const statusChanged = comparableStatus(desired.status) !== comparableStatus(observed["status"]);
    if (!labels && !annotations && !statusChanged) continue;
    const metadata: NodeMetadataPatch = { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
    const what = [labels ? "labels" : "", annotations ? "annotations" : "", statusChanged ? "status" : ""].filter(Boolean).join(", ");
    actions.push({
      kind: "update-nodeclaim-object",
      name: record.name,
      ...(labels || annotations ? { metadata } : {}),
      ...(statusChanged ? { status: desired.status as Record<string, unknown> } : {}),
      reason: `NodeClaim ${record.name}'s ${what} changed in the table (${record.phase})`,
    });
  }
  const recorded = new Set(input.records.map((r) => r.name));
  for (const object of input.objects) {
    const meta = metaOf(object);
    if (recorded.has(meta.name) || meta.deletionTimestamp || !meta.uid) continue;
    if (meta.labels?.[MIRROR_LABEL] !== input.clusterName) continue;
    actions.push({ kind: "delete-nodeclaim-object", name: meta.name, uid: meta.uid, reason: `NodeClaim ${meta.name} is no longer in the table` });
  }
  return actions;
}

export interface MirrorReport {
  mirrored: boolean;
  why: string;
  created: string[];
  updated: string[];
  deleted: string[];
}

/**
 * One mirror pass (the lifecycle tick runs it last): reads the records again (the tick's own
 * actions changed them), the mirrored objects and, for `auto`, Karpenter's Lease. Never fails the
 * tick: a failure is logged and reported.
 */
export async function mirrorNodeClaims(ports: FullPorts, executor: Executor): Promise<MirrorReport> {
  const { cluster, store, clock, settings, clusterName } = ports;
  const report: MirrorReport = { mirrored: false, why: "", created: [], updated: [], deleted: [] };
  try {
    if (settings.nodeClaimMirror === "off") return { ...report, why: "NODECLAIM_MIRROR is off" };
    const selector = { labelSelector: `${MIRROR_LABEL}=${clusterName}` };
    const first = await cluster.listNodeClaimObjects(selector);
    const crdServed = first !== "not-served";
    const leases = crdServed && settings.nodeClaimMirror === "auto" && (ports.mode ?? "live") === "live" ? await cluster.listLeases(KARPENTER_LEASE_NAME) : [];
    const gate = mirrorGate({ setting: settings.nodeClaimMirror, mode: ports.mode ?? "live", crdServed, leases, nowMs: clock.now() });
    report.why = gate.why;
    if (!gate.mirror || first === "not-served") return report;
    const objects = first.continue
      ? await listAll(async (o) => {
          const page = await cluster.listNodeClaimObjects({ ...selector, ...o });
          return page === "not-served" ? { items: [] } : page;
        })
      : first.items;
    const records = await store.listNodeClaims();
    const applied = await executor.execute(decideNodeClaimMirror({ records, objects, clusterName }));
    report.mirrored = true;
    for (const { action, outcome } of applied) {
      if (outcome.status !== "done" && outcome.status !== "recorded") continue;
      if (action.kind === "create-nodeclaim-object") report.created.push(String(action.object.metadata?.name));
      else if (action.kind === "update-nodeclaim-object") report.updated.push(action.name);
      else if (action.kind === "delete-nodeclaim-object") report.deleted.push(action.name);
    }
  } catch (error) {
    report.why = `mirroring failed: ${(error as Error).message}`;
    ports.log.warn(`could not mirror NodeClaims into the cluster: ${(error as Error).message}`);
  }
  return report;
}
