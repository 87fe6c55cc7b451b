/**
 * The consolidator's and the drift checker's handler: one disruption tick per wake-up (its
 * scheduled tick, its own SQS wake-up messages, a configuration change), journalled; messages
 * that are not wake-ups are batch item failures, left for the dead-letter queue.
 */
import type { SQSBatchResponse } from "aws-lambda";
import { runDisruptionTick, type DisruptionController, type DisruptionTickReport } from "../disruption/controller.ts";
import { classifyWake } from "../disruption/wake.ts";
import { METRIC } from "../ports/telemetry.ts";
import { tenonHandler } from "./handler.ts";
import { journaled } from "./journaled.ts";
import { currentRuntime } from "./runtime.ts";
import { disruptionWhy } from "./why.ts";

export type DisruptionResponse = (DisruptionTickReport & Partial<SQSBatchResponse>) | { rejected: string; batchItemFailures?: SQSBatchResponse["batchItemFailures"] };

export function disruptionHandler(name: "consolidator" | "drift", controller: DisruptionController) {
  return tenonHandler<unknown, DisruptionResponse>(name, async (event, telemetry) => {
    const ports = await (await currentRuntime(() => import("./aws.ts"))).full(name, telemetry);
    const wake = classifyWake(event);
    if (wake.bad.length > 0) {
      ports.metrics.addMetric(METRIC.rejectedEvents, "Count", wake.bad.length);
      ports.log.warn("not a disruption-wake message; leaving it for the dead-letter queue", { messageIds: wake.bad });
    }
    const failures = wake.bad.length > 0 ? { batchItemFailures: wake.bad.map((itemIdentifier) => ({ itemIdentifier })) } : {};
    if (wake.kind === "rejected") {
      if (wake.bad.length === 0) ports.metrics.addMetric(METRIC.rejectedEvents, "Count", 1);
      ports.log.warn(`${name} ignored an event it does not handle`, { reason: wake.reason });
      return { rejected: wake.reason, ...failures };
    }
    const report = await journaled(ports, controller, wake.trigger, (executor) => runDisruptionTick(ports, controller, wake.trigger, executor), disruptionWhy);
    return { ...report, ...failures };
  });
}
