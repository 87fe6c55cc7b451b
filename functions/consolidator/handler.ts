/**
 * consolidator: emptiness, multi- and single-node consolidation and expiration, one command at a time per cluster under the disruption lease. Woken by its 1-minute tick and by the delayed messages it sends itself while there is work (docs/disruption.md).
 */
import type { SQSBatchResponse } from "aws-lambda";
import { runDisruptionTick, type DisruptionTickReport } from "../../lib/disruption/controller.ts";
import { classifyWake } from "../../lib/disruption/wake.ts";
import { METRIC } from "../../lib/ports/telemetry.ts";
import { tenonHandler } from "../../lib/wiring/handler.ts";
import { currentRuntime } from "../../lib/wiring/runtime.ts";
import { journaled } from "../../lib/wiring/journaled.ts";
import { disruptionWhy } from "../../lib/wiring/why.ts";

export type DisruptionResponse = (DisruptionTickReport & Partial<SQSBatchResponse>) | { rejected: string; batchItemFailures?: SQSBatchResponse["batchItemFailures"] };

export const handler = tenonHandler<unknown, DisruptionResponse>("consolidator", async (event, telemetry) => {
  const ports = await (await currentRuntime(() => import("../../lib/wiring/aws.ts"))).full("consolidator", telemetry);
  const wake = classifyWake(event);
  if (wake.bad.length > 0) {
    ports.metrics.addMetric(METRIC.rejectedEvents, "Count", wake.bad.length);
    ports.log.warn("not a disruption-wake message; leaving it for the dead-letter queue", { messageIds: wake.bad });
  }
  const failures = wake.bad.length > 0 ? { batchItemFailures: wake.bad.map((itemIdentifier) => ({ itemIdentifier })) } : {};
  if (wake.kind === "rejected") {
    if (wake.bad.length === 0) ports.metrics.addMetric(METRIC.rejectedEvents, "Count", 1);
    ports.log.warn("consolidator ignored an event it does not handle", { reason: wake.reason });
    return { rejected: wake.reason, ...failures };
  }
  const report = await journaled(ports, "consolidation", wake.trigger, (executor) => runDisruptionTick(ports, "consolidation", wake.trigger, executor), disruptionWhy);
  return { ...report, ...failures };
});
