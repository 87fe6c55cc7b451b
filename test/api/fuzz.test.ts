import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { validateNodePool } from "../../lib/api/nodepool.ts";
import { validateEC2NodeClass } from "../../lib/api/ec2nodeclass.ts";
import { validateNodeClaim } from "../../lib/api/nodeclaim.ts";
import { ec2NodeClass, nodeClaim, nodePool } from "./samples.ts";

/** Every path to a value inside a document. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [prefix, ...keys.flatMap((k) => paths((value as any)[k], [...prefix, k]))];
}

function replaceAt(doc: any, path: (string | number)[], replacement: unknown): any {
  if (path.length === 0) return replacement;
  let node = doc;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path.at(-1)!] = replacement;
  return doc;
}

describe("validation never crashes on a damaged object (property)", () => {
  it.each([
    ["NodePool", nodePool, validateNodePool],
    ["EC2NodeClass", ec2NodeClass, validateEC2NodeClass],
    ["NodeClaim", nodeClaim, validateNodeClaim],
  ] as const)("%s: any field replaced by any value gives a value or problems, never an exception", (_kind, sample, validate) => {
    const all = paths(sample());
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.oneof(fc.anything(), fc.constantFrom("toString", "constructor", "__proto__", "@toString")), (path, replacement) => {
        const result = validate(replaceAt(sample(), path, replacement));
        expect(result.value !== undefined || result.problems.length > 0).toBe(true);
        if (result.value) expect(result.problems).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});
