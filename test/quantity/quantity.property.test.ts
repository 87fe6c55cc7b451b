import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compareQuantities, formatQuantity, parseQuantity, QuantityError, toMilli, toUnits } from "../../lib/quantity/quantity.ts";

const NANO = 1_000_000_000n;
/** Suffix -> the exact multiplier as a fraction (numerator, denominator). */
const SUFFIXES: Record<string, [bigint, bigint]> = {
  "": [1n, 1n],
  n: [1n, NANO],
  u: [1n, 1_000_000n],
  m: [1n, 1_000n],
  k: [1_000n, 1n],
  M: [1_000_000n, 1n],
  G: [NANO, 1n],
  T: [10n ** 12n, 1n],
  Ki: [1024n, 1n],
  Mi: [1024n ** 2n, 1n],
  Gi: [1024n ** 3n, 1n],
  Ti: [1024n ** 4n, 1n],
  e3: [1_000n, 1n],
  "e-2": [1n, 100n],
};

/** A quantity string with its exact value as a fraction, computed without the parser. */
const quantityText = fc
  .record({
    whole: fc.bigInt({ min: 0n, max: 10n ** 12n }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: undefined }),
    suffix: fc.constantFrom(...Object.keys(SUFFIXES)),
    negative: fc.boolean(),
  })
  .map(({ whole, fraction, suffix, negative }) => {
    const text = `${negative ? "-" : ""}${whole}${fraction !== undefined ? `.${fraction}` : ""}${suffix}`;
    const [mul, div] = SUFFIXES[suffix]!;
    const scale = 10n ** BigInt(fraction?.length ?? 0);
    let numerator = (whole * scale + BigInt(fraction ?? "0")) * mul;
    if (negative) numerator = -numerator;
    return { text, numerator, denominator: scale * div };
  });

/** ceil away from zero of numerator/denominator * 1e9: the API server rounds sub-nano precision up. */
function expectedNano(numerator: bigint, denominator: bigint): bigint {
  const scaled = numerator * NANO;
  const quotient = scaled / denominator;
  if (quotient * denominator === scaled) return quotient;
  return scaled < 0n ? quotient - 1n : quotient + 1n;
}

describe("quantities (property tests)", () => {
  it("parse gives the exact value in nano-units, rounding sub-nano precision away from zero", () => {
    fc.assert(
      fc.property(quantityText, ({ text, numerator, denominator }) => {
        expect(parseQuantity(text).nano).toBe(expectedNano(numerator, denominator));
      }),
    );
  });

  it("order of parsed quantities agrees with exact rational arithmetic", () => {
    fc.assert(
      fc.property(quantityText, quantityText, (a, b) => {
        const exact = a.numerator * b.denominator - b.numerator * a.denominator;
        const parsed = compareQuantities(parseQuantity(a.text), parseQuantity(b.text));
        if (exact < 0n) expect(parsed).toBeLessThanOrEqual(0);
        if (exact > 0n) expect(parsed).toBeGreaterThanOrEqual(0);
        if (exact === 0n) expect(parsed).toBe(0);
        // When both are whole nano-units no rounding happened, so the order is strict.
        const exactNano = (q: typeof a) => (q.numerator * NANO) % q.denominator === 0n;
        if (exactNano(a) && exactNano(b)) expect(parsed).toBe(exact < 0n ? -1 : exact > 0n ? 1 : 0);
      }),
    );
  });

  it("format then parse gives back the same quantity, in both styles", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.constantFrom("binary" as const, "decimal" as const), (nano, style) => {
        const text = formatQuantity({ nano }, style);
        expect(parseQuantity(text).nano).toBe(nano);
      }),
    );
  });

  it("parse then format then parse is stable for any quantity string", () => {
    fc.assert(
      fc.property(quantityText, ({ text }) => {
        const once = parseQuantity(text);
        expect(parseQuantity(formatQuantity(once)).nano).toBe(once.nano);
      }),
    );
  });

  it("toMilli and toUnits round up to the next whole milli-unit or unit", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), (nano) => {
        const milli = BigInt(toMilli({ nano }));
        const units = BigInt(toUnits({ nano }));
        // Exact below 2^53; beyond that Number() rounding may move the result by an ulp.
        if (nano < 2n ** 52n * 1_000_000n) {
          expect(milli * 1_000_000n >= nano).toBe(true);
          expect((milli - 1n) * 1_000_000n < nano).toBe(true);
        }
        if (nano < 2n ** 52n * NANO) {
          expect(units * NANO >= nano).toBe(true);
          expect((units - 1n) * NANO < nano).toBe(true);
        }
        expect(toMilli({ nano: -nano })).toBe(-toMilli({ nano }) || 0);
      }),
    );
  });

  it("never throws anything but QuantityError, whatever the input", () => {
    const quantityish = fc.stringMatching(/^[-+0-9.eEkKMGTPinum ]{0,12}$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), quantityish, fc.double()), (input) => {
        try {
          const q = parseQuantity(input);
          expect(typeof q.nano).toBe("bigint");
        } catch (error) {
          expect(error).toBeInstanceOf(QuantityError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("rejects examples Kubernetes rejects and accepts ones it accepts", () => {
    for (const bad of ["", "1.2.3", "1Ki2", "Gi", "1KB", "1e", "--1", "1 Gi", "0x10"]) expect(() => parseQuantity(bad)).toThrow(QuantityError);
    expect(parseQuantity("1.").nano).toBe(NANO);
    expect(parseQuantity(".5").nano).toBe(NANO / 2n);
    expect(parseQuantity("+1m").nano).toBe(1_000_000n);
    expect(parseQuantity("1.5Gi").nano).toBe(1536n * 1024n * 1024n * NANO);
    expect(parseQuantity("1E").nano).toBe(10n ** 18n * NANO);
  });
});
