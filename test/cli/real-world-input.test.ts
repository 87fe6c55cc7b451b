/**
 * What a new user feeds in first: `helm template` output with a NodePool and EC2NodeClass
 * (test/fixtures/real-world/). validate, simulate and disrupt all take it as it is: kinds they do not
 * model are skipped with one note, the zones assumed are said, and every pod is accounted for.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tenon } from "../simulate/support.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/real-world");

describe("helm template output as input", () => {
  it("validate checks the Karpenter objects and skips the rest", async () => {
    const run = await tenon(["validate", "-f", "helm-template.yaml", "-o", "json"], FIXTURES);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.out) as { valid: Array<{ kind: string }>; problems: unknown[] };
    expect(out.valid.map((v) => v.kind)).toEqual(["NodePool", "EC2NodeClass"]);
    expect(out.problems).toEqual([]);
  });

  it("simulate places every pod, with one note for the skipped kinds and one for the zones", async () => {
    const run = await tenon(["simulate", "-f", "helm-template.yaml", "-o", "json"], FIXTURES);
    expect(run.code).toBe(0);
    const notes = run.err.split("\n").filter(Boolean);
    for (const line of notes) expect(line).toMatch(/^note: /);
    expect(notes.filter((l) => l.startsWith("note: skipped"))).toEqual([
      "note: skipped 1 ServiceAccount, 1 ConfigMap, 1 Service, 1 HorizontalPodAutoscaler, 1 NodeOverlay: kinds that do not affect scheduling here; NodeOverlay adjustments to price and capacity are not applied",
    ]);
    expect(notes.some((l) => l.startsWith("note: zones: assumed us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f"))).toBe(true);
    const output = JSON.parse(run.out) as { summary: { pods: number; scheduled: number } };
    expect(output.summary).toMatchObject({ pods: 6, scheduled: 6 });
  });

  it("disrupt reads the same input", async () => {
    const run = await tenon(["disrupt", "-f", "helm-template.yaml", "--at", "2026-12-03T10:00:00Z", "-o", "json"], FIXTURES);
    expect(run.code).toBe(0);
    expect(run.err).toContain("note: skipped 1 ServiceAccount");
    expect(() => JSON.parse(run.out)).not.toThrow();
  });
});
