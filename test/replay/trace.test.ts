/**
 * The trace format (docs/replay.md): bad traces are refused with one line per problem naming the
 * document, field and reason; a good one expands, for a seed, into the pods its series, job
 * arrivals and CronJob schedules ask for, at the right times, the same way every time.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError, formatProblem } from "../../lib/errors.ts";
import { diurnalValue } from "../../lib/replay/trace/expand.ts";
import { readReplayDocuments } from "../../lib/replay/trace/parse.ts";
import { TRACE_SCHEMA_FILE, traceSchemaText } from "../../scripts/replay-schema.ts";
import { deployment, documents, H, input, NODE_CLASS, nodePool, wantedAt } from "./support.ts";

const BASE = [NODE_CLASS, nodePool(), deployment("web", 3)];

function problems(trace: string, ...extra: string[]): string[] {
  try {
    readReplayDocuments(documents(...BASE, ...extra, trace));
  } catch (error) {
    if (error instanceof InputError) return error.problems.map(formatProblem);
    throw error;
  }
  throw new Error("expected the trace to be refused");
}

const trace = (body: string) => `apiVersion: tenon.sh/v1alpha1\nkind: Trace\nname: nightly\n${body}`;

describe("a bad trace", () => {
  it("is refused naming the document, the field and the reason", () => {
    expect(problems(trace("hours: 24\nworkloads:\n  - { workload: web, diurnal: { base: 10, peak: 5, peakHour: 14 } }\n"))).toEqual([
      'Trace "nightly": workloads[0].diurnal.peak: must be ≥ base',
    ]);
    expect(problems(trace("workloads: []\n"))).toEqual(['Trace "nightly": hours: is required']);
    expect(problems(trace("hours: 24\nextra: 1\n"))).toEqual(['Trace "nightly": extra: is not a known field']);
    expect(problems(trace('hours: 24\nevents:\n  - { at: "1h", kind: meteor }\n'))).toEqual([
      'Trace "nightly": events[0].kind: must be one of spot-interruption, ami-release, nodepool-change, capacity-error, zone-outage',
    ]);
    expect(problems(trace('hours: 24\nevents:\n  - { at: "soon", kind: ami-release }\n'))).toEqual([
      'Trace "nightly": events[0].at: must be a clock time from the start ("08:00") or an offset ("3h", "1h30m")',
    ]);
  });

  it("is refused when its times, workloads and schedules do not fit the rest of the input", () => {
    expect(problems(trace('hours: 24\nevents:\n  - { at: "30:00", kind: ami-release }\n'))).toEqual([
      'Trace "nightly": events[0].at: "30:00" is past the end of the trace (hours: 24)',
    ]);
    expect(problems(trace('hours: 24\nworkloads:\n  - { workload: api, points: [{ at: "0h", replicas: 1 }] }\n'))).toEqual([
      'Trace "nightly": workloads[0].workload: "api" names no Deployment, StatefulSet or ReplicaSet in the input',
    ]);
    expect(problems(trace('hours: 24\nworkloads:\n  - { workload: web, points: [{ at: "2h", replicas: 1 }, { at: "01:00", replicas: 2 }] }\n'))).toEqual([
      'Trace "nightly": workloads[0].points[1].at: must be later than the point before',
    ]);
    expect(problems(trace('hours: 24\nworkloads:\n  - { workload: web }\n'))).toEqual(['Trace "nightly": workloads[0]: must have exactly one of points, diurnal']);
    const job = "apiVersion: batch/v1\nkind: Job\nmetadata: { name: etl }\nspec:\n  template:\n    spec:\n      containers: [{ name: etl, resources: { requests: { cpu: '1' } } }]\n";
    expect(problems(trace("hours: 24\n"), job)).toEqual([
      'Trace "nightly": jobs: Job default/etl has no entry: add {workload: etl, duration: ..., every: ...} to say when its runs arrive and how long they last',
    ]);
    expect(problems(trace('hours: 24\njobs:\n  - { workload: etl, every: "0 25 * * *", duration: 1h }\n'), job)).toEqual([
      'Trace "nightly": jobs[0].every: "0 25 * * *": hour "25" is out of range 0-23',
    ]);
    expect(problems(trace('hours: 24\nevents:\n  - { at: "1h", kind: nodepool-change, nodePool: default, patch: { disruption: { consolidateAfter: soon } } }\n'))[0]).toMatch(
      /^Trace "nightly": events\[0\]\.patch: makes an invalid NodePool: spec\.disruption\.consolidateAfter: /,
    );
  });

  it("is refused when there is no Trace, or no NodePool", () => {
    expect(problems("")).toEqual(["input: has no Trace (a document with apiVersion tenon.sh/v1alpha1 and kind Trace)"]);
    try {
      readReplayDocuments(documents(NODE_CLASS, deployment("web", 1), trace("hours: 1\n")));
      throw new Error("expected a refusal");
    } catch (error) {
      expect((error as InputError).problems.map(formatProblem)).toEqual(["input: has no NodePool (karpenter.sh/v1): a replay needs at least one"]);
    }
  });
});

describe("expanding a trace", () => {
  it("gives a step series' replica counts at the points' times, with pods from the template", () => {
    const { demand } = input(1, ...BASE, trace('hours: 4\nworkloads:\n  - { workload: web, points: [{ at: "30m", replicas: 2 }, { at: "01:00", replicas: 5 }, { at: "2h", replicas: 1 }] }\n'));
    const id = "Deployment/default/web";
    expect([0, 0.5 * H, 0.9 * H, H, 1.5 * H, 2 * H, 3.9 * H].map((t) => wantedAt(demand, id, t))).toEqual([0, 2, 2, 5, 5, 1, 1]);
    const pod = demand[0]!.pod;
    expect(pod.metadata.labels).toEqual({ app: "web" });
    expect(pod.spec.containers[0]!.resources?.requests).toEqual({ cpu: "500m", memory: "512Mi" });
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Deployment", name: "web" });
    // Scaling down removes the newest pods first; every pod name is unique.
    expect(demand.filter((e) => e.kind === "remove").map((e) => e.pod.metadata.name).sort()).toEqual(["web-1", "web-2", "web-3", "web-4"]);
    expect(new Set(demand.filter((e) => e.kind === "add").map((e) => e.pod.metadata.name)).size).toBe(5);
  });

  it("keeps a workload the trace does not list at its spec.replicas", () => {
    const { demand } = input(1, ...BASE, trace("hours: 2\n"));
    expect(wantedAt(demand, "Deployment/default/web", 1.9 * H)).toBe(3);
  });

  it("follows a diurnal curve that peaks at peakHour and is quietest twelve hours away", () => {
    const { demand } = input(1, ...BASE, trace("hours: 24\nworkloads:\n  - { workload: web, diurnal: { base: 0, peak: 1000, peakHour: 15, every: 30m } }\n"));
    const counts = Array.from({ length: 48 }, (_, i) => wantedAt(demand, "Deployment/default/web", i * 0.5 * H));
    expect(counts.indexOf(Math.max(...counts)) / 2).toBe(15);
    expect(Math.max(...counts)).toBe(1000);
    expect(counts.indexOf(Math.min(...counts)) / 2).toBe(3);
    expect(Math.min(...counts)).toBe(0);
    expect(diurnalValue({ base: 10, peak: 100, peakHour: 15 }, 9)).toBeCloseTo(55);
  });

  it("starts CronJob runs on its schedule and interval Jobs every interval, each wanted for its duration", () => {
    const cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata: { name: report }\nspec:\n  schedule: '30 2 * * *'\n  jobTemplate:\n    spec:\n      parallelism: 3\n      template:\n        spec:\n          containers: [{ name: r, resources: { requests: { cpu: '1' } } }]\n";
    const job = "apiVersion: batch/v1\nkind: Job\nmetadata: { name: etl }\nspec:\n  template:\n    spec:\n      containers: [{ name: etl, resources: { requests: { cpu: '1' } } }]\n";
    const { demand } = input(1, ...BASE, cron, job, trace('hours: 48\njobs:\n  - { workload: report, duration: 1h }\n  - { workload: etl, every: 6h, start: "01:00", duration: 90m, parallelism: 2 }\n'));
    const times = (workload: string, kind: string) => [...new Set(demand.filter((e) => e.workload === workload && e.kind === kind).map((e) => e.atMs / H))];
    expect(times("CronJob/default/report", "add")).toEqual([2.5, 26.5]);
    expect(times("CronJob/default/report", "remove")).toEqual([3.5, 27.5]);
    expect(wantedAt(demand, "CronJob/default/report", 3 * H)).toBe(3);
    expect(times("Job/default/etl", "add")).toEqual([1, 7, 13, 19, 25, 31, 37, 43]);
    expect(wantedAt(demand, "Job/default/etl", 8 * H)).toBe(2);
    expect(wantedAt(demand, "Job/default/etl", 9 * H)).toBe(0);
  });

  it("is the same for the same seed, and other noise for another seed", () => {
    const docs = [...BASE, trace("hours: 24\nworkloads:\n  - { workload: web, diurnal: { base: 20, peak: 200, peakHour: 12, noise: 0.2 } }\n")];
    const a = input(7, ...docs);
    expect(input(7, ...docs)).toEqual(a);
    const b = input(8, ...docs);
    expect(b.demand).not.toEqual(a.demand);
    // Noise moves the counts, not the curve: both stay within 20% of it.
    for (const run of [a, b]) {
      const at12 = wantedAt(run.demand, "Deployment/default/web", 12 * H);
      expect(at12).toBeGreaterThanOrEqual(160);
      expect(at12).toBeLessThanOrEqual(240);
    }
  });

  it("turns events into cloud events at their times", () => {
    const { events } = input(1, ...BASE, trace('hours: 24\nevents:\n  - { at: "10:00", kind: spot-interruption, count: 2 }\n  - { at: "2h", kind: zone-outage, zone: us-east-1a, for: 30m }\n'));
    expect(events).toEqual([
      { atMs: 2 * H, kind: "zone-outage", detail: { zone: "us-east-1a", untilMs: 2.5 * H } },
      { atMs: 10 * H, kind: "spot-interruption", detail: { count: 2 } },
    ]);
  });
});

describe("the published JSON Schema", () => {
  it("is the one generated from the zod schema (npx tsx scripts/replay-schema.ts)", () => {
    expect(readFileSync(TRACE_SCHEMA_FILE, "utf8")).toBe(traceSchemaText());
  });
});
