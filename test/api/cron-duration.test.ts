import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CronError, cronProblem, isCronWindowActive, parseCron } from "../../lib/api/cron.ts";
import { DurationError, formatDuration, karpenterDurationProblem, parseGoDuration, parseKarpenterDuration } from "../../lib/api/duration.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (iso: string) => Date.parse(iso);

describe("Go durations", () => {
  it.each([
    ["720h", 720 * HOUR],
    ["1h30m", 90 * MIN],
    ["30s", 30_000],
    ["1.5h", 90 * MIN],
    ["500ms", 500],
    ["0", 0],
    ["-2m", -2 * MIN],
    ["1h0m0s", HOUR],
    ["250us", 0.25],
  ])("%s is %d ms", (text, ms) => expect(parseGoDuration(text)).toBe(ms));

  it.each(["", "1d", "h", "1", "1h 30m", "Never", "1.2.3s", "-", "99999999999999999999h"])("rejects %j", (text) => {
    expect(() => parseGoDuration(text)).toThrow(DurationError);
  });

  it("Karpenter fields are stricter than Go: whole s/m/h, Never only where allowed, budgets in h and m", () => {
    expect(karpenterDurationProblem("1.5h", "duration")).toBeDefined();
    expect(karpenterDurationProblem("500ms", "duration-or-never")).toBeDefined();
    expect(parseKarpenterDuration("Never", "duration-or-never")).toBeNull();
    expect(karpenterDurationProblem("Never", "duration")).toBeDefined();
    expect(parseKarpenterDuration("1h30m0s", "budget")).toBe(90 * MIN);
    expect(karpenterDurationProblem("1h30m15s", "budget")).toBeDefined();
    expect(() => parseKarpenterDuration("10s", "budget")).toThrow(DurationError);
  });

  it("h/m/s strings parse to their exact sum, and formatDuration round-trips (property)", () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.nat(59), fc.nat(59), (h, m, s) => {
        const ms = ((h * 60 + m) * 60 + s) * 1000;
        expect(parseGoDuration(`${h}h${m}m${s}s`)).toBe(ms);
        expect(parseKarpenterDuration(`${h}h${m}m${s}s`, "duration")).toBe(ms);
        expect(parseGoDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it("never throws anything but DurationError on any string (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[-+0-9.hmsnuµ]{0,10}$/)), (text) => {
        try {
          expect(Number.isFinite(parseGoDuration(text))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(DurationError);
        }
        expect(() => karpenterDurationProblem(text, "duration-or-never")).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});

describe("cron schedules", () => {
  it.each(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "0 9 * * 1-5", "*/15 * * * *", "0 0 1,15 * ?", "30 2 * jan-mar SUN", "5/10 * * * *", "0 0 * * 6"])(
    "accepts %j",
    (schedule) => expect(cronProblem(schedule)).toBeUndefined(),
  );
  it.each([
    ["@every 1h", "unknown descriptor"],
    ["@reboot", "unknown descriptor"],
    ["* * * *", "expected 5 fields"],
    ["60 * * * *", "minute 60 is out of range 0-59"],
    ["0 0 0 * *", "day of month 0 is out of range 1-31"],
    ["0 0 * 13 *", "month 13 is out of range 1-12"],
    ["0 0 * * 7", "day of week 7 is out of range 0-6"],
    ["0 0 * * funday", '"funday" is not a valid day of week'],
    ["*/0 * * * *", "must be a positive number"],
    ["5-1 * * * *", "runs backwards"],
    ["1,,2 * * * *", "empty list item"],
  ])("rejects %j (%s)", (schedule, reason) => {
    expect(() => parseCron(schedule)).toThrow(CronError);
    expect(cronProblem(schedule)).toContain(reason);
  });

  it("a window is open from the firing (inclusive) for its duration (exclusive), in UTC", () => {
    const weekdays9 = "0 9 * * 1-5"; // 2026-11-23 is a Monday
    expect(isCronWindowActive(weekdays9, 8 * HOUR, at("2026-11-23T09:00:00Z"))).toBe(true);
    expect(isCronWindowActive(weekdays9, 8 * HOUR, at("2026-11-23T16:59:59Z"))).toBe(true);
    expect(isCronWindowActive(weekdays9, 8 * HOUR, at("2026-11-23T17:00:00Z"))).toBe(false);
    expect(isCronWindowActive(weekdays9, 8 * HOUR, at("2026-11-23T08:59:59Z"))).toBe(false);
    expect(isCronWindowActive(weekdays9, 8 * HOUR, at("2026-11-22T10:00:00Z"))).toBe(false); // Sunday
  });

  it("a window longer than the gap between firings spans midnight and weekends", () => {
    expect(isCronWindowActive("@daily", 30 * HOUR, at("2026-11-23T05:00:00Z"))).toBe(true);
    expect(isCronWindowActive("0 22 * * 5", 60 * HOUR, at("2026-11-23T09:59:00Z"))).toBe(true); // Fri 22:00 + 60h = Mon 10:00
    expect(isCronWindowActive("0 22 * * 5", 60 * HOUR, at("2026-11-23T10:00:00Z"))).toBe(false);
  });

  it("restricting both day fields fires on either, as cron does", () => {
    // The 1st of the month or any Monday; 2026-12-01 is a Tuesday, 2026-11-30 a Monday.
    expect(isCronWindowActive("0 0 1 * 1", HOUR, at("2026-12-01T00:30:00Z"))).toBe(true);
    expect(isCronWindowActive("0 0 1 * 1", HOUR, at("2026-11-30T00:30:00Z"))).toBe(true);
    expect(isCronWindowActive("0 0 1 * 1", HOUR, at("2026-12-02T00:30:00Z"))).toBe(false);
    // With a * day-of-month only Mondays count.
    expect(isCronWindowActive("0 0 * * 1", HOUR, at("2026-12-01T00:30:00Z"))).toBe(false);
  });

  it("finds rare firings (29 February) when the window reaches them", () => {
    expect(isCronWindowActive("0 0 29 2 *", 24 * HOUR, at("2028-02-29T12:00:00Z"))).toBe(true);
    expect(isCronWindowActive("0 0 29 2 *", 24 * HOUR, at("2027-02-28T12:00:00Z"))).toBe(false);
  });

  /** The definition, minute by minute: did the schedule fire in (now - duration, now]? */
  function bruteForceActive(schedule: string, durationMs: number, nowMs: number): boolean {
    const s = parseCron(schedule);
    const firstMinute = Math.floor((nowMs - durationMs) / MIN) * MIN;
    for (let t = firstMinute; t <= nowMs; t += MIN) {
      if (t <= nowMs - durationMs) continue;
      const d = new Date(t);
      const dom = s.daysOfMonth.has(d.getUTCDate());
      const dow = s.daysOfWeek.has(d.getUTCDay());
      const day = s.dayFieldsBothRestricted ? dom || dow : dom && dow;
      if (day && s.months.has(d.getUTCMonth() + 1) && s.hours.has(d.getUTCHours()) && s.minutes.has(d.getUTCMinutes())) return true;
    }
    return false;
  }

  it("agrees with a minute-by-minute scan of the window (property)", () => {
    const field = (options: string[]) => fc.constantFrom(...options);
    const schedule = fc
      .tuple(field(["*", "0", "*/15", "7,37", "50-59"]), field(["*", "0", "9-17", "*/6", "23"]), field(["*", "1", "15-20", "?"]), field(["*", "2", "jan-jun"]), field(["*", "1-5", "0", "sat,sun"]))
      .map((parts) => parts.join(" "));
    fc.assert(
      fc.property(schedule, fc.integer({ min: 1, max: 3 * 24 * 60 }), fc.integer({ min: at("2025-01-01T00:00:00Z"), max: at("2030-01-01T00:00:00Z") }), (s, minutes, now) => {
        expect(isCronWindowActive(s, minutes * MIN, now)).toBe(bruteForceActive(s, minutes * MIN, now));
      }),
      { numRuns: 150 },
    );
  });

  it("never throws anything but CronError on any string (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[-0-9*?,/ @a-z]{0,16}$/)), (text) => {
        try {
          parseCron(text);
        } catch (error) {
          expect(error).toBeInstanceOf(CronError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
