/**
 * The provisioner queue as a port: the batcher (and a provisioner that lost the lease) sends one
 * delayed "batch ready" message; SQS delivers it to the provisioner after the delay. The SQS
 * adapter (lib/queue/sqs/) is what runs in AWS; the in-memory one (lib/queue/in-memory/) lets
 * tests and the demo deliver messages by hand, including twice, as SQS may.
 */
import { z } from "zod";

/** What the provisioner is told. It re-reads the window from the store, so the message is only a wake-up. */
export interface BatchReadyMessage {
  kind: "batch-ready";
  /** Window opening time the sender saw (for logs and correlation). */
  firstSeenAtMs: number;
  /**
   * Why it was sent: a new window, a retry after a lost lease, a window still open when a run had
   * to stop waiting, or an interruption (sent with no delay: the interrupted Node's pods need
   * capacity within the 2-minute notice).
   */
  reason: "window-opened" | "lease-busy" | "window-still-open" | "interruption";
}

export const batchReadyMessageSchema = z.object({
  kind: z.literal("batch-ready"),
  firstSeenAtMs: z.number().int().nonnegative(),
  reason: z.enum(["window-opened", "lease-busy", "window-still-open", "interruption"]),
});

/**
 * What wakes the consolidator before its next tick: the consolidator itself while a command is in
 * flight or the last pass decided something (a delayed message to its own queue, so work goes on
 * every 15 s and an idle cluster costs one tick a minute), the provisioner when nodes emptied.
 */
export interface DisruptionWakeMessage {
  kind: "disruption-wake";
  sentAtMs: number;
  reason: "command-in-flight" | "more-to-do" | "config-changed";
}

export const disruptionWakeMessageSchema = z.object({
  kind: z.literal("disruption-wake"),
  sentAtMs: z.number().int().nonnegative(),
  reason: z.enum(["command-in-flight", "more-to-do", "config-changed"]),
});

export interface DisruptionQueue {
  send(message: DisruptionWakeMessage, delayMs: number): Promise<void>;
}

/** SQS allows at most 15 minutes of delay per message. */
export const MAX_DELAY_MS = 900_000;

export interface ProvisionerQueue {
  send(message: BatchReadyMessage, delayMs: number): Promise<void>;
}

/** SQS counts delays in whole seconds; round up so the message never arrives before the window can close. */
export function delaySeconds(delayMs: number): number {
  return Math.min(MAX_DELAY_MS / 1000, Math.max(0, Math.ceil(delayMs / 1000)));
}
