/** The provisioner and disruption queues on SQS. */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { delaySeconds, type BatchReadyMessage, type DisruptionQueue, type DisruptionWakeMessage, type ProvisionerQueue } from "../../ports/queue.ts";

export class SqsQueue<M> {
  constructor(private readonly sqs: SQSClient, private readonly queueUrl: string) {}

  async send(message: M, delayMs: number): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds(delayMs) }));
  }
}

export class SqsProvisionerQueue extends SqsQueue<BatchReadyMessage> implements ProvisionerQueue {}

export class SqsDisruptionQueue extends SqsQueue<DisruptionWakeMessage> implements DisruptionQueue {}
