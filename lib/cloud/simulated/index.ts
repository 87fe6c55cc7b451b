/**
 * The simulated cloud: `createSimulatedCloud({ region, clusterName, clock })` gives a ready account
 * (a subnet per zone, a security group, AL2023 and Bottlerocket images) discoverable with the tag
 * `karpenter.sh/discovery: <clusterName>`, on the bundled catalog.
 */
import type { Clock } from "../../ports/clock.ts";
import type { UnavailableOfferingsStore } from "../../ports/unavailable-offerings.ts";
import { createMemoryStore } from "../../state/memory/memory-store.ts";
import { SimulatedCloud, type SimulatedCloudOptions } from "./simulated-cloud.ts";
import { defaultWorld } from "./world.ts";

export { SimulatedCloud, type SimulatedCloudOptions } from "./simulated-cloud.ts";
export { ClientTokens, IdempotentParameterMismatchError } from "./client-tokens.ts";
export { CloudFaults, ThrottlingError, type CloudOperation } from "./faults.ts";
export { defaultWorld, type SimWorld } from "./world.ts";
export { simulatedInterruptionEvent, type SimulatedEventKind } from "./events.ts";

export interface CreateSimulatedCloudOptions extends Partial<Omit<SimulatedCloudOptions, "clusterName" | "clock">> {
  region: string;
  clusterName: string;
  clock: Clock;
  unavailable?: UnavailableOfferingsStore;
}

export function createSimulatedCloud(options: CreateSimulatedCloudOptions): SimulatedCloud {
  const { region, ...rest } = options;
  return new SimulatedCloud({
    ...rest,
    world: options.world ?? defaultWorld({ region, clusterName: options.clusterName, ...(options.kubernetesVersion ? { kubernetesVersion: options.kubernetesVersion } : {}) }),
    // The Store is where every function keeps unavailable offerings; an in-memory one by default.
    unavailable: options.unavailable ?? createMemoryStore({ clusterName: options.clusterName }),
  });
}
