/**
 * Reading a replay's input: the documents `-f` loaded, sorted into the Trace, the NodePools and
 * EC2NodeClasses (parsed and checked by lib/api, as `tenon simulate` does), the workloads
 * (Deployments, StatefulSets, Jobs through lib/simulate's checks; CronJobs here) and the Trace
 * checked against its zod schema and then as a whole. Every problem is collected and thrown as one
 * InputError whose lines name the document, the field and the reason:
 * `Trace "nightly": workloads[2].diurnal.peak: must be ≥ base`.
 */
import type { LoadedDocument } from "../../api/documents.ts";
import type { DaemonSet, PodTemplateSpec, Workload } from "../../api/kubernetes.ts";
import type { EC2NodeClass, NodePool } from "../../api/types.ts";
import { parseNodePool } from "../../api/nodepool.ts";
import { CATALOG_REGIONS, regionZones } from "../../cloud/aws/catalog/index.ts";
import { InputError, type InputProblem } from "../../errors.ts";
import { classifyDocuments } from "../../simulate/objects.ts";
import { checkMetadata, checkTemplate, describeObject } from "../../simulate/validate.ts";
import { TRACE_API_VERSION, traceSchema, type Trace } from "./schema.ts";
import { parseCron, parseDuration, parseTraceTime } from "./time.ts";
import type { z } from "zod";

/** A CronJob as the replay reads it: its schedule and its Job's pod template. */
export interface CronJob {
  kind: "CronJob";
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: { schedule: string; jobTemplate: { spec: { parallelism?: number; template: PodTemplateSpec } } };
}

export interface ReplayDocuments {
  trace: Trace;
  nodePools: NodePool[];
  nodeClasses: EC2NodeClass[];
  /** Deployments, StatefulSets, ReplicaSets and Jobs. */
  workloads: Workload[];
  cronJobs: CronJob[];
  /** DaemonSets: a pod on every node they tolerate, from the start (their requests come off each node's room). */
  daemonSets: DaemonSet[];
  /** Kinds given but not replayed (Pods, Nodes, ...), for a note. */
  ignored: string[];
  /** The NodePools and EC2NodeClasses as written, by name: what the Tenon runs put in the cluster. */
  manifests: { nodePools: Record<string, unknown>[]; nodeClasses: Record<string, unknown>[] };
}

/** `Kind/namespace/name`, how demand events name their workload. */
export function workloadId(w: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${w.kind}/${w.metadata.namespace || "default"}/${w.metadata.name}`;
}

/** zod's issue as one of our problem lines: `workloads[2].diurnal.peak` and a plain reason. */
export function issueProblem(object: string, issue: z.core.$ZodIssue, doc?: unknown): InputProblem {
  let path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
  let reason = issue.message;
  switch (issue.code) {
    case "invalid_type":
      reason = valueAt(doc, issue.path) === undefined ? "is required" : `must be ${issue.expected === "int" ? "a whole number" : `a ${issue.expected}`}`;
      break;
    case "too_small":
      reason = issue.origin === "array" ? `must have at least ${String(issue.minimum)} item(s)` : issue.origin === "string" ? "must not be empty" : `must be ${issue.inclusive === false ? ">" : "≥"} ${String(issue.minimum)}`;
      break;
    case "too_big":
      reason = `must be ${issue.inclusive === false ? "<" : "≤"} ${String(issue.maximum)}`;
      break;
    case "unrecognized_keys":
      path = [path, issue.keys[0]].filter(Boolean).join(".");
      reason = `is not a known field${issue.keys.length > 1 ? ` (nor ${issue.keys.slice(1).join(", ")})` : ""}`;
      break;
    case "invalid_value":
      reason = `must be ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
      break;
    default:
      break;
  }
  return { object, path, reason };
}

function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let value = doc;
  for (const p of path) value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[p] : undefined;
  return value;
}

function traceObject(doc: Record<string, unknown>, source: string): string {
  return typeof doc.name === "string" && doc.name !== "" ? `Trace "${doc.name}"` : `Trace in ${source}`;
}

function checkCronJob(doc: Record<string, unknown>, source: string, problems: InputProblem[]): CronJob | undefined {
  const object = describeObject("CronJob", doc, source);
  const before = problems.length;
  checkMetadata(doc, object, problems);
  const spec = doc.spec as Record<string, unknown> | undefined;
  const schedule = spec?.schedule;
  if (typeof schedule !== "string") problems.push({ object, path: "spec.schedule", reason: "is required" });
  else {
    const cron = parseCron(schedule);
    if ("error" in cron) problems.push({ object, path: "spec.schedule", reason: cron.error });
  }
  const jobSpec = (spec?.jobTemplate as Record<string, unknown> | undefined)?.spec;
  if (typeof jobSpec !== "object" || jobSpec === null) problems.push({ object, path: "spec.jobTemplate.spec", reason: "is required" });
  else checkTemplate(jobSpec, object, problems);
  return problems.length === before ? (doc as unknown as CronJob) : undefined;
}

