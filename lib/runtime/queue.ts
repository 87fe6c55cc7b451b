/**
 * The provisioner queue as a port: the batcher (and a provisioner that lost the lease) sends one
 * delayed "batch ready" message; SQS delivers it to the provisioner after the delay. The SQS
 * adapter is what runs in AWS; the in-memory one lets tests and the local loop deliver messages
 * by hand, including twice, as SQS may.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { z } from "zod";

/** What the provisioner is told. It re-reads the window from the store, so the message is only a wake-up. */
export interface BatchReadyMessage {
  kind: "batch-ready";
  /** Window opening time the sender saw (for logs and correlation). */
  firstSeenAtMs: number;
  /** Why it was sent: a new window, a retry after a lost lease, or a window still open when a run had to stop waiting. */
  reason: "window-opened" | "lease-busy" | "window-still-open";
}

export const batchReadyMessageSchema = z.object({
  kind: z.literal("batch-ready"),
  firstSeenAtMs: z.number().int().nonnegative(),
  reason: z.enum(["window-opened", "lease-busy", "window-still-open"]),
});

/** SQS allows at most 15 minutes of delay per message. */
export const MAX_DELAY_MS = 900_000;

export interface ProvisionerQueue {
  send(message: BatchReadyMessage, delayMs: number): Promise<void>;
}

/** SQS counts delays in whole seconds; round up so the message never arrives before the window can close. */
export function delaySeconds(delayMs: number): number {
  return Math.min(MAX_DELAY_MS / 1000, Math.max(0, Math.ceil(delayMs / 1000)));
}

export class SqsProvisionerQueue implements ProvisionerQueue {
  constructor(private readonly sqs: SQSClient, private readonly queueUrl: string) {}

  async send(message: BatchReadyMessage, delayMs: number): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds(delayMs) }));
  }
}

export interface QueuedMessage {
  message: BatchReadyMessage;
  dueAtMs: number;
  /** SQS-like message id, for batch responses. */
  id: string;
}

/** In memory: messages wait until the caller takes the due ones (on its own clock). */
export class MemoryProvisionerQueue implements ProvisionerQueue {
  private readonly queued: QueuedMessage[] = [];
  private readonly sent: QueuedMessage[] = [];
  private counter = 0;

  constructor(private readonly now: () => number) {}

  async send(message: BatchReadyMessage, delayMs: number): Promise<void> {
    const entry = { message: structuredClone(message), dueAtMs: this.now() + delaySeconds(delayMs) * 1000, id: `msg-${++this.counter}` };
    this.queued.push(entry);
    this.sent.push(entry);
  }

  /** Removes and returns the messages due at `nowMs`, oldest first. */
  takeDue(nowMs: number): QueuedMessage[] {
    const due = this.queued.filter((m) => m.dueAtMs <= nowMs).sort((a, b) => a.dueAtMs - b.dueAtMs);
    for (const m of due) this.queued.splice(this.queued.indexOf(m), 1);
    return due;
  }

  /** Every message ever sent (delivered or not). */
  history(): readonly QueuedMessage[] {
    return this.sent;
  }

  pending(): readonly QueuedMessage[] {
    return this.queued;
  }
}
