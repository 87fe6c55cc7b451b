/**
 * Kubernetes resource quantities (`100m`, `1.5Gi`, `2e3`), parsed exactly.
 *
 * A quantity is held as a bigint count of nano-units (10^-9), which is the finest precision
 * Kubernetes keeps: anything smaller rounds up, as the API server does. Comparisons are exact.
 * The scheduler works on plain numbers instead (see `toResourceNumber`): millicores for cpu and
 * whole units for everything else, the same units kube-scheduler uses.
 */

export class QuantityError extends Error {
  constructor(readonly input: string, readonly reason: string) {
    super(`${JSON.stringify(input)} is not a valid quantity: ${reason}`);
    this.name = "QuantityError";
  }
}

/** An exact quantity in nano-units. */
export interface Quantity {
  readonly nano: bigint;
}

const NANO = 1_000_000_000n;
const BINARY_SUFFIX: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL_SUFFIX_EXPONENT: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
// Guards against inputs like "1e999999" that would build enormous bigints.
const MAX_EXPONENT = 60;

const QUANTITY_PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE])([+-]?\d+)|(n|u|m|k|M|G|T|P|E))?$/;

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/** Divides rounding away from zero, as Kubernetes rounds sub-nano precision up. */
function divideAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  if (quotient * denominator === numerator) return quotient;
  return numerator < 0n ? quotient - 1n : quotient + 1n;
}

export function parseQuantity(input: string | number): Quantity {
  if (typeof input === "number") {
    if (!Number.isFinite(input)) throw new QuantityError(String(input), "not a finite number");
    input = String(input);
  }
  if (typeof input !== "string") throw new QuantityError(String(input), "expected a string or number");
  const text = input.trim();
  if (text === "") throw new QuantityError(input, "empty");
  const match = QUANTITY_PATTERN.exec(text);
  if (!match) throw new QuantityError(input, "expected a number with an optional suffix (m, k, M, G, Ki, Mi, Gi, e3, ...)");
  const [, sign = "", whole = "", fraction = "", binary, , exponentText, decimal] = match;
  if (whole === "" && fraction === "") throw new QuantityError(input, "no digits");
  const digits = BigInt((whole || "0") + fraction);
  let numerator = digits * NANO;
  let denominator = pow10(fraction.length);
  if (binary) {
    numerator *= BINARY_SUFFIX[binary]!;
  } else {
    const exponent = exponentText !== undefined ? Number(exponentText) : DECIMAL_SUFFIX_EXPONENT[decimal ?? ""]!;
    if (Math.abs(exponent) > MAX_EXPONENT) throw new QuantityError(input, `exponent ${exponent} is out of range`);
    if (exponent >= 0) numerator *= pow10(exponent);
    else denominator *= pow10(-exponent);
  }
  const nano = divideAwayFromZero(numerator, denominator);
  return { nano: sign === "-" ? -nano : nano };
}

export function isQuantity(input: unknown): boolean {
  if (typeof input !== "string" && typeof input !== "number") return false;
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
}

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nano < b.nano ? -1 : a.nano > b.nano ? 1 : 0;
}

export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { nano: a.nano + b.nano };
}

export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  return { nano: a.nano - b.nano };
}

/** Millicores (or milli-units), rounded up: what kube-scheduler uses for cpu. */
export function toMilli(q: Quantity): number {
  return Number(divideAwayFromZero(q.nano, 1_000_000n));
}

/** Whole units, rounded up: what kube-scheduler uses for memory, storage, pods and extended resources. */
export function toUnits(q: Quantity): number {
  return Number(divideAwayFromZero(q.nano, NANO));
}

export function fromMilli(milli: number): Quantity {
  return { nano: BigInt(milli) * 1_000_000n };
}

export function fromUnits(units: number): Quantity {
  return { nano: BigInt(units) * NANO };
}

/** cpu is counted in millicores; every other resource in whole units. */
export function resourceUnitIsMilli(resourceName: string): boolean {
  return resourceName === "cpu";
}

/** The number the scheduler works with for a named resource. */
export function toResourceNumber(resourceName: string, q: Quantity): number {
  return resourceUnitIsMilli(resourceName) ? toMilli(q) : toUnits(q);
}

export function fromResourceNumber(resourceName: string, value: number): Quantity {
  return resourceUnitIsMilli(resourceName) ? fromMilli(value) : fromUnits(value);
}

const BINARY_FORMAT_ORDER: Array<[string, bigint]> = Object.entries(BINARY_SUFFIX).reverse() as Array<[string, bigint]>;
const DECIMAL_FORMAT_ORDER: Array<[string, number]> = [
  ["E", 18],
  ["P", 15],
  ["T", 12],
  ["G", 9],
  ["M", 6],
  ["k", 3],
];

/**
 * Formats a quantity the way Kubernetes prints it: the largest binary suffix that divides the value
 * exactly for byte-like resources, otherwise the largest decimal suffix that does, otherwise milli
 * or nano units.
 */
export function formatQuantity(q: Quantity, style: "binary" | "decimal" = "decimal"): string {
  const nano = q.nano;
  if (nano === 0n) return "0";
  const sign = nano < 0n ? "-" : "";
  const abs = nano < 0n ? -nano : nano;
  if (abs % NANO === 0n) {
    const units = abs / NANO;
    if (style === "binary") {
      for (const [suffix, factor] of BINARY_FORMAT_ORDER) {
        if (units % factor === 0n) return `${sign}${units / factor}${suffix}`;
      }
    }
    for (const [suffix, exponent] of DECIMAL_FORMAT_ORDER) {
      const factor = pow10(exponent);
      if (units % factor === 0n) return `${sign}${units / factor}${suffix}`;
    }
    return `${sign}${units}`;
  }
  if (abs % 1_000_000n === 0n) return `${sign}${abs / 1_000_000n}m`;
  if (abs % 1_000n === 0n) return `${sign}${abs / 1_000n}u`;
  return `${sign}${abs}n`;
}

/** Formats a scheduler number for a named resource (cpu as millicores, memory-like as binary). */
export function formatResource(resourceName: string, value: number): string {
  const q = fromResourceNumber(resourceName, value);
  const binary = resourceName === "memory" || resourceName.endsWith("storage") || resourceName.startsWith("hugepages-");
  return formatQuantity(q, binary ? "binary" : "decimal");
}
