/**
 * Cron schedules as Karpenter's disruption budgets accept them: five fields (minute hour
 * day-of-month month day-of-week) with `*`, `?`, lists, ranges, steps and month/day names, or one
 * of @yearly @annually @monthly @weekly @daily @midnight @hourly. Always evaluated in UTC, as
 * Karpenter does; time-zone prefixes and `@every` are not accepted.
 */

export class CronError extends Error {
  constructor(readonly input: string, readonly reason: string) {
    super(`${JSON.stringify(input)} is not a valid cron schedule: ${reason}`);
    this.name = "CronError";
  }
}

/** A parsed schedule: for each field, which values fire. */
export interface CronSchedule {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday. */
  readonly daysOfWeek: ReadonlySet<number>;
  /**
   * Cron's day rule: when both day fields are restricted, a day fires if either matches; when
   * either is a bare `*` (or `?`), both must match.
   */
  readonly dayFieldsBothRestricted: boolean;
}

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES },
  { name: "day of week", min: 0, max: 6, names: DAY_NAMES },
];

function parseValue(text: string, field: FieldSpec, input: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) {
      throw new CronError(input, `${field.name} ${value} is out of range ${field.min}-${field.max}`);
    }
    return value;
  }
  const index = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index === -1) throw new CronError(input, `${JSON.stringify(text)} is not a valid ${field.name}`);
  return index + field.min;
}

/** Parses one field; `star` is true when it is a bare `*`/`?` (or `*` with step 1). */
function parseField(text: string, field: FieldSpec, input: string): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(",")) {
    if (part === "") throw new CronError(input, `empty list item in ${field.name}`);
    const [range, stepText, extra] = part.split("/");
    if (extra !== undefined) throw new CronError(input, `${JSON.stringify(part)} has more than one "/" in ${field.name}`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new CronError(input, `step ${JSON.stringify(stepText)} in ${field.name} must be a positive number`);
      }
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === "*" || range === "?") {
      [low, high] = [field.min, field.max];
      if (step === 1) star = true;
    } else {
      const bounds = range!.split("-");
      if (bounds.length > 2) throw new CronError(input, `${JSON.stringify(range)} is not a valid range in ${field.name}`);
      low = parseValue(bounds[0]!, field, input);
      // `5/10` means from 5 to the end, every 10.
      high = bounds.length === 2 ? parseValue(bounds[1]!, field, input) : stepText !== undefined ? field.max : low;
      if (high < low) throw new CronError(input, `range ${JSON.stringify(range)} in ${field.name} runs backwards`);
    }
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return { values, star };
}

/** Parses a schedule; throws CronError naming the faulty field. */
export function parseCron(input: string): CronSchedule {
  if (typeof input !== "string") throw new CronError(`(${typeof input})`, "expected a string");
  const expanded = !input.startsWith("@") ? input : Object.hasOwn(DESCRIPTORS, input) ? DESCRIPTORS[input] : undefined;
  if (expanded === undefined) {
    throw new CronError(input, `unknown descriptor; use one of ${Object.keys(DESCRIPTORS).join(", ")}`);
  }
  const parts = expanded.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new CronError(input, `expected 5 fields (minute hour day-of-month month day-of-week), got ${expanded.trim() === "" ? 0 : parts.length}`);
  }
  const [minutes, hours, dom, months, dow] = parts.map((part, i) => parseField(part, FIELDS[i]!, input));
  return {
    minutes: minutes!.values,
    hours: hours!.values,
    daysOfMonth: dom!.values,
    months: months!.values,
    daysOfWeek: dow!.values,
    dayFieldsBothRestricted: !dom!.star && !dow!.star,
  };
}

/** Why `input` is not a valid schedule, or undefined. */
export function cronProblem(input: string): string | undefined {
  try {
    parseCron(input);
    return undefined;
  } catch (error) {
    if (error instanceof CronError) return error.message;
    throw error;
  }
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

function dayMatches(schedule: CronSchedule, dayStartMs: number): boolean {
  const date = new Date(dayStartMs);
  if (!schedule.months.has(date.getUTCMonth() + 1)) return false;
  const dom = schedule.daysOfMonth.has(date.getUTCDate());
  const dow = schedule.daysOfWeek.has(date.getUTCDay());
  return schedule.dayFieldsBothRestricted ? dom || dow : dom && dow;
}

/** The latest time at or before `atMs` (on a whole minute) when the schedule fires, if any after `notBeforeMs`. */
function latestFiringAtOrBefore(schedule: CronSchedule, atMs: number, notBeforeMs: number): number | undefined {
  const hours = [...schedule.hours].sort((a, b) => b - a);
  const minutes = [...schedule.minutes].sort((a, b) => b - a);
  for (let day = Math.floor(atMs / DAY_MS) * DAY_MS; day + DAY_MS > notBeforeMs; day -= DAY_MS) {
    if (!dayMatches(schedule, day)) continue;
    for (const hour of hours) {
      for (const minute of minutes) {
        const time = day + hour * 3_600_000 + minute * MINUTE_MS;
        if (time > atMs) continue;
        return time >= notBeforeMs ? time : undefined;
      }
    }
  }
  return undefined;
}

/**
 * Whether a budget window is open at `nowMs`: the schedule fired within the last `durationMs`
 * (a firing exactly `durationMs` ago has just closed; one exactly now has just opened). UTC.
 */
export function isCronWindowActive(schedule: string | CronSchedule, durationMs: number, nowMs: number): boolean {
  const parsed = typeof schedule === "string" ? parseCron(schedule) : schedule;
  if (durationMs <= 0) return false;
  const latest = latestFiringAtOrBefore(parsed, nowMs, nowMs - durationMs + 1);
  return latest !== undefined && latest > nowMs - durationMs;
}

/** When the budget window open at `nowMs` closes (its latest firing plus `durationMs`), or undefined when none is open. */
export function cronWindowEnd(schedule: string | CronSchedule, durationMs: number, nowMs: number): number | undefined {
  const parsed = typeof schedule === "string" ? parseCron(schedule) : schedule;
  if (durationMs <= 0) return undefined;
  const latest = latestFiringAtOrBefore(parsed, nowMs, nowMs - durationMs + 1);
  return latest !== undefined && latest > nowMs - durationMs ? latest + durationMs : undefined;
}
