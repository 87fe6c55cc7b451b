/**
 * Durations as Karpenter writes them: Go duration strings (`720h`, `1h30m`, `30s`), and `Never`
 * where a field allows it. Held as milliseconds; `null` means Never.
 */
import type { DurationOrNever } from "./types.ts";

export class DurationError extends Error {
  constructor(readonly input: string, readonly reason: string) {
    super(`${JSON.stringify(input)} is not a valid duration: ${reason}`);
    this.name = "DurationError";
  }
}

const UNIT_NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "µs": 1_000n, // U+00B5 micro sign
  "μs": 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NANOS = (1n << 63n) - 1n;
const COMPONENT = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;

/**
 * Parses any Go duration (`time.ParseDuration`): an optional sign, then one or more
 * `<decimal><unit>` parts with units ns, us, ms, s, m, h; `0` alone is allowed. Returns
 * milliseconds (fractional below 1 ms).
 */
export function parseGoDuration(input: string): number {
  if (typeof input !== "string") throw new DurationError(`(${typeof input})`, "expected a string");
  let rest = input;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw new DurationError(input, "empty");
  let total = 0n;
  while (rest !== "") {
    const match = COMPONENT.exec(rest);
    if (!match) throw new DurationError(input, "expected numbers with units ns, us, ms, s, m or h (like 1h30m)");
    const [matched, integer = "", fraction = "", unit = ""] = match;
    if (integer === "" && fraction === "") throw new DurationError(input, "a unit without a number");
    const scale = UNIT_NANOS[unit]!;
    // Exact: (whole.fraction) * scale, truncated to whole nanoseconds as Go does.
    const denominator = 10n ** BigInt(fraction.length);
    total += (BigInt((integer || "0") + fraction) * scale) / denominator;
    if (total > MAX_NANOS) throw new DurationError(input, "too large");
    rest = rest.slice(matched.length);
  }
  const ms = Number(total) / 1e6;
  return negative ? -ms : ms;
}

/** `720h`, `1h30m`, `30s`: whole numbers with units s, m, h (Karpenter's expireAfter pattern). */
const KARPENTER_DURATION = /^([0-9]+(s|m|h))+$/;
/** Budget durations: hours and/or minutes only, optionally with a trailing `0s`. */
const BUDGET_DURATION = /^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$/;

/**
 * Why `text` is not a duration for this kind of field, or undefined.
 * - `duration`: s/m/h parts (terminationGracePeriod)
 * - `duration-or-never`: the same or `Never` (expireAfter, consolidateAfter)
 * - `budget`: hours and/or minutes (budget duration)
 */
export function karpenterDurationProblem(text: string, kind: "duration" | "duration-or-never" | "budget"): string | undefined {
  if (kind === "duration-or-never" && text === "Never") return undefined;
  const pattern = kind === "budget" ? BUDGET_DURATION : KARPENTER_DURATION;
  if (pattern.test(text)) {
    try {
      parseGoDuration(text);
      return undefined;
    } catch (error) {
      return `${JSON.stringify(text)} is not a valid duration: ${(error as DurationError).reason}`;
    }
  }
  switch (kind) {
    case "duration":
      return `${JSON.stringify(text)} is not a duration like 30s, 10m or 1h30m`;
    case "duration-or-never":
      return `${JSON.stringify(text)} is not a duration like 30s, 10m or 720h, or Never`;
    case "budget":
      return `${JSON.stringify(text)} is not a duration in hours and minutes like 10m, 8h or 1h30m`;
  }
}

/** Parses a Karpenter duration field; `Never` gives null when allowed. Throws DurationError. */
export function parseKarpenterDuration(text: string, kind: "duration" | "duration-or-never" | "budget"): DurationOrNever {
  const problem = karpenterDurationProblem(text, kind);
  if (problem) throw new DurationError(text, problem.replace(/^".*?" is not /, "not "));
  if (text === "Never") return null;
  return parseGoDuration(text);
}

/** Formats milliseconds the way Go prints a duration (`1h30m0s`, `500ms`, `0s`); null is `Never`. */
export function formatDuration(ms: DurationOrNever): string {
  if (ms === null) return "Never";
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.round(rest * 1e6) / 1e9;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}
