/** `tenon replay`: exit 2 with the problem lines for a bad trace and bad flags; a good one writes its report and prints the summary. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tenon, workdir } from "../simulate/support.ts";
import { deployment, NODE_CLASS, nodePool, traceDoc } from "./support.ts";

const TRACE = traceDoc("tiny", 1, 'workloads:\n  - { workload: web, points: [{ at: "0h", replicas: 8 }, { at: "20m", replicas: 1 }] }\n');

describe("tenon replay", () => {
  it("refuses a bad trace with exit 2 and one line per problem", async () => {
    const dir = workdir({ "trace.yaml": [NODE_CLASS, nodePool(), deployment("web", 1), TRACE.replace("hours: 1", "hours: -1").replace("replicas: 1", "replicas: many")].join("---\n") });
    const run = await tenon(["replay", "-f", "trace.yaml"], dir);
    expect(run.code).toBe(2);
    expect(run.err).toBe('error: Trace "tiny": hours: must be > 0\nerror: Trace "tiny": workloads[0].points[1].replicas: must be a number\n');
    expect(existsSync(join(dir, "report"))).toBe(false);
  });

  it("refuses bad flags with exit 2", async () => {
    const dir = workdir({ "trace.yaml": [NODE_CLASS, nodePool(), deployment("web", 1), TRACE].join("---\n") });
    expect((await tenon(["replay", "-f", "trace.yaml", "--seed", "x"], dir)).err).toBe('error: --seed: "x" is not a whole number from 0 to 4294967295\n');
    expect((await tenon(["replay", "-f", "trace.yaml", "--hours", "0"], dir)).err).toBe('error: --hours: "0" is not a number of hours above 0 and at most 336\n');
    const bad = await tenon(["replay", "-f", "trace.yaml", "--baseline", "ca,karpenter"], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('error: --baseline: "karpenter" is not one of no-consolidation, ca, static (or none)\n');
  });

  it("replays a trace, writes the report folder and prints the summary and the report's path", async () => {
    const dir = workdir({ "trace.yaml": [NODE_CLASS, nodePool(), deployment("web", 1, "1"), TRACE].join("---\n") });
    const run = await tenon(["replay", "-f", "trace.yaml", "--seed", "3", "--out", "out/report", "--baseline", "no-consolidation"], dir);
    expect(run.err).toBe("");
    expect(run.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, "out", "report", "summary.json"), "utf8"));
    expect(summary).toMatchObject({ trace: "tiny", seed: 3, hours: 1 });
    expect(Object.keys(summary.runs)).toEqual(["tenon", "tenonNoConsolidation"]);
    expect(summary.runs.tenon.nodesLaunched).toBeGreaterThan(0);
    expect(summary.runs.tenon.totalCost).toBeGreaterThan(0);
    expect(summary.runs.tenon.totalCost).toBeLessThan(summary.runs.tenonNoConsolidation.totalCost);
    expect(existsSync(join(dir, "out", "report", "index.html"))).toBe(true);
    expect(run.out).toContain("Replayed tiny: 1 h, seed 3, 8 pod(s) wanted, 0 event(s)");
    expect(run.out).toMatch(/^tenon\s+\d+\.\d\d\s+\d+\s+\d+\s+\d+/m);
    expect(run.out).toMatch(/^tenonNoConsolidation\s+\d+\.\d\d\s+\d+% saved/m);
    expect(run.out.trimEnd().split("\n").at(-1)).toBe(`Report: ${join(dir, "out", "report", "index.html")}`);
  }, 60_000);
});
