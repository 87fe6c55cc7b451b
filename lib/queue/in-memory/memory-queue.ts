/** The provisioner queue in memory, for tests and the demo. */
import { delaySeconds, type BatchReadyMessage, type ProvisionerQueue } from "../../ports/queue.ts";

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
