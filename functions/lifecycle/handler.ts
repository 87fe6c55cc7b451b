/** lifecycle: the scheduled tick that registers, initializes, checks liveness of and garbage-collects NodeClaims. */
import { runLifecycle, type LifecycleReport } from "../../lib/lifecycle/lifecycle.ts";
import { tenonHandler } from "../../lib/wiring/handler.ts";
import { currentRuntime } from "../../lib/wiring/runtime.ts";
import { journaled } from "../../lib/wiring/journaled.ts";
import { lifecycleWhy } from "../../lib/wiring/why.ts";

export const handler = tenonHandler<unknown, LifecycleReport>("lifecycle", async (_event, telemetry) => {
  const ports = await (await currentRuntime(() => import("../../lib/wiring/aws.ts"))).full("lifecycle", telemetry);
  return journaled(ports, "lifecycle", "tick", (executor) => runLifecycle(ports, executor), lifecycleWhy);
});
