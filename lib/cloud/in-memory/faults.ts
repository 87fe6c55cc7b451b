/**
 * Faults the simulated cloud can be told to produce: capacity errors per offering, API throttling,
 * and slow calls (on the injected Clock, so a virtual clock makes them instant).
 */
import type { OfferingKey } from "../../ports/unavailable-offerings.ts";
import { offeringKeyString } from "../../ports/unavailable-offerings.ts";

export type CloudOperation = "resolveNodeClass" | "instanceTypes" | "create" | "get" | "list" | "delete";

/** What EC2 calls a throttled request. */
export class ThrottlingError extends Error {
  constructor(operation: CloudOperation) {
    super(`Request limit exceeded (${operation})`);
    this.name = "RequestLimitExceeded";
  }
}

export class CloudFaults {
  private readonly capacity = new Map<string, string>();
  private readonly capacityRules: Array<{ match: (key: OfferingKey) => boolean; code: string }> = [];
  private readonly throttles = new Map<CloudOperation, number>();
  private readonly latency = new Map<CloudOperation | "*", number>();

  /** Launches of this offering fail with `code` (default InsufficientInstanceCapacity) until cleared. */
  failOffering(key: OfferingKey, code = "InsufficientInstanceCapacity"): this {
    this.capacity.set(offeringKeyString(key), code);
    return this;
  }

  /** Launches of every offering matching `match` fail with `code`. */
  failOfferingsWhere(match: (key: OfferingKey) => boolean, code = "InsufficientInstanceCapacity"): this {
    this.capacityRules.push({ match, code });
    return this;
  }

  /** The next `count` calls of `operation` throw ThrottlingError. */
  throttle(operation: CloudOperation, count = 1): this {
    this.throttles.set(operation, (this.throttles.get(operation) ?? 0) + count);
    return this;
  }

  /** Every call of `operation` (or all, with "*") takes `ms` on the clock. */
  slow(operation: CloudOperation | "*", ms: number): this {
    this.latency.set(operation, ms);
    return this;
  }

  clear(): this {
    this.capacity.clear();
    this.capacityRules.length = 0;
    this.throttles.clear();
    this.latency.clear();
    return this;
  }

  capacityError(key: OfferingKey): string | undefined {
    return this.capacity.get(offeringKeyString(key)) ?? this.capacityRules.find((r) => r.match(key))?.code;
  }

  /** Called at the start of each operation: throws when throttled, returns the delay to apply. */
  enter(operation: CloudOperation): number {
    const left = this.throttles.get(operation) ?? 0;
    if (left > 0) {
      this.throttles.set(operation, left - 1);
      throw new ThrottlingError(operation);
    }
    return this.latency.get(operation) ?? this.latency.get("*") ?? 0;
  }
}
