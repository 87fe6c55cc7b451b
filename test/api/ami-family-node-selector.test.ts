import { describe, expect, it } from "vitest";
import { aliasFamily, amiFamilyOf } from "../../lib/api/ami-family.ts";
import { labelSatisfies, labelsSatisfy } from "../../lib/requirements/node-selector.ts";
import type { EC2NodeClass } from "../../lib/api/types.ts";

const nodeClass = (spec: Partial<EC2NodeClass["spec"]>) => ({ metadata: { name: "c" }, spec }) as unknown as EC2NodeClass;

describe("AMI family", () => {
  it("maps alias family names to amiFamily values, and nothing else", () => {
    expect(aliasFamily("al2023")).toBe("AL2023");
    expect(aliasFamily("bottlerocket")).toBe("Bottlerocket");
    expect(aliasFamily("windows2022")).toBe("Windows2022");
    expect(aliasFamily("ubuntu")).toBeUndefined();
    expect(aliasFamily("toString")).toBeUndefined();
  });

  it("of a NodeClass is spec.amiFamily, else its alias's family, else AL2023", () => {
    expect(amiFamilyOf(nodeClass({ amiFamily: "Custom", amiSelectorTerms: [{ alias: "bottlerocket@latest" }] }))).toBe("Custom");
    expect(amiFamilyOf(nodeClass({ amiSelectorTerms: [{ alias: "bottlerocket@v1.26.0" }] }))).toBe("Bottlerocket");
    expect(amiFamilyOf(nodeClass({ amiSelectorTerms: [{ id: "ami-1" }] }))).toBe("AL2023");
    expect(amiFamilyOf(undefined)).toBe("AL2023");
  });
});

describe("a label against a node-selector requirement", () => {
  it("matches In/NotIn by value and Exists/DoesNotExist by presence", () => {
    expect(labelSatisfies("a", { key: "k", operator: "In", values: ["a", "b"] })).toBe(true);
    expect(labelSatisfies(undefined, { key: "k", operator: "In", values: ["a"] })).toBe(false);
    expect(labelSatisfies(undefined, { key: "k", operator: "NotIn", values: ["a"] })).toBe(true);
    expect(labelSatisfies("a", { key: "k", operator: "NotIn", values: ["a"] })).toBe(false);
    expect(labelSatisfies("", { key: "k", operator: "Exists" })).toBe(true);
    expect(labelSatisfies("x", { key: "k", operator: "DoesNotExist" })).toBe(false);
  });

  it("compares Gt/Gte/Lt/Lte as numbers, and a missing or non-numeric label never satisfies them", () => {
    expect(labelSatisfies("10", { key: "k", operator: "Gt", values: ["9"] })).toBe(true);
    expect(labelSatisfies("9", { key: "k", operator: "Gt", values: ["9"] })).toBe(false);
    expect(labelSatisfies("9", { key: "k", operator: "Gte", values: ["9"] })).toBe(true);
    expect(labelSatisfies("8", { key: "k", operator: "Lt", values: ["9"] })).toBe(true);
    expect(labelSatisfies("9", { key: "k", operator: "Lte", values: ["9"] })).toBe(true);
    expect(labelSatisfies("x", { key: "k", operator: "Lt", values: ["9"] })).toBe(false);
    expect(labelSatisfies(undefined, { key: "k", operator: "Lt", values: ["9"] })).toBe(false);
  });

  it("all requirements must hold for a set of labels", () => {
    const reqs = [{ key: "arch", operator: "In" as const, values: ["arm64"] }, { key: "gpu", operator: "DoesNotExist" as const }];
    expect(labelsSatisfy({ arch: "arm64" }, reqs)).toBe(true);
    expect(labelsSatisfy({ arch: "arm64", gpu: "1" }, reqs)).toBe(false);
  });
});
