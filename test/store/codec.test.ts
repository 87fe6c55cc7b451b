import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { InputError } from "../../lib/errors.ts";
import { MAX_BODY_BYTES, STATE_PAGE_BYTES, canonicalJson, itemSizeBytes, joinPages, paginateEntries, utf8Bytes } from "../../lib/store/codec.ts";

const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

describe("canonicalJson", () => {
  it("encodes equal values to equal text whatever the key order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), jsonValue), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed, "x")).toBe(canonicalJson(record, "x"));
        expect(JSON.parse(canonicalJson(record, "x"))).toEqual(record);
      }),
    );
  });

  it("drops undefined members and names the path of values JSON cannot hold", () => {
    expect(canonicalJson({ b: 1, a: undefined, c: [undefined] }, "x")).toBe('{"b":1,"c":[null]}');
    expect(() => canonicalJson({ spec: { n: Infinity } }, "NodePool p")).toThrow(new InputError({ object: "NodePool p", path: "spec.n", reason: "Infinity is not a finite number" }));
    expect(() => canonicalJson({ a: 1n }, "o")).toThrow(/o: a: a bigint cannot be stored as JSON/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic, "o")).toThrow(/o: self: refers to itself/);
  });
});

describe("paginateEntries", () => {
  it("splits into pages within the page budget that join back to the same entries", () => {
    const entry = fc.record({ name: fc.string({ maxLength: 40 }), blob: fc.nat(30_000).map((n) => "é".repeat(n)), n: fc.integer() });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), (entries) => {
        const pages = paginateEntries(entries);
        for (const page of pages) {
          const inPage = (JSON.parse(page) as unknown[]).length;
          expect(inPage).toBeGreaterThan(0);
          if (inPage > 1) expect(utf8Bytes(page)).toBeLessThanOrEqual(STATE_PAGE_BYTES);
        }
        expect(joinPages(pages)).toEqual(entries);
      }),
      { numRuns: 40 },
    );
  });

  it("gives an entry larger than a page a page of its own, and refuses one larger than an item may hold", () => {
    const big = { blob: "x".repeat(STATE_PAGE_BYTES) };
    expect(paginateEntries([{ a: 1 }, big, { b: 2 }]).map((p) => (JSON.parse(p) as unknown[]).length)).toEqual([1, 1, 1]);
    expect(() => paginateEntries([{ blob: "x".repeat(MAX_BODY_BYTES) }])).toThrow(/cluster state entry 0: is \d+ bytes as JSON/);
  });

  it("fills pages close to the budget", () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({ i, blob: "z".repeat(5_000) }));
    const pages = paginateEntries(entries);
    expect(pages.length).toBe(Math.ceil((100 * 5_020) / STATE_PAGE_BYTES));
    expect(pages.slice(0, -1).every((p) => utf8Bytes(p) > STATE_PAGE_BYTES - 5_100 && utf8Bytes(p) <= STATE_PAGE_BYTES)).toBe(true);
  });

  it("makes no pages for no entries", () => {
    expect(paginateEntries([])).toEqual([]);
  });
});

describe("itemSizeBytes", () => {
  it("counts attribute names and UTF-8 string bytes, and numbers at their maximum", () => {
    expect(itemSizeBytes({ pk: "CLUSTER#a", é: "ü" })).toBe(2 + 9 + 2 + 2);
    expect(itemSizeBytes({ version: 12 })).toBe(7 + 21);
  });
});
