/**
 * drift: drifted nodes replaced under budgets, one command at a time per cluster under the disruption lease. Woken by its tick and by NodePool / EC2NodeClass changes (table stream, audit log).
 */
import { disruptionHandler } from "../../lib/wiring/disruption-handler.ts";

export type { DisruptionResponse } from "../../lib/wiring/disruption-handler.ts";

export const handler = disruptionHandler("drift", "drift");
