/**
 * provisioner: woken by the batcher's delayed SQS message, or by the scheduled tick (the safety
 * net for lost signals). Several messages in one SQS batch are one wake-up: one run serves them
 * all. A message that is not a batch-ready message is reported as a batch item failure, so SQS
 * moves it to the dead-letter queue after maxReceiveCount instead of retrying it forever.
 */
import { SqsSchema } from "@aws-lambda-powertools/parser/schemas/sqs";
import type { SQSBatchResponse } from "aws-lambda";
import { runProvisioner, type ProvisionerReport } from "../../lib/provisioning/provisioner.ts";
import { tenonHandler } from "../../lib/wiring/handler.ts";
import { currentRuntime } from "../../lib/wiring/runtime.ts";
import { journaled } from "../../lib/wiring/journaled.ts";
import { provisionerWhy } from "../../lib/wiring/why.ts";
import { batchReadyMessageSchema } from "../../lib/ports/queue.ts";
import { METRIC } from "../../lib/ports/telemetry.ts";

export type ProvisionerResponse = SQSBatchResponse | { rejected: string } | ProvisionerReport;

function readBody(body: string): boolean {
  try {
    return batchReadyMessageSchema.safeParse(JSON.parse(body)).success;
  } catch {
    return false;
  }
}

export const handler = tenonHandler<unknown, ProvisionerResponse>("provisioner", async (event, telemetry) => {
  const ports = await (await currentRuntime(() => import("../../lib/wiring/aws.ts"))).full("provisioner", telemetry);
  if (typeof event === "object" && event !== null && "Records" in event) {
    const sqs = SqsSchema.safeParse(event);
    if (!sqs.success) {
      // Not even SQS-shaped: nothing to retry per item; a tick covers it.
      ports.metrics.addMetric(METRIC.rejectedEvents, "Count", 1);
      ports.log.warn("provisioner event has Records but is not an SQS event", { issues: sqs.error.issues.slice(0, 5) });
      return { rejected: "not an SQS event" };
    }
    const bad = sqs.data.Records.filter((r) => !readBody(r.body));
    for (const record of bad) ports.log.warn("not a batch-ready message; leaving it for the dead-letter queue", { messageId: record.messageId });
    if (bad.length > 0) ports.metrics.addMetric(METRIC.rejectedEvents, "Count", bad.length);
    if (bad.length < sqs.data.Records.length) await journaled(ports, "provisioner", "message", (executor) => runProvisioner(ports, "message", undefined, executor), provisionerWhy);
    return { batchItemFailures: bad.map((r) => ({ itemIdentifier: r.messageId })) };
  }
  const tick = event as { source?: unknown; "detail-type"?: unknown } | null;
  if (tick?.source === "aws.events" && tick["detail-type"] === "Scheduled Event") return journaled(ports, "provisioner", "tick", (executor) => runProvisioner(ports, "tick", undefined, executor), provisionerWhy);
  ports.metrics.addMetric(METRIC.rejectedEvents, "Count", 1);
  ports.log.warn("provisioner ignored an event that is neither SQS nor its scheduled tick");
  return { rejected: "neither an SQS event nor a scheduled tick" };
});
