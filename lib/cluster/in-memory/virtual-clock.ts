/**
 * Virtual time for simulations: a clock that only moves when told to, plus the timer queue that
 * simulated components (kubelets, controllers, a simulated cloud) put their future work on. Moving
 * the clock runs every timer that falls due, in time order, with `now()` set to each timer's time,
 * so a simulated hour runs in milliseconds and always the same way.
 *
 * `sleep(ms)` advances the clock: code under test that waits (a batch window, a retry backoff)
 * lets the simulated world move on meanwhile, as it would in real time.
 */
import type { Clock } from "../../ports/clock.ts";

export type TimerAction = () => void | Promise<void>;

interface Timer {
  atMs: number;
  seq: number;
  action: TimerAction;
}

/** Upper bound for `runUntilIdle` so a component that keeps re-arming a timer can't loop forever. */
export const DEFAULT_IDLE_LIMIT_MS = 24 * 60 * 60 * 1000;

export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1, 0, 0, 0)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  async sleep(ms: number): Promise<void> {
    await this.advance(ms);
  }

  /** Runs `action` when the clock reaches `atMs` (at once on the next advance if that is past). */
  at(atMs: number, action: TimerAction): void {
    this.timers.push({ atMs: Math.max(atMs, this.current), seq: this.seq++, action });
  }

  after(delayMs: number, action: TimerAction): void {
    this.at(this.current + Math.max(0, delayMs), action);
  }

  /** Timers not yet run. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Time of the next timer, if any. */
  nextTimerAt(): number | undefined {
    return this.timers.length === 0 ? undefined : Math.min(...this.timers.map((t) => t.atMs));
  }

  /** Moves the clock forward by `ms`, running every timer due on the way (including ones they add). */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + Math.max(0, ms));
  }

  async advanceTo(targetMs: number): Promise<void> {
    for (;;) {
      const next = this.takeNextDue(targetMs);
      if (!next) break;
      this.current = next.atMs;
      await next.action();
    }
    if (targetMs > this.current) this.current = targetMs;
  }

  /**
   * Runs timers until none are left (or `limitMs` of virtual time has passed); returns how much
   * virtual time that took.
   */
  async runUntilIdle(limitMs = DEFAULT_IDLE_LIMIT_MS): Promise<number> {
    const start = this.current;
    const deadline = start + limitMs;
    for (;;) {
      const next = this.nextTimerAt();
      if (next === undefined || next > deadline) break;
      await this.advanceTo(next);
    }
    return this.current - start;
  }

  private takeNextDue(targetMs: number): Timer | undefined {
    let best = -1;
    for (let i = 0; i < this.timers.length; i++) {
      const t = this.timers[i]!;
      if (t.atMs > targetMs) continue;
      const b = best >= 0 ? this.timers[best]! : undefined;
      if (!b || t.atMs < b.atMs || (t.atMs === b.atMs && t.seq < b.seq)) best = i;
    }
    return best >= 0 ? this.timers.splice(best, 1)[0] : undefined;
  }
}
