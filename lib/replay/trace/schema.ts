/**
 * The `kind: Trace` document (apiVersion `tenon.sh/v1alpha1`) as a zod schema: what a replay
 * replays, besides the NodePools, EC2NodeClasses and workloads given next to it. The JSON Schema
 * in docs/replay-trace.schema.json is generated from this one (`traceJsonSchema`); a test keeps
 * the two in step. Format checks that JSON Schema can say (patterns, ranges) live here; the ones
 * that need the whole trace (a time within `hours`, points in order, peak ≥ base) are in
 * `checkTrace`.
 */
import { z } from "zod";

export const TRACE_API_VERSION = "tenon.sh/v1alpha1";

const DURATION_PATTERN = "^(0|([0-9]+(\\.[0-9]+)?(h|m|s|ms))+)$";
const TIME_PATTERN = "^([0-9]{1,3}:[0-5][0-9]|0|([0-9]+(\\.[0-9]+)?(h|m|s|ms))+)$";

const duration = z.string().regex(new RegExp(DURATION_PATTERN), { error: "must be a duration with units h, m or s (\"45m\", \"1h30m\")" })
  .describe("A duration: numbers with units h, m, s (\"45m\", \"1h30m\").");
const time = z.string().regex(new RegExp(TIME_PATTERN), { error: "must be a clock time from the start (\"08:00\") or an offset (\"3h\", \"1h30m\")" })
  .describe("A time in the replayed span: a clock time from its start (\"08:00\", \"30:15\" the next day) or an offset (\"3h\", \"1h30m\").");
const count = z.int().min(0);

const workloadRef = z.string().min(1)
  .describe("The workload: its name, or Kind/name, or Kind/namespace/name (\"web\", \"Deployment/shop/web\").");

const point = z.strictObject({
  at: time,
  replicas: count.describe("Replicas from `at` until the next point."),
});

const diurnal = z.strictObject({
  base: count.describe("Replicas at the quietest hour, 12 hours from peakHour."),
  peak: count.describe("Replicas at peakHour."),
  peakHour: z.number().min(0).max(24).describe("Hour of the day (0-24, decimals allowed) of the peak."),
  noise: z.number().min(0).max(1).optional().describe("Seeded relative noise on each step: 0.1 is ±10%. Default 0."),
  every: duration.optional().describe("How often the replica count is recomputed. Default 5m."),
});

const workload = z.strictObject({
  workload: workloadRef,
  points: z.array(point).min(1).optional().describe("Step-wise replica counts; before the first point the workload has 0 replicas."),
  diurnal: diurnal.optional().describe("A smooth daily curve (a cosine) between base and peak, with seeded noise."),
}).describe("A Deployment or StatefulSet's replica count over time (exactly one of points, diurnal). Workloads not listed keep their spec.replicas.");

const job = z.strictObject({
  workload: workloadRef.describe("A Job or CronJob: its name, or Kind/name, or Kind/namespace/name."),
  every: z.string().min(1).optional()
    .describe("Arrivals: an interval (\"1h\": at start, start+1h, ...) or a cron schedule (\"0 2 * * *\"). A CronJob's own schedule when absent."),
  start: time.optional().describe("First arrival of an interval. Default 0."),
  duration: duration.describe("How long each run's pods are wanted, from its arrival."),
  parallelism: z.int().min(1).optional().describe("Pods per run. Default the Job's spec.parallelism, else 1."),
});

const at = time.describe("When it happens.");
const event = z.discriminatedUnion("kind", [
  z.strictObject({ at, kind: z.literal("spot-interruption"), count: z.int().min(1).optional().describe("Spot nodes interrupted (chosen with the seed). Default 1.") }),
  z.strictObject({ at, kind: z.literal("ami-release"), family: z.enum(["al2023", "bottlerocket"]).optional().describe("The image family released. Default al2023.") }),
  z.strictObject({
    at, kind: z.literal("nodepool-change"), nodePool: z.string().min(1),
    patch: z.record(z.string(), z.unknown()).describe("A JSON merge patch applied to the NodePool's spec (its nodes then drift, as a real change makes them)."),
  }),
  z.strictObject({
    at, kind: z.literal("capacity-error"), instanceType: z.string().min(1),
    zone: z.string().min(1).optional(), capacityType: z.enum(["spot", "on-demand"]).optional(),
    for: duration.optional().describe("How long launches of the offering fail. Default: to the end."),
  }),
  z.strictObject({ at, kind: z.literal("zone-outage"), zone: z.string().min(1), for: duration.optional().describe("How long launches in the zone fail. Default: to the end.") }),
], { error: "must be one of spot-interruption, ami-release, nodepool-change, capacity-error, zone-outage" });

const timing = z.strictObject({
  nodeReady: duration.optional().describe("Launch call to a Ready node (boot, join, CNI). Default 60s."),
  podStart: duration.optional().describe("Binding to running (image pull, start). Default 10s."),
  spotNotice: duration.optional().describe("The Spot interruption notice. Default 2m."),
  sampleEvery: duration.optional().describe("How often runs are sampled for the charts. Default 1m."),
});

export const traceSchema = z.strictObject({
  apiVersion: z.literal(TRACE_API_VERSION),
  kind: z.literal("Trace"),
  name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: "must be lowercase letters, digits, '-' and '.'" }).describe("The trace's name, in reports."),
  hours: z.number().gt(0).max(24 * 14).describe("Length of the replayed span, in hours (--hours overrides)."),
  region: z.string().min(1).optional().describe("A bundled catalog region. Default us-east-1."),
  zones: z.array(z.string().min(1)).min(1).optional().describe("Zones the cluster's subnets are in. Default the region's usual zones."),
  timing: timing.optional(),
  workloads: z.array(workload).optional(),
  jobs: z.array(job).optional(),
  events: z.array(event).optional(),
}).describe("What a replay replays: the span, each workload's replicas over time, job arrivals and cloud events.");

export type Trace = z.infer<typeof traceSchema>;
export type TraceWorkload = z.infer<typeof workload>;
export type TraceJob = z.infer<typeof job>;
export type TraceEvent = z.infer<typeof event>;

/** The JSON Schema published as docs/replay-trace.schema.json. */
export function traceJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://tenon.sh/schemas/replay-trace.schema.json",
    title: "Tenon replay Trace",
    ...z.toJSONSchema(traceSchema, { io: "input", target: "draft-2020-12" }),
  };
}