/** Sorts and checks the documents; throws one InputError listing every problem. */
export function readReplayDocuments(documents: readonly LoadedDocument[], note: (message: string) => void = () => {}): ReplayDocuments {
  const problems: InputProblem[] = [];
  const traces: Array<{ source: string; doc: Record<string, unknown> }> = [];
  const cronJobs: CronJob[] = [];
  const rest: LoadedDocument[] = [];
  for (const d of documents) {
    const doc = d.doc as Record<string, unknown> | null;
    if (doc && typeof doc === "object" && !Array.isArray(doc) && doc.kind === "Trace") {
      if (doc.apiVersion !== TRACE_API_VERSION) problems.push({ object: traceObject(doc, d.source), path: "apiVersion", reason: `must be ${TRACE_API_VERSION}` });
      else traces.push({ source: d.source, doc });
    } else if (doc && typeof doc === "object" && doc.apiVersion === "batch/v1" && doc.kind === "CronJob") {
      const cron = checkCronJob(doc, d.source, problems);
      if (cron) cronJobs.push(cron);
    } else rest.push(d);
  }
  let objects: ReturnType<typeof classifyDocuments> | undefined;
  try {
    objects = classifyDocuments(rest, note);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(...error.problems);
  }
  if (traces.length !== 1) {
    problems.push({ object: "input", path: "", reason: traces.length === 0 ? `has no Trace (a document with apiVersion ${TRACE_API_VERSION} and kind Trace)` : `has ${traces.length} Traces (${traces.map((t) => t.source).join(", ")}); a replay replays one` });
  }
  let trace: Trace | undefined;
  if (traces.length === 1) {
    const { doc, source } = traces[0]!;
    const parsed = traceSchema.safeParse(doc);
    if (!parsed.success) problems.push(...parsed.error.issues.map((i) => issueProblem(traceObject(doc, source), i, doc)));
    else trace = parsed.data;
  }
  if (objects && objects.nodePools.length === 0) problems.push({ object: "input", path: "", reason: "has no NodePool (karpenter.sh/v1): a replay needs at least one" });
  if (problems.length > 0 || !trace || !objects) throw new InputError(problems);
  const ignored = [
    ...objects.pods.map(() => "Pod"), ...objects.nodes.map(() => "Node"), ...objects.nodeClaims.map(() => "NodeClaim"),
    ...objects.podDisruptionBudgets.map(() => "PodDisruptionBudget"), ...objects.persistentVolumeClaims.map(() => "PersistentVolumeClaim"),
  ];
  const raw = (kind: string, names: readonly string[]) => names.map((name) => rest.find((d) => {
    const doc = d.doc as { kind?: unknown; metadata?: { name?: unknown } };
    return doc.kind === kind && doc.metadata?.name === name;
  })!.doc as Record<string, unknown>);
  const manifests = { nodePools: raw("NodePool", objects.nodePools.map((p) => p.metadata.name)), nodeClasses: raw("EC2NodeClass", objects.nodeClasses.map((c) => c.metadata.name)) };
  const out: ReplayDocuments = { trace, nodePools: objects.nodePools, nodeClasses: objects.nodeClasses, workloads: objects.workloads, cronJobs, daemonSets: objects.daemonSets, ignored, manifests };
  checkTrace(out, problems);
  if (problems.length > 0) throw new InputError(problems);
  return out;
}

/** The workload a reference names, among `candidates` (by name, Kind/name or Kind/namespace/name). */
export function resolveWorkload<T extends { kind: string; metadata: { name: string; namespace?: string } }>(ref: string, candidates: readonly T[]): T[] {
  const parts = ref.split("/");
  return candidates.filter((w) => {
    const ns = w.metadata.namespace || "default";
    if (parts.length === 1) return w.metadata.name === parts[0];
    if (parts.length === 2) return w.kind === parts[0] && w.metadata.name === parts[1];
    return w.kind === parts[0] && ns === parts[1] && w.metadata.name === parts[2];
  });
}

