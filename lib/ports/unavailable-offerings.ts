/**
 * The insufficient-capacity cache, shared by every function through the Store: an offering that
 * failed to launch is skipped until it expires (3 minutes, as Karpenter). Readers must compare
 * against `expiresAtMs` themselves, because DynamoDB deletes expired items lazily.
 */
import type { CapacityType } from "./instance-type.ts";

export const UNAVAILABLE_OFFERING_TTL_MS = 3 * 60 * 1000;

export interface OfferingKey {
  instanceType: string;
  zone: string;
  capacityType: CapacityType;
}

export interface UnavailableOffering extends OfferingKey {
  reason: string;
  expiresAtMs: number;
}

export interface UnavailableOfferingsStore {
  markUnavailable(key: OfferingKey, reason: string, expiresAtMs: number): Promise<void>;
  /** Entries whose expiry is after `nowMs`. */
  listUnavailable(nowMs: number): Promise<UnavailableOffering[]>;
}

export function offeringKeyString(key: OfferingKey): string {
  return `${key.capacityType}:${key.instanceType}:${key.zone}`;
}
