/** An in-memory UnavailableOfferingsStore for tests, the demo and `tenon simulate`. */
import type { OfferingKey, UnavailableOffering, UnavailableOfferingsStore } from "../ports/unavailable-offerings.ts";
import { offeringKeyString } from "../ports/unavailable-offerings.ts";

export class MemoryUnavailableOfferings implements UnavailableOfferingsStore {
  private readonly entries = new Map<string, UnavailableOffering>();

  async markUnavailable(key: OfferingKey, reason: string, expiresAtMs: number): Promise<void> {
    const id = offeringKeyString(key);
    const current = this.entries.get(id);
    // A later expiry wins, so a short mark can't cut a longer one short.
    if (!current || current.expiresAtMs < expiresAtMs) {
      this.entries.set(id, { instanceType: key.instanceType, zone: key.zone, capacityType: key.capacityType, reason, expiresAtMs });
    }
  }

  async listUnavailable(nowMs: number): Promise<UnavailableOffering[]> {
    return [...this.entries.values()].filter((e) => e.expiresAtMs > nowMs);
  }
}
