/**
 * The EC2 adapter of the Cloud port, and what a function needs to wire it:
 *
 *   const cloud = createAwsCloud({ config, clock: wallClock, unavailable: store });
 *
 * Endpoints default to the SDK's (AWS_ENDPOINT_URL_* work too); tests pass moto's.
 */
import type { Clock } from "../../ports/clock.ts";
import type { UnavailableOfferingsStore } from "../../ports/unavailable-offerings.ts";
import { AwsCloud } from "./aws-cloud.ts";
import { createAwsClients, type AwsCloudConfig, type ClientOptions } from "./config.ts";

export { AwsCloud } from "./aws-cloud.ts";
export type { AwsCloudConfig, AwsClients, ClusterEndpointInfo } from "./config.ts";
export { createAwsClients, pricingEndpointRegion } from "./config.ts";
export { classifyInterruptionMessage, type InterruptionMessage } from "./interruption/classify.ts";
export { type ClassifiedInterruption, type InterruptionAction, type InterruptionKind } from "../../ports/interruption.ts";
export { INTERRUPTION_RULES, eventPatternJson, type InterruptionRule } from "./interruption-rules.ts";
export { CAPACITY_ERROR_CODES } from "./launch/fleet.ts";
export { instanceProfileName, instanceProfilePath, instanceProfileTags, type InstanceProfileScope } from "./instance-profile.ts";
export { RESERVED_PRICE_DIVISOR, withReservedOfferings } from "./reserved-offerings.ts";
export { isManagedBy, TAG_MANAGED_BY } from "./tags.ts";

export interface CreateAwsCloudOptions {
  config: AwsCloudConfig;
  clock: Clock;
  unavailable: UnavailableOfferingsStore;
  client?: Omit<ClientOptions, "region">;
}

export function createAwsCloud(options: CreateAwsCloudOptions): AwsCloud {
  const clients = createAwsClients({ region: options.config.region, ...options.client });
  return new AwsCloud({ clients, config: options.config, clock: options.clock, unavailable: options.unavailable });
}
