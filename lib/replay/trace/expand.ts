/**
 * A trace, expanded for a seed into everything a run needs (`ReplayInput`): the pod demand over
 * time as `add`/`remove` events with full Pods built from the workloads' templates, the cloud
 * events, the instance types with their prices, and the timing. Pure and deterministic: the same
 * documents and seed give the same input (the noise comes from seeded streams, one per workload).
 */
import type { Pod, Workload } from "../../api/kubernetes.ts";
import { podFor } from "../../simulate/workloads.ts";
import { loadAwsInstanceTypes, usualZones } from "../../cloud/aws/catalog/index.ts";
import { DEFAULT_TIMING, type CloudEvent, type DemandEvent, type ReplayInput, type ReplayTiming } from "../types.ts";
import { resolveWorkload, workloadId, type ReplayDocuments } from "./parse.ts";
import { seededRandom, streamSeed } from "./random.ts";
import { cronTimes, parseCron, parseDuration, parseTraceTime } from "./time.ts";
import type { TraceWorkload } from "./schema.ts";

/** Where the virtual clock starts every run: cron schedules are read against it (UTC). */
export const REPLAY_START_MS = Date.UTC(2026, 0, 1, 0, 0, 0);
export const DEFAULT_REGION = "us-east-1";
const DEFAULT_DIURNAL_STEP_MS = 5 * 60_000;

export interface ExpandOptions {
  seed: number;
  /** Overrides the trace's `hours`. */
  hours?: number;
}

function ms(text: string): number {
  const value = parseTraceTime(text);
  if (typeof value !== "number") throw new Error(value.error); // checked by readReplayDocuments
  return value;
}

function duration(text: string): number {
  const value = parseDuration(text);
  if (typeof value !== "number") throw new Error(value.error);
  return value;
}

/**
 * The workload as the replay's pods come from it: the template as written, without
 * volumeClaimTemplates (a replay has no volumes: StatefulSet pods are placed as their siblings).
 */
function withoutVolumes(w: Workload): Workload {
  const { volumeClaimTemplates: _dropped, ...spec } = w.spec;
  return { ...w, spec };
}

/** A diurnal curve's value at `hour`: base at the quiet hour, peak at peakHour (a cosine over 24 h). */
export function diurnalValue(d: { base: number; peak: number; peakHour: number }, hour: number): number {
  return d.base + ((d.peak - d.base) * (1 + Math.cos((2 * Math.PI * (hour - d.peakHour)) / 24))) / 2;
}

/** The replica target over time: [atMs, replicas] steps, first at 0. */
export function replicaSteps(series: TraceWorkload, spanMs: number, seed: number, id: string): Array<[number, number]> {
  if (series.points) {
    const steps: Array<[number, number]> = ms(series.points[0]!.at) === 0 ? [] : [[0, 0]];
    for (const p of series.points) steps.push([ms(p.at), p.replicas]);
    return steps;
  }
  const d = series.diurnal!;
  const every = d.every !== undefined ? duration(d.every) : DEFAULT_DIURNAL_STEP_MS;
  const random = seededRandom(streamSeed(seed, id));
  const steps: Array<[number, number]> = [];
  for (let t = 0; t < spanMs; t += every) {
    const noise = d.noise ? 1 + d.noise * (2 * random() - 1) : 1;
    steps.push([t, Math.max(0, Math.round(diurnalValue(d, t / 3_600_000) * noise))]);
  }
  return steps;
}

