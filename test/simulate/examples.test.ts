/**
 * The shipped examples stay valid, together and alone, and show what examples/README.md says
 * they show. The scheduler's answer for them also passes the independent placement checker.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDocuments } from "../../lib/api/documents.ts";
import { runSimulation } from "../../lib/simulate/run.ts";
import { checkSchedule } from "../support/scheduling-properties/checker.ts";
import { tenon } from "./support.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const EXAMPLES = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".yaml")).sort();

async function simulateExamples(paths: string[]) {
  const documents = await loadDocuments(paths, { cwd: ROOT, readStdin: async () => "" });
  return runSimulation(documents, { kind: "aws", region: "us-east-1" });
}

describe("examples/", () => {
  it("are one valid input together, and every pending pod appears exactly once", async () => {
    const run = await tenon(["simulate", "-f", "examples/", "-o", "json"], ROOT);
    expect(run.code).toBe(0);
    const output = JSON.parse(run.out);
    const placed = [
      ...output.nodeClaims.flatMap((c: { pods: string[] }) => c.pods),
      ...output.existingNodes.flatMap((n: { pods: string[] }) => n.pods),
      ...output.unschedulable.map((u: { pod: string }) => u.pod),
    ];
    expect(new Set(placed).size).toBe(placed.length);
    expect(placed.length).toBe(output.summary.pods);
    expect(placed).not.toContain("shop/cart-old");
    const together = await simulateExamples(["examples/"]);
    expect(checkSchedule(together.input, together.result)).toEqual([]);
  });

  it.each(EXAMPLES)("%s simulates cleanly and passes the placement checker", async (file) => {
    const run = await simulateExamples([`examples/${file}`]);
    expect(checkSchedule(run.input, run.result)).toEqual([]);
    expect(run.output.summary.pods).toBeGreaterThan(0);
  });

  it("include a custom catalog that --instance-types accepts", async () => {
    const run = await tenon(["simulate", "-f", "examples/web-zonal-spread.yaml", "--instance-types", "examples/catalogs/demo.json", "-o", "json"], ROOT);
    expect(run.code).toBe(0);
    const output = JSON.parse(run.out);
    expect(output.nodeClaims.map((c: { launch: { instanceType: string } }) => c.launch.instanceType)).toEqual(["demo-c.large", "demo-c.large", "demo-c.large"]);
    expect(output.summary.pricePerHour).toBe(0.255);
  });

  it("show what the README promises", async () => {
    const web = (await simulateExamples(["examples/web-zonal-spread.yaml"])).output;
    expect(web.nodeClaims.map((c) => c.launch?.zone).sort()).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    expect(web.nodeClaims.every((c) => c.pods.length === 2)).toBe(true);

    const gpu = (await simulateExamples(["examples/gpu-inference.yaml"])).output;
    expect(gpu.unschedulable.map((u) => u.pod)).toEqual(["ml/cpu-only"]);
    expect(gpu.unschedulable[0]!.reason).toContain("nvidia.com/gpu");

    const arm = (await simulateExamples(["examples/arm64-preference.yaml"])).output;
    const archOf = (pod: string) => arm.nodeClaims.find((c) => c.pods.includes(pod))!.labels["kubernetes.io/arch"];
    expect(["platform/api-0", "platform/api-1", "platform/api-2", "platform/api-3"].map(archOf)).toEqual(["arm64", "arm64", "arm64", "arm64"]);
    expect(archOf("platform/legacy-x86")).toBe("amd64");

    const existing = (await simulateExamples(["examples/existing-cluster.yaml"])).output;
    expect(existing.nodeClaims).toEqual([]);
    expect(existing.existingNodes.map((n) => n.name).sort()).toEqual(["core-ghi56", "ip-10-0-1-10.ec2.internal", "ip-10-0-2-20.ec2.internal"]);

    const batch = (await simulateExamples(["examples/batch-jobs.yaml"])).output;
    expect(batch.unschedulable).toEqual([]);
    expect(batch.nodeClaims.every((c) => c.launch?.capacityType === "spot" && c.nodePool === "batch")).toBe(true);
  });
});
