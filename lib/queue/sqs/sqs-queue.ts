/** The provisioner queue on SQS. */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { delaySeconds, type BatchReadyMessage, type ProvisionerQueue } from "../../ports/queue.ts";

export class SqsProvisionerQueue implements ProvisionerQueue {
  constructor(private readonly sqs: SQSClient, private readonly queueUrl: string) {}

  async send(message: BatchReadyMessage, delayMs: number): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds(delayMs) }));
  }
}