/** Expands the documents for a seed. */
export function expandTrace(docs: ReplayDocuments, options: ExpandOptions): ReplayInput {
  const { trace } = docs;
  const hours = options.hours ?? trace.hours;
  const span = hours * 3_600_000;
  const demand: DemandEvent[] = [];

  // Replica series: Deployments, StatefulSets and ReplicaSets, listed or constant.
  for (const workload of docs.workloads.filter((w) => w.kind !== "Job")) {
    const id = workloadId(workload);
    const series = (trace.workloads ?? []).find((s) => resolveWorkload(s.workload, [workload]).length === 1);
    const steps: Array<[number, number]> = series ? replicaSteps(series, span, options.seed, id) : [[0, workload.spec.replicas ?? 1]];
    const live: Pod[] = [];
    let created = 0;
    for (const [at, target] of steps) {
      if (at >= span) break;
      while (live.length > target) demand.push({ atMs: at, kind: "remove", pod: live.pop()!, workload: id });
      while (live.length < target) {
        const pod = podFor(withoutVolumes(workload), created++);
        live.push(pod);
        demand.push({ atMs: at, kind: "add", pod, workload: id });
      }
    }
  }

  // Job runs: each arrival wants `parallelism` pods for `duration`.
  for (const entry of trace.jobs ?? []) {
    const job = resolveWorkload(entry.workload, [...docs.workloads.filter((w) => w.kind === "Job"), ...docs.cronJobs])[0]!;
    const id = workloadId(job);
    const template = job.kind === "CronJob" ? job.spec.jobTemplate.spec.template : job.spec.template;
    const parallelism = entry.parallelism ?? (job.kind === "CronJob" ? job.spec.jobTemplate.spec.parallelism : job.spec.parallelism) ?? 1;
    const every = entry.every ?? (job.kind === "CronJob" ? job.spec.schedule : "");
    let arrivals: number[];
    if (/\s|^@/.test(every)) {
      const cron = parseCron(every);
      if ("error" in cron) throw new Error(cron.error);
      arrivals = cronTimes(cron, REPLAY_START_MS, span);
    } else {
      const step = duration(every);
      arrivals = [];
      for (let t = entry.start !== undefined ? ms(entry.start) : 0; t < span; t += step) arrivals.push(t);
    }
    const runFor = duration(entry.duration);
    arrivals.forEach((at, run) => {
      for (let i = 0; i < parallelism; i++) {
        const runJob: Workload = { apiVersion: "batch/v1", kind: "Job", metadata: { name: `${job.metadata.name}-${run}`, ...(job.metadata.namespace ? { namespace: job.metadata.namespace } : {}) }, spec: { template } };
        const pod = podFor(runJob, i);
        demand.push({ atMs: at, kind: "add", pod, workload: id });
        if (at + runFor < span) demand.push({ atMs: at + runFor, kind: "remove", pod, workload: id });
      }
    });
  }

  const order = (e: DemandEvent) => `${e.workload}\u0000${e.pod.metadata.name}`;
  demand.sort((a, b) => a.atMs - b.atMs || (a.kind === b.kind ? 0 : a.kind === "remove" ? -1 : 1) || (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));

  const events: CloudEvent[] = (trace.events ?? []).map((e): CloudEvent => {
    const atMs = ms(e.at);
    switch (e.kind) {
      case "spot-interruption":
        return { atMs, kind: e.kind, detail: { count: e.count ?? 1 } };
      case "ami-release":
        return { atMs, kind: e.kind, detail: { family: e.family ?? "al2023" } };
      case "nodepool-change":
        return { atMs, kind: e.kind, detail: { nodePool: e.nodePool, patch: JSON.stringify(e.patch) } };
      case "capacity-error":
        return {
          atMs, kind: e.kind,
          detail: { instanceType: e.instanceType, ...(e.zone ? { zone: e.zone } : {}), ...(e.capacityType ? { capacityType: e.capacityType } : {}), untilMs: e.for !== undefined ? atMs + duration(e.for) : span },
        };
      case "zone-outage":
        return { atMs, kind: e.kind, detail: { zone: e.zone, untilMs: e.for !== undefined ? atMs + duration(e.for) : span } };
    }
  }).filter((e) => e.atMs < span).sort((a, b) => a.atMs - b.atMs);

  const region = trace.region ?? DEFAULT_REGION;
  const zones = trace.zones ? [...trace.zones].sort() : usualZones(region).zones;
  const timing: ReplayTiming = { ...DEFAULT_TIMING };
  if (trace.timing?.nodeReady) timing.nodeReadyMs = duration(trace.timing.nodeReady);
  if (trace.timing?.podStart) timing.podStartMs = duration(trace.timing.podStart);
  if (trace.timing?.spotNotice) timing.spotNoticeMs = duration(trace.timing.spotNotice);
  if (trace.timing?.sampleEvery) timing.sampleEveryMs = Math.max(1_000, duration(trace.timing.sampleEvery));
  const nodeClass = docs.nodeClasses[0];
  const instanceTypes = loadAwsInstanceTypes({ region, zones, ...(nodeClass ? { nodeClass } : {}) }).instanceTypes;

  return {
    name: trace.name, seed: options.seed, hours, nodePools: docs.nodePools, nodeClasses: docs.nodeClasses,
    demand, events, instanceTypes, region, zones, timing, manifests: docs.manifests,
    ...(docs.daemonSets.length > 0 ? { daemonSets: docs.daemonSets } : {}),
  };
}
