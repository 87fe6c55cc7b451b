import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../lib/cluster/in-memory/virtual-clock.ts";
import { judgeWindow, windowClosesAt } from "../../lib/provisioning/batch-window.ts";
import { settleWindow } from "../../lib/provisioning/provisioner.ts";
import { DEFAULT_SETTINGS } from "../../lib/ports/settings.ts";
import { RecordingTelemetry } from "../../lib/ports/telemetry.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";

const timing = { idleMs: 1_000, maxMs: 10_000 };
const window = (firstSeenAtMs: number, lastSeenAtMs: number, version = 3) => ({ firstSeenAtMs, lastSeenAtMs, podCount: 5, version });

describe("batch window timing", () => {
  it("closes one idle period after the last signal", () => {
    expect(judgeWindow(window(0, 500), 1_499, timing)).toEqual({ kind: "wait", untilMs: 1_500 });
    expect(judgeWindow(window(0, 500), 1_500, timing)).toEqual({ kind: "close", version: 3 });
  });

  it("closes at the maximum duration even while signals keep coming", () => {
    expect(windowClosesAt(window(0, 9_800), timing)).toBe(10_000);
    expect(judgeWindow(window(0, 9_800), 10_000, timing)).toEqual({ kind: "close", version: 3 });
  });

  it("has nothing to wait for when no window is open", () => {
    expect(judgeWindow(undefined, 123, timing)).toEqual({ kind: "none" });
  });

  it("never closes before min(last + idle, first + max), and always at it", () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.nat(20_000), fc.nat(30_000), fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 0, max: 20_000 }), (first, gap, offset, idle, extra) => {
        const t = { idleMs: idle, maxMs: idle + extra };
        const w = window(first, first + gap);
        const closesAt = Math.min(first + gap + idle, first + idle + extra);
        const now = first + offset;
        const verdict = judgeWindow(w, now, t);
        expect(verdict.kind).toBe(now >= closesAt ? "close" : "wait");
        if (verdict.kind === "wait") expect(verdict.untilMs).toBe(closesAt);
      }),
    );
  });
});

describe("waiting out the window in the provisioner", () => {
  function ports() {
    const clock = new VirtualClock(0);
    const telemetry = new RecordingTelemetry();
    return { store: createMemoryStore(), clock, settings: { ...DEFAULT_SETTINGS }, log: telemetry };
  }

  it("waits for the idle period, then claims the window", async () => {
    const p = ports();
    await p.store.recordPodsSeen(3, 0);
    expect(await settleWindow(p, 20_000)).toBe("closed");
    expect(p.clock.now()).toBe(1_000);
    expect(await p.store.getBatchWindow()).toBeUndefined();
  });

  it("keeps waiting while signals arrive, up to the maximum duration", async () => {
    const p = ports();
    await p.store.recordPodsSeen(1, 0);
    // A new signal every 900 ms, forever: only the 10 s maximum closes the window.
    for (let t = 900; t < 30_000; t += 900) p.clock.at(t, async () => void (await p.store.recordPodsSeen(1, t)));
    expect(await settleWindow(p, 20_000)).toBe("closed");
    expect(p.clock.now()).toBe(10_000);
  });

  it("gives up when the window would close after its wait budget", async () => {
    const p = ports();
    await p.store.recordPodsSeen(1, 0);
    expect(await settleWindow(p, 500)).toBe("open");
    expect(p.clock.now()).toBe(0);
  });

  it("reports no window when none is open (a tick, or a duplicate message)", async () => {
    expect(await settleWindow(ports(), 20_000)).toBe("none");
  });
});
