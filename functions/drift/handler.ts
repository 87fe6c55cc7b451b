/**
 * drift: drifted nodes replaced under budgets, one command at a time per cluster under the disruption lease. Woken by its tick and by NodePool / EC2NodeClass changes (table stream, audit log).
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

export const handler = tenonHandler<unknown, DisruptionResponse>("drift", async (event, telemetry) => {
  const ports = await (await currentRuntime(() => import("../../lib/wiring/aws.ts"))).full("drift", telemetry);
  const wake = classifyWake(event);
  if (wake.bad.length > 0) {
    ports.metrics.addMetric(METRIC.rejectedEvents, "Count", wake.bad.length);
    ports.log.warn("not a disruption-wake message; leaving it for the dead-letter queue", { messageIds: wake.bad });
  }
  const failures = wake.bad.length > 0 ? { batchItemFailures: wake.bad.map((itemIdentifier) => ({ itemIdentifier })) } : {};
  if (wake.kind === "rejected") {
    if (wake.bad.length === 0) ports.metrics.addMetric(METRIC.rejectedEvents, "Count", 1);
    ports.log.warn("drift ignored an event it does not handle", { reason: wake.reason });
    return { rejected: wake.reason, ...failures };
  }
  const report = await journaled(ports, "drift", wake.trigger, (executor) => runDisruptionTick(ports, "drift", wake.trigger, executor), disruptionWhy);
  return { ...report, ...failures };
});
