import { describe, expect, it } from "vitest";
import { formatProblem, InputError } from "../../lib/errors.ts";
import { parseEC2NodeClass, validateEC2NodeClass } from "../../lib/api/ec2nodeclass.ts";
import { ec2NodeClass } from "./samples.ts";
import { cases, P } from "./ec2nodeclass-invalid-cases.ts";

describe("EC2NodeClass validation rejects what Karpenter rejects, with one line per problem", () => {
  it("has a case for at least 45 kinds of mistake", () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
  });

  it.each(cases)("%s", (_name, mutate, expected) => {
    const doc = ec2NodeClass();
    mutate(doc);
    const result = validateEC2NodeClass(doc);
    expect(result.problems.map(formatProblem)).toEqual(expected);
    expect(result.value).toBeUndefined();
    expect(() => parseEC2NodeClass(doc)).toThrow(InputError);
  });

  it("never throws anything but InputError on any shape of input", () => {
    for (const input of [null, "x", [], { spec: { subnetSelectorTerms: "x", amiSelectorTerms: [null], kubelet: [] } }]) {
      expect(validateEC2NodeClass(input).problems.length).toBeGreaterThan(0);
      expect(() => parseEC2NodeClass(input)).toThrow(InputError);
    }
  });
});
