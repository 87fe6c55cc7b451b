/** The queues in memory (provisioner, disruption), for tests and the demo. */
import { delaySeconds, type BatchReadyMessage, type DisruptionWakeMessage, type ProvisionerQueue } from "../../ports/queue.ts";

export interface QueuedMessage<M = BatchReadyMessage> {
  message: M;
  dueAtMs: number;
  /** SQS-like message id, for batch responses. */
  id: string;
}

/** In memory: messages wait until the caller takes the due ones (on its own clock). */
export class MemoryQueue<M> {
  private readonly queued: Array<QueuedMessage<M>> = [];
  private readonly sent: Array<QueuedMessage<M>> = [];
  private counter = 0;

  constructor(private readonly now: () => number) {}

  async send(message: M, delayMs: number): Promise<void> {
    const entry = { message: structuredClone(message), dueAtMs: this.now() + delaySeconds(delayMs) * 1000, id: `msg-${++this.counter}` };
    this.queued.push(entry);
    this.sent.push(entry);
  }

  /** Removes and returns the messages due at `nowMs`, oldest first. */
  takeDue(nowMs: number): Array<QueuedMessage<M>> {
    const due = this.queued.filter((m) => m.dueAtMs <= nowMs).sort((a, b) => a.dueAtMs - b.dueAtMs);
    for (const m of due) this.queued.splice(this.queued.indexOf(m), 1);
    return due;
  }

  /** Every message ever sent (delivered or not). */
  history(): ReadonlyArray<QueuedMessage<M>> {
    return this.sent;
  }

  pending(): ReadonlyArray<QueuedMessage<M>> {
    return this.queued;
  }
}

export class MemoryProvisionerQueue extends MemoryQueue<BatchReadyMessage> implements ProvisionerQueue {}

export class MemoryDisruptionQueue extends MemoryQueue<DisruptionWakeMessage> {}
