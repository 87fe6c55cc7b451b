/**
 * Times in a trace: a point in the replayed span (`"08:00"`, a clock time from the trace's start at
 * 00:00, or `"3h"` / `"1h30m"`, an offset), a duration (`"45m"`), and five-field cron schedules
 * (`"0 2 * * *"`) for job arrivals, evaluated on the minutes of the span (the span starts at
 * 00:00 UTC of a Thursday, 2026-01-01, as the virtual clock does).
 */
import { parseGoDuration } from "../../api/duration.ts";

const CLOCK_TIME = /^(\d{1,3}):([0-5]\d)$/;

/** Milliseconds from the start of the span, or a reason the text is not a time. */
export function parseTraceTime(text: string): number | { error: string } {
  const clock = CLOCK_TIME.exec(text);
  if (clock) return (Number(clock[1]) * 60 + Number(clock[2])) * 60_000;
  const ms = parseDuration(text);
  return typeof ms === "number" ? ms : { error: `"${text}" is not a time: give a clock time from the start ("08:00", "30:15" for the next day) or an offset ("3h", "1h30m")` };
}

/** Milliseconds, or a reason: Go durations with units s, m, h. */
export function parseDuration(text: string): number | { error: string } {
  try {
    const ms = parseGoDuration(text);
    if (ms < 0) return { error: `"${text}" must not be negative` };
    return ms;
  } catch {
    return { error: `"${text}" is not a duration: give numbers with units s, m or h ("45m", "1h30m")` };
  }
}

interface CronField {
  values: Set<number>;
  any: boolean;
}

export interface Cron {
  minute: CronField;
  hour: CronField;
  dayOfMonth: CronField;
  month: CronField;
  dayOfWeek: CronField;
}

const FIELDS: ReadonlyArray<{ name: keyof Cron; min: number; max: number }> = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "dayOfMonth", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "dayOfWeek", min: 0, max: 7 },
];

const MACROS: Readonly<Record<string, string>> = {
  "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
};

/** A cron schedule as CronJob reads one (five fields, `*`, lists, ranges, steps, @daily...), or a reason. */
export function parseCron(text: string): Cron | { error: string } {
  const expanded = MACROS[text.trim()] ?? text.trim();
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) return { error: `"${text}" is not a cron schedule: expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}` };
  const out: Partial<Cron> = {};
  for (let i = 0; i < 5; i++) {
    const { name, min, max } = FIELDS[i]!;
    const values = new Set<number>();
    for (const item of parts[i]!.split(",")) {
      const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(item);
      if (!m) return { error: `"${text}": ${name} "${parts[i]}" is not a cron field` };
      const [from, to] = m[1] === "*" ? [min, max] : m[1]!.includes("-") ? m[1]!.split("-").map(Number) as [number, number] : [Number(m[1]), m[2] ? max : Number(m[1])];
      const step = m[2] ? Number(m[2]) : 1;
      if (from < min || to > max || from > to || step < 1) return { error: `"${text}": ${name} "${parts[i]}" is out of range ${min}-${max}` };
      for (let v = from; v <= to; v += step) values.add(name === "dayOfWeek" && v === 7 ? 0 : v);
    }
    out[name] = { values, any: parts[i] === "*" };
  }
  return out as Cron;
}

/** The times in [0, spanMs) a cron schedule fires, counted from `startMs` (epoch, UTC). */
export function cronTimes(cron: Cron, startMs: number, spanMs: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < spanMs; t += 60_000) {
    const d = new Date(startMs + t);
    if (!cron.minute.values.has(d.getUTCMinutes()) || !cron.hour.values.has(d.getUTCHours()) || !cron.month.values.has(d.getUTCMonth() + 1)) continue;
    const dom = cron.dayOfMonth.values.has(d.getUTCDate());
    const dow = cron.dayOfWeek.values.has(d.getUTCDay());
    // As cron does: when both day fields are restricted, either one matching is enough.
    const day = cron.dayOfMonth.any || cron.dayOfWeek.any ? dom && dow : dom || dow;
    if (day) out.push(t);
  }
  return out;
}
