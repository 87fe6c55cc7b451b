/**
 * interruption: EventBridge events (Spot interruption, rebalance, state change, Health, capacity
 * reservation) from the interruption queue. Each record is classified independently (Powertools
 * batch processor); a record that fails is a batch item failure.
 *  - malformed (not JSON, not an EventBridge event, a known event with a bad detail): failed, so
 *    SQS retries it and then moves it to the dead-letter queue, where the alarm shows it;
 *  - a valid event of a kind Tenon does not handle: logged and dropped (as Karpenter does), so a
 *    broader rule never floods the dead-letter queue;
 *  - handling errors (API server or DynamoDB unavailable): failed, retried by SQS.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { classifyInterruptionMessage } from "../../lib/cloud/aws/interruption/classify.ts";
import { interruptionBatch } from "../../lib/interruption/interruption.ts";
import { tenonHandler } from "../../lib/wiring/handler.ts";
import { currentRuntime } from "../../lib/wiring/runtime.ts";
import { journaled } from "../../lib/wiring/journaled.ts";
import { interruptionWhy } from "../../lib/wiring/why.ts";
import { METRIC } from "../../lib/ports/telemetry.ts";

/** The classifier's wording for a well-formed event of a kind it does not know. */
const UNKNOWN_EVENT = "unknown event";

export class MalformedInterruptionMessage extends Error {
  constructor(messageId: string, reason: string) {
    super(`message ${messageId}: ${reason}`);
    this.name = "MalformedInterruptionMessage";
  }
}

export const handler = tenonHandler<SQSEvent, SQSBatchResponse>("interruption", async (event, telemetry, context) => {
  const ports = await (await currentRuntime(() => import("../../lib/wiring/aws.ts"))).full("interruption", telemetry);
  const processor = new BatchProcessor(EventType.SQS);
  // The messages of one batch share one observation of the node view.
  // One journal entry per message: what it said, and what was done about it.
  const handleInterruption = interruptionBatch(ports, (message, run) =>
    journaled(ports, "interruption", `${message.kind} ${message.eventId}`, (executor) => run(executor), interruptionWhy),
  );
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const message = classifyInterruptionMessage(record.body);
    if (!message.ok) {
      ports.metrics.addMetric(METRIC.rejectedEvents, "Count", 1);
      if (message.reason.startsWith(UNKNOWN_EVENT)) {
        ports.log.info("dropped an interruption-queue event Tenon does not handle", { messageId: record.messageId, reason: message.reason });
        return;
      }
      ports.log.warn("malformed interruption message", { messageId: record.messageId, reason: message.reason });
      throw new MalformedInterruptionMessage(record.messageId, message.reason);
    }
    await handleInterruption(message);
  };
  return processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false });
});
