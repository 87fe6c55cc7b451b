/**
 * consolidator: emptiness, multi- and single-node consolidation and expiration, one command at a time per cluster under the disruption lease. Woken by its 1-minute tick and by the delayed messages it sends itself while there is work (docs/disruption.md).
 */
import { disruptionHandler } from "../../lib/wiring/disruption-handler.ts";

export type { DisruptionResponse } from "../../lib/wiring/disruption-handler.ts";

export const handler = disruptionHandler("consolidator", "consolidation");