/** The checks that need the whole trace and the other documents. */
function checkTrace(docs: ReplayDocuments, problems: InputProblem[]): void {
  const { trace } = docs;
  const object = `Trace "${trace.name}"`;
  const span = trace.hours * 3_600_000;
  const add = (path: string, reason: string) => problems.push({ object, path, reason });
  const checkTime = (path: string, text: string): number | undefined => {
    const ms = parseTraceTime(text);
    if (typeof ms !== "number") return void add(path, ms.error);
    if (ms >= span) return void add(path, `"${text}" is past the end of the trace (hours: ${trace.hours})`);
    return ms;
  };
  const region = trace.region ?? "us-east-1";
  const known = regionZones(region);
  if (!known) add("region", `"${region}" is not a bundled region (${CATALOG_REGIONS.join(", ")})`);
  trace.zones?.forEach((z, i) => {
    if (known && !known.includes(z)) add(`zones[${i}]`, `"${z}" is not a zone of ${region} (${known.join(", ")})`);
  });
  for (const [key, text] of Object.entries(trace.timing ?? {})) {
    const ms = parseDuration(text);
    if (typeof ms !== "number") add(`timing.${key}`, ms.error);
  }
  const scalable = docs.workloads.filter((w) => w.kind !== "Job");
  const runnable = [...docs.workloads.filter((w) => w.kind === "Job"), ...docs.cronJobs];
  const seen = new Set<string>();
  (trace.workloads ?? []).forEach((w, i) => {
    const path = `workloads[${i}]`;
    const found = resolveWorkload(w.workload, scalable);
    if (found.length !== 1) add(`${path}.workload`, found.length === 0 ? `"${w.workload}" names no Deployment, StatefulSet or ReplicaSet in the input` : `"${w.workload}" names ${found.length} workloads; write Kind/namespace/name`);
    else if (seen.has(workloadId(found[0]!))) add(`${path}.workload`, `"${w.workload}" already has a series in this trace`);
    else seen.add(workloadId(found[0]!));
    if ((w.points === undefined) === (w.diurnal === undefined)) add(path, "must have exactly one of points, diurnal");
    let last = -1;
    w.points?.forEach((p, j) => {
      const ms = checkTime(`${path}.points[${j}].at`, p.at);
      if (ms === undefined) return;
      if (ms <= last) add(`${path}.points[${j}].at`, "must be later than the point before");
      last = ms;
    });
    if (w.diurnal) {
      if (w.diurnal.peak < w.diurnal.base) add(`${path}.diurnal.peak`, "must be ≥ base");
      if (w.diurnal.every !== undefined) {
        const ms = parseDuration(w.diurnal.every);
        if (typeof ms === "number" && ms < 60_000) add(`${path}.diurnal.every`, "must be at least 1m");
      }
    }
  });
  const scheduled = new Set<string>();
  (trace.jobs ?? []).forEach((j, i) => {
    const path = `jobs[${i}]`;
    const found = resolveWorkload(j.workload, runnable);
    if (found.length !== 1) {
      add(`${path}.workload`, found.length === 0 ? `"${j.workload}" names no Job or CronJob in the input` : `"${j.workload}" names ${found.length} workloads; write Kind/namespace/name`);
      return;
    }
    scheduled.add(workloadId(found[0]!));
    if (j.every === undefined && found[0]!.kind !== "CronJob") add(`${path}.every`, "is required for a Job (an interval such as \"1h\" or a cron schedule)");
    if (j.every !== undefined) {
      if (/\s|^@/.test(j.every)) {
        const cron = parseCron(j.every);
        if ("error" in cron) add(`${path}.every`, cron.error);
        if (j.start !== undefined) add(`${path}.start`, "applies to an interval, not to a cron schedule");
      } else {
        const ms = parseDuration(j.every);
        if (typeof ms !== "number") add(`${path}.every`, `${ms.error}, or a cron schedule ("0 2 * * *")`);
        else if (ms < 60_000) add(`${path}.every`, "must be at least 1m");
      }
    }
    if (j.start !== undefined) checkTime(`${path}.start`, j.start);
    const d = parseDuration(j.duration);
    if (typeof d === "number" && d <= 0) add(`${path}.duration`, "must be more than 0");
  });
  for (const w of runnable) {
    if (!scheduled.has(workloadId(w))) add("jobs", `${w.kind} ${w.metadata.namespace || "default"}/${w.metadata.name} has no entry: add {workload: ${w.metadata.name}, duration: ...${w.kind === "Job" ? ", every: ..." : ""}} to say when its runs arrive and how long they last`);
  }
  (trace.events ?? []).forEach((e, i) => {
    const path = `events[${i}]`;
    checkTime(`${path}.at`, e.at);
    if (e.kind === "nodepool-change") {
      const pool = docs.manifests.nodePools.find((p) => (p.metadata as { name?: string }).name === e.nodePool);
      if (!pool) add(`${path}.nodePool`, `"${e.nodePool}" names no NodePool in the input`);
      else {
        try {
          parseNodePool(patchedNodePool(pool, e.patch));
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          for (const p of error.problems) add(`${path}.patch`, `makes an invalid NodePool: ${p.path ? `${p.path}: ` : ""}${p.reason}`);
        }
      }
    }
    if ((e.kind === "capacity-error" || e.kind === "zone-outage") && e.zone !== undefined && known && !known.includes(e.zone)) add(`${path}.zone`, `"${e.zone}" is not a zone of ${region}`);
    if ((e.kind === "capacity-error" || e.kind === "zone-outage") && e.for !== undefined) {
      const ms = parseDuration(e.for);
      if (typeof ms === "number" && ms <= 0) add(`${path}.for`, "must be more than 0");
    }
  });
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** The NodePool manifest with `patch` merged into its spec. */
export function patchedNodePool(pool: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  return { ...structuredClone(pool), spec: mergePatch(pool.spec, patch) };
}
