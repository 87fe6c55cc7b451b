/**
 * The statuses Karpenter's controllers keep on NodePools and EC2NodeClasses, decided from what the
 * consolidator's tick observed, as `write-status` actions: a NodePool's `resources` (the capacity of
 * its nodes), `nodes` and conditions `ValidationSucceeded`, `NodeClassReady` and `Ready`; an
 * EC2NodeClass's resolved subnets, security groups, AMIs, instance profile and conditions. An
 * object from the cluster gets them on its status subresource, one from the table in a STATUS item
 * beside it (`tenon nodepool list` shows them). Only what changed is written: the desired fields are
 * compared with the object's current ones, and a condition keeps its transition time while its
 * status stays (so an unchanged cluster costs no write). Pure.
 */
import type { Action } from "../actions/actions.ts";
import type { Condition, EC2NodeClass, NodePool } from "../api/types.ts";
import { upsertCondition, type CustomObjectKind } from "../ports/cluster.ts";
import type { ObjectStatusRecord } from "../ports/store.ts";
import { addResources, formatResources } from "../quantity/resources.ts";
import type { NodePoolOption } from "../scheduling/types.ts";
import type { NodeView } from "./cluster.ts";

export type ConfigurationSource = "cluster" | "table";

export interface StatusInput {
  nodePools: readonly NodePoolOption[];
  /** EC2NodeClasses with their status as the cloud resolves them now (controller.ts, withResolvedStatus). */
  nodeClasses: readonly EC2NodeClass[];
  /** The same EC2NodeClasses as observed, with the status they carry now. */
  observedNodeClasses: readonly EC2NodeClass[];
  /** Where each object came from, by `Kind/name`; an object with no source is not written. */
  sources: ReadonlyMap<string, ConfigurationSource>;
  views: readonly NodeView[];
  /** What the table's objects' STATUS items hold now. */
  tableStatuses: readonly ObjectStatusRecord[];
  nowMs: number;
}

/** The resources `status.resources` reports (Karpenter's: the capacity of the NodePool's nodes). */
const STATUS_RESOURCES = ["cpu", "memory", "pods", "ephemeral-storage", "nvidia.com/gpu"];

export function sourceKey(kind: CustomObjectKind, name: string): string {
  return `${kind}/${name}`;
}

function isCondition(value: unknown): value is Condition {
  return typeof value === "object" && value !== null && typeof (value as Condition).type === "string" && typeof (value as Condition).status === "string";
}

function conditionsOf(status: Record<string, unknown> | undefined): Condition[] {
  const list = status?.["conditions"];
  return Array.isArray(list) ? list.filter(isCondition) : [];
}

