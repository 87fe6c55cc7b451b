import { describe, expect, it } from "vitest";
import { formatProblem, InputError } from "../../lib/errors.ts";
import { parseNodePool, validateNodePool } from "../../lib/api/nodepool.ts";
import { nodePool } from "./samples.ts";
import { cases, P, REQ } from "./nodepool-invalid-cases.ts";

describe("NodePool validation rejects what Karpenter rejects, with one line per problem", () => {
  it("has a case for at least 45 kinds of mistake", () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
  });

  it.each(cases)("%s", (_name, mutate, expected) => {
    const doc = nodePool();
    mutate(doc);
    const result = validateNodePool(doc);
    expect(result.problems.map(formatProblem)).toEqual(expected);
    expect(result.value).toBeUndefined();
  });

  it("reports every problem of an object at once, and parseNodePool throws them together", () => {
    const doc = nodePool();
    doc.spec.weight = 0;
    doc.spec.template.spec.requirements[0].operator = "Equals";
    doc.spec.disruption = { consolidateAfter: "0s", budgets: [{ nodes: "200%" }] };
    const { problems } = validateNodePool(doc);
    expect(problems.map((p) => p.path)).toEqual([`${REQ}[0].operator`, "spec.disruption.budgets[0].nodes", "spec.weight"]);
    let thrown: unknown;
    try {
      parseNodePool(doc);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).problems).toHaveLength(3);
  });

  it("never throws anything but InputError on any shape of input", () => {
    for (const input of [null, 3, "NodePool", [], { spec: [] }, { metadata: "x", spec: { template: 5 } }, { spec: { template: { spec: { requirements: [null] } } } }]) {
      expect(validateNodePool(input).problems.length).toBeGreaterThan(0);
      expect(() => parseNodePool(input)).toThrow(InputError);
    }
  });
});
