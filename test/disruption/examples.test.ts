/**
 * The disruption examples show what examples/README.md says they show, through the CLI.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tenon } from "../simulate/support.ts";

const ROOT = join(import.meta.dirname, "..", "..");

async function disrupt(file: string, at: string, ...extra: string[]) {
  const run = await tenon(["disrupt", "-f", `examples/disruption/${file}`, "--at", at, "-o", "json", ...extra], ROOT);
  expect(run.code).toBe(0);
  return JSON.parse(run.out);
}

const nodesOf = (pass: { commands: Array<{ candidates: Array<{ node: string }> }> }) => pass.commands.flatMap((c) => c.candidates.map((x) => x.node)).sort();
const why = (pass: { notDisrupted: Array<{ node: string; reason: string }> }, node: string) => pass.notDisrupted.find((n) => n.node === node)?.reason;

describe("examples/disruption", () => {
  it("scale-down.yaml: the empty nodes go first, and the plan saves most of the bill", async () => {
    const pass = await disrupt("scale-down.yaml", "2026-12-03T10:00:00Z");
    expect(pass.method).toBe("emptiness");
    expect(nodesOf(pass)).toEqual(["ip-10-0-2-22.ec2.internal", "ip-10-0-3-32.ec2.internal"]);
    const plan = await disrupt("scale-down.yaml", "2026-12-03T10:00:00Z", "--plan");
    expect(plan.passes.map((p: { method: string }) => p.method)).toEqual([
      "emptiness",
      "single-node-consolidation",
      "single-node-consolidation",
      "single-node-consolidation",
      "single-node-consolidation",
      null,
    ]);
    // Six nodes at $0.32/h, each with its 20 GiB gp3 root volume ($0.002192/h); one small node left.
    expect(plan.summary.pricePerHourBefore).toBe(1.933152);
    expect(plan.summary.pricePerHourAfter).toBe(0.308192);
    expect(plan.summary.disrupted).toBe(6);
  });

  it("drifted-ami.yaml: the oldest drifted node rolls, the others wait their turn", async () => {
    const pass = await disrupt("drifted-ami.yaml", "2026-12-03T10:00:00Z");
    expect(pass.method).toBe("drift");
    expect(nodesOf(pass)).toEqual(["ip-10-0-1-41.ec2.internal"]);
    expect(pass.commands[0].decision).toBe("replace");
    expect(why(pass, "ip-10-0-2-42.ec2.internal")).toContain("drift replaces one node per pass");
    expect(why(pass, "ip-10-0-2-44.ec2.internal")).toContain("WhenEmpty");
    const plan = await disrupt("drifted-ami.yaml", "2026-12-03T10:00:00Z", "--plan");
    expect(plan.passes.filter((p: { method: string }) => p.method === "drift")).toHaveLength(3);
  });

  it("business-hours-budget.yaml: nothing during the window, one node after it", async () => {
    const morning = await disrupt("business-hours-budget.yaml", "2026-12-03T10:00:00Z");
    expect(morning.method).toBeNull();
    expect(why(morning, "ip-10-0-2-52.ec2.internal")).toContain("until 2026-12-03T17:00:00Z");
    const evening = await disrupt("business-hours-budget.yaml", "2026-12-03T18:00:00Z");
    expect(evening.method).toBe("single-node-consolidation");
    expect(nodesOf(evening)).toEqual(["ip-10-0-2-52.ec2.internal"]);
  });

  it("do-not-disrupt-batch.yaml: the ETL node stays, the report node goes", async () => {
    const pass = await disrupt("do-not-disrupt-batch.yaml", "2026-12-03T10:00:00Z");
    expect(nodesOf(pass)).toEqual(["ip-10-0-1-62.ec2.internal"]);
    expect(pass.commands[0].existingNodes).toEqual([{ name: "ip-10-0-1-61.ec2.internal", pods: ["batch/report-0", "batch/report-1"] }]);
    expect(why(pass, "ip-10-0-1-61.ec2.internal")).toBe('pod batch/etl-nightly-7 has karpenter.sh/do-not-disrupt: "true"');
  });
});
