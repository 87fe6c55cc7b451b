/**
 * The consolidator's and drift checker's Lambda handler: the wake-up is classified (lib/disruption/
 * wake.ts); SQS messages that are not wake-ups are batch item failures (so they reach the
 * dead-letter queue), an event of no known shape is rejected and counted, anything else runs one
 * disruption tick for the function's controller, journalled (lib/wiring/journaled.ts).
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
