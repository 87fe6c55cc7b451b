/** `tenon disrupt` as a command: the contract's shape, determinism, and bad input exiting 2 with clear lines. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tenon, workdir } from "../simulate/support.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const EXAMPLE = "examples/disruption/scale-down.yaml";

describe("tenon disrupt", () => {
  it("prints one JSON document in the contract's shape, the same bytes every time", async () => {
    const a = await tenon(["disrupt", "-f", EXAMPLE, "--at", "2026-12-03T10:00:00Z", "-o", "json"], ROOT);
    const b = await tenon(["disrupt", "-f", EXAMPLE, "--at", "2026-12-03T10:00:00Z", "-o", "json"], ROOT);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    const doc = JSON.parse(a.out);
    expect(Object.keys(doc)).toEqual(["at", "method", "commands", "expired", "notDisrupted", "summary"]);
    expect(Object.keys(doc.commands[0]).slice(0, 6)).toEqual(["reason", "decision", "candidates", "replacements", "pods", "savingsPerHour"]);
    expect(Object.keys(doc.commands[0].candidates[0])).toEqual(["node", "nodeClaim", "nodePool", "instanceType", "zone", "capacityType", "price"]);
    expect(Object.keys(doc.summary)).toEqual(["nodes", "disrupted", "replacements", "expired", "pricePerHourBefore", "pricePerHourAfter", "savingsPerHour"]);
    expect(doc.at).toBe("2026-12-03T10:00:00Z");
  });

  it("--plan wraps passes and a summary for the whole plan; -o table prints the price", async () => {
    const planRun = await tenon(["disrupt", "-f", EXAMPLE, "--at", "2026-12-03T10:00:00Z", "--plan", "-o", "json"], ROOT);
    const plan = JSON.parse(planRun.out);
    expect((await tenon(["disrupt", "-f", EXAMPLE, "--at", "2026-12-03T10:00:00Z", "--plan", "-o", "json"], ROOT)).out).toBe(planRun.out);
    expect(Object.keys(plan)).toEqual(["at", "passes", "summary"]);
    const table = await tenon(["disrupt", "-f", EXAMPLE, "--at", "2026-12-03T10:00:00Z", "-o", "table"], ROOT);
    expect(table.out).toContain("Price: $1.9332/hour -> $1.5448/hour");
    expect(table.out).toMatch(/Price: [^\n]*\n\$\/HOUR: offline catalog, us-east-1 on-demand list prices, Linux \(Windows plus its licence\); spot priced at on-demand \(no spot prices offline\); EBS volumes counted/);
  });

  it("exits 2 with one clear line per problem for bad input", async () => {
    const dir = workdir({
      "bad.yaml": [
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec: {minAvailable: 1, maxUnavailable: 1}",
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: x}",
        "apiVersion: karpenter.sh/v1beta1\nkind: NodeClaim\nmetadata: {name: old}",
      ].join("\n---\n"),
    });
    const run = await tenon(["disrupt", "-f", "bad.yaml", "--at", "2026-12-03T10:00:00Z"], dir);
    expect(run.code).toBe(2);
    expect(run.err).toContain("PodDisruptionBudget default/web: spec: minAvailable and maxUnavailable cannot both be set");
    expect(run.err).not.toContain("Gadget"); // skipped, not an error
    expect(run.err).toContain("NodeClaim karpenter.sh/v1beta1 is not supported");
    expect(run.err).not.toContain("    at ");
    const at = await tenon(["disrupt", "-f", EXAMPLE, "--at", "yesterday"], ROOT);
    expect(at.code).toBe(2);
    expect(at.err).toBe('error: --at: "yesterday" is not an RFC 3339 time like 2026-12-03T10:00:00Z\n');
    const gate = await tenon(["disrupt", "-f", EXAMPLE, "--feature-gates", "SpotToSpot=true"], ROOT);
    expect(gate.code).toBe(2);
    expect(gate.err).toBe('error: --feature-gates: unknown feature gate "SpotToSpot" (Tenon knows SpotToSpotConsolidation)\n');
    const missing = await tenon(["disrupt", "-f", "nope.yaml"], dir);
    expect(missing.code).toBe(2);
  });
});
