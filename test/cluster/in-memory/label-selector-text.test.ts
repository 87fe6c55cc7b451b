import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatLabelSelector, parseLabelSelector } from "../../../lib/ports/cluster.ts";
import type { LabelSelector } from "../../../lib/api/kubernetes.ts";
import { compileSelector } from "../../../lib/scheduling/label-selector.ts";

const key = fc.constantFrom("app", "tier", "team", "example.com/role");
const value = fc.constantFrom("a", "b", "web", "db-1");
const expression = fc.oneof(
  fc.record({ key, operator: fc.constantFrom("In" as const, "NotIn" as const), values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }) }),
  fc.record({ key, operator: fc.constantFrom("Exists" as const, "DoesNotExist" as const) }),
);
const selector: fc.Arbitrary<LabelSelector> = fc.record({
  matchLabels: fc.dictionary(key, value, { maxKeys: 2 }),
  matchExpressions: fc.array(expression, { maxLength: 3 }),
});
const labels = fc.dictionary(key, value, { maxKeys: 4 });

describe("label selectors in query text", () => {
  it("format as the API expects", () => {
    expect(
      formatLabelSelector({
        matchLabels: { app: "web" },
        matchExpressions: [
          { key: "tier", operator: "NotIn", values: ["a", "b"] },
          { key: "canary", operator: "DoesNotExist" },
          { key: "team", operator: "Exists" },
        ],
      }),
    ).toBe("app=web,tier notin (a,b),!canary,team");
  });

  it("select the same pods after formatting and parsing back", () => {
    fc.assert(
      fc.property(selector, labels, (sel, podLabels) => {
        const roundTripped = parseLabelSelector(formatLabelSelector(sel));
        expect(compileSelector(roundTripped).matches(podLabels)).toBe(compileSelector(sel).matches(podLabels));
      }),
    );
  });
});
