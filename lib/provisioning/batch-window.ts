/**
 * Karpenter's batching, shared across invocations through the store: pods that become
 * unschedulable close together are provisioned together. The window closes after `idleMs` without
 * a new signal, or `maxMs` after the first one, whichever comes first. Pure: time comes in.
 */
import type { BatchWindow } from "../ports/store.ts";

export interface WindowTiming {
  idleMs: number;
  maxMs: number;
}

export type WindowVerdict =
  /** No window is open: nothing to wait for. */
  | { kind: "none" }
  /** Still open: wait until `untilMs`, then look again (more pods may have arrived). */
  | { kind: "wait"; untilMs: number }
  /** Due: claim it at this version and provision. */
  | { kind: "close"; version: number };

export function windowClosesAt(window: Pick<BatchWindow, "firstSeenAtMs" | "lastSeenAtMs">, timing: WindowTiming): number {
  return Math.min(window.lastSeenAtMs + timing.idleMs, window.firstSeenAtMs + timing.maxMs);
}

export function judgeWindow(window: BatchWindow | undefined, nowMs: number, timing: WindowTiming): WindowVerdict {
  if (!window) return { kind: "none" };
  const closesAt = windowClosesAt(window, timing);
  return nowMs >= closesAt ? { kind: "close", version: window.version } : { kind: "wait", untilMs: closesAt };
}
