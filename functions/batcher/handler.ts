/**
 * batcher: pod-unschedulable signals in (CloudWatch Logs subscription on the EKS audit log, or a
 * forwarded EventBridge event), batch window recorded, one delayed provisioner message out.
 */
import { recordSignals, type BatcherReport } from "../../lib/provisioning/batcher.ts";
import { tenonHandler } from "../../lib/wiring/handler.ts";
import { currentRuntime } from "../../lib/wiring/runtime.ts";

export const handler = tenonHandler<unknown, BatcherReport>("batcher", async (event, telemetry) => {
  // The core wiring only: the batcher carries no EC2, Kubernetes or catalog code.
  const ports = await (await currentRuntime(() => import("../../lib/wiring/aws-core.ts"))).core("batcher", telemetry);
  return recordSignals(ports, event);
});