function merged(current: Record<string, unknown> | undefined, wanted: ReadonlyArray<Omit<Condition, "lastTransitionTime">>, nowIso: string): Condition[] {
  let conditions = conditionsOf(current);
  for (const c of wanted) conditions = upsertCondition(conditions, c, nowIso);
  return conditions;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The fields of `wanted` that differ from `current` (undefined when none does). */
function changes(current: Record<string, unknown> | undefined, wanted: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(wanted)) if (canonical(current?.[k]) !== canonical(v)) out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

function ready(status: "True" | "False", reason: string, message = ""): Omit<Condition, "lastTransitionTime"> & { type: "Ready" } {
  return { type: "Ready", status, reason, message };
}

function nodePoolStatus(option: NodePoolOption, views: readonly NodeView[], nodeClasses: ReadonlyMap<string, EC2NodeClass>, current: Record<string, unknown> | undefined, nowIso: string): Record<string, unknown> {
  const pool: NodePool = option.nodePool;
  const mine = views.filter((v) => v.poolName === pool.metadata.name && !v.instanceTerminating);
  const capacity = addResources(...mine.map((v) => v.existing.capacity ?? v.existing.allocatable));
  const reported: Record<string, number> = {};
  for (const name of STATUS_RESOURCES) if (capacity[name] !== undefined) reported[name] = capacity[name]!;
  const className = pool.spec.template.spec.nodeClassRef.name;
  const nodeClass = nodeClasses.get(className);
  const classReady = conditionsOf(nodeClass?.status as Record<string, unknown> | undefined).find((c) => c.type === "Ready");
  const nodeClassReady: Omit<Condition, "lastTransitionTime"> = !nodeClass
    ? { type: "NodeClassReady", status: "False", reason: "NodeClassNotFound", message: `EC2NodeClass ${className} not found` }
    : classReady && classReady.status !== "True"
      ? { type: "NodeClassReady", status: "False", reason: "NodeClassNotReady", message: `EC2NodeClass ${className} is not ready: ${classReady.message || classReady.reason}` }
      : { type: "NodeClassReady", status: "True", reason: "NodeClassReady", message: "" };
  const validation: Omit<Condition, "lastTransitionTime"> = { type: "ValidationSucceeded", status: "True", reason: "ValidationSucceeded", message: "" };
  const overall = nodeClassReady.status === "True" ? ready("True", "Ready") : ready("False", "NodeClassReadyNotTrue", nodeClassReady.message);
  return { resources: { ...formatResources(reported), nodes: String(mine.length) }, nodes: mine.length, conditions: merged(current, [validation, nodeClassReady, overall], nowIso) };
}

function nodeClassStatus(nodeClass: EC2NodeClass, current: Record<string, unknown> | undefined, nowIso: string): Record<string, unknown> {
  const status = nodeClass.status ?? {};
  const resolved = conditionsOf(status as Record<string, unknown>).map(({ type, status: s, reason, message }) => ({ type, status: s, reason, message: message ?? "" }));
  const validation = { type: "ValidationSucceeded", status: "True" as const, reason: "ValidationSucceeded", message: "" };
  return {
    ...(status.subnets ? { subnets: status.subnets } : {}),
    ...(status.securityGroups ? { securityGroups: status.securityGroups } : {}),
    ...(status.amis ? { amis: status.amis } : {}),
    ...(status.instanceProfile ? { instanceProfile: status.instanceProfile } : {}),
    conditions: merged(current, [validation, ...resolved], nowIso),
  };
}

export function decideStatuses(input: StatusInput): Action[] {
  const nowIso = new Date(input.nowMs).toISOString();
  const table = new Map(input.tableStatuses.map((s) => [sourceKey(s.kind, s.name), s.status]));
  const classes = new Map(input.nodeClasses.map((c) => [c.metadata.name, c]));
  const actions: Action[] = [];
  const consider = (kind: CustomObjectKind, name: string, objectStatus: unknown, wanted: (current: Record<string, unknown> | undefined) => Record<string, unknown>) => {
    const source = input.sources.get(sourceKey(kind, name));
    if (!source) return;
    const current = source === "cluster" ? (objectStatus as Record<string, unknown> | undefined) : table.get(sourceKey(kind, name));
    const desired = wanted(current);
    const changed = changes(current, desired);
    if (!changed) return;
    // The table keeps the whole status in one item; the cluster takes a merge patch of what changed.
    const status = source === "table" ? { ...(current ?? {}), ...desired } : changed;
    actions.push({ kind: "write-status", object: { kind, name, source }, status, reason: `${kind} ${name}'s status changed: ${Object.keys(changed).join(", ")}` });
  };
  for (const option of input.nodePools) {
    const name = option.nodePool.metadata.name;
    consider("NodePool", name, option.nodePool.status, (current) => nodePoolStatus(option, input.views, classes, current, nowIso));
  }
  const observed = new Map(input.observedNodeClasses.map((c) => [c.metadata.name, c.status]));
  for (const nodeClass of input.nodeClasses) {
    consider("EC2NodeClass", nodeClass.metadata.name, observed.get(nodeClass.metadata.name), (current) => nodeClassStatus(nodeClass, current, nowIso));
  }
  return actions;
}
