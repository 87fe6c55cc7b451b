/**
 * What this process's launches have used since the cloud last reported: free IPs of subnets and
 * instances of capacity reservations (karpenter-aws.md §4.2). DescribeSubnets and
 * DescribeCapacityReservations answers are cached for a minute; without this, every launch in that
 * minute would see the same subnet as the emptiest and the same reservation as having room.
 * A use recorded after a report was taken is subtracted from it; older uses are already in it.
 */
import type { ResolvedCapacityReservation, ResolvedSubnet } from "../../ports/cloud.ts";

export const subnetKey = (id: string): string => `subnet:${id}`;
export const reservationKey = (id: string): string => `reservation:${id}`;

export class InFlightLedger {
  private readonly entries = new Map<string, Array<{ atMs: number; amount: number }>>();

  /** `horizonMs`: how long a use is kept; longer than any report is cached. */
  constructor(private readonly horizonMs: number) {}

  /** A negative amount gives back what an earlier record took (a subnet the fleet did not use). */
  record(key: string, amount: number, atMs: number): void {
    const list = (this.entries.get(key) ?? []).filter((e) => atMs - e.atMs < this.horizonMs);
    list.push({ atMs, amount });
    this.entries.set(key, list);
  }

  /** The total recorded for `key` at or after `sinceMs`. */
  usedSince(key: string, sinceMs: number): number {
    return (this.entries.get(key) ?? []).reduce((sum, e) => (e.atMs >= sinceMs ? sum + e.amount : sum), 0);
  }

  /** Subnets with in-flight IPs taken off, never below zero, emptiest last. */
  subnets(subnets: readonly ResolvedSubnet[], reportedAtMs: number): ResolvedSubnet[] {
    return subnets
      .map((s) => ({ ...s, availableIps: Math.max(0, s.availableIps - this.usedSince(subnetKey(s.id), reportedAtMs)) }))
      .sort((a, b) => b.availableIps - a.availableIps || a.id.localeCompare(b.id));
  }

  reservations(reservations: readonly ResolvedCapacityReservation[], reportedAtMs: number): ResolvedCapacityReservation[] {
    return reservations.map((r) => ({ ...r, availableInstances: Math.max(0, r.availableInstances - this.usedSince(reservationKey(r.id), reportedAtMs)) }));
  }
}
