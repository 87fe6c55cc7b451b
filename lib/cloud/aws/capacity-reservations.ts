/**
 * An EC2NodeClass's `capacityReservationSelectorTerms` against DescribeCapacityReservations: terms
 * are ORed, the fields of one term ANDed, and only active, ordinary (not capacity-block) reservations
 * count. The same matching rule exists in memory for the simulated cloud.
 */
import { DescribeCapacityReservationsCommand, type CapacityReservation, type EC2Client } from "@aws-sdk/client-ec2";
import type { EC2NodeClassSpec } from "../../api/types.ts";
import type { ResolvedCapacityReservation } from "../../ports/cloud.ts";
import type { Ec2Filter } from "./selectors.ts";

export type CapacityReservationTerm = NonNullable<EC2NodeClassSpec["capacityReservationSelectorTerms"]>[number];

export function isEmptyReservationTerm(term: CapacityReservationTerm): boolean {
  return term.id === undefined && Object.keys(term.tags ?? {}).length === 0;
}

/** The DescribeCapacityReservations request of one term (an `id` goes in CapacityReservationIds). */
export function reservationTermRequest(term: CapacityReservationTerm): { Filters: Ec2Filter[]; CapacityReservationIds?: string[] } {
  const Filters: Ec2Filter[] = [{ Name: "state", Values: ["active"] }];
  for (const [key, value] of Object.entries(term.tags ?? {})) {
    Filters.push(value === "*" ? { Name: "tag-key", Values: [key] } : { Name: `tag:${key}`, Values: [value] });
  }
  if (term.ownerID !== undefined) Filters.push({ Name: "owner-id", Values: [term.ownerID] });
  if (term.instanceMatchCriteria !== undefined) Filters.push({ Name: "instance-match-criteria", Values: [term.instanceMatchCriteria] });
  return { Filters, ...(term.id !== undefined ? { CapacityReservationIds: [term.id] } : {}) };
}

/**
 * A reservation Tenon can launch into: active, of the ordinary kind (capacity blocks need another
 * market type, which Tenon does not launch), not past its end. Undefined otherwise.
 */
export function toResolvedReservation(r: CapacityReservation, nowMs: number): ResolvedCapacityReservation | undefined {
  if (!r.CapacityReservationId || !r.InstanceType || !r.AvailabilityZone) return undefined;
  if (r.State !== "active") return undefined;
  if (r.ReservationType !== undefined && r.ReservationType !== "default") return undefined;
  const endTimeMs = r.EndDate?.getTime();
  if (endTimeMs !== undefined && endTimeMs <= nowMs) return undefined;
  return {
    id: r.CapacityReservationId,
    instanceType: r.InstanceType,
    zone: r.AvailabilityZone,
    ...(r.AvailabilityZoneId ? { zoneId: r.AvailabilityZoneId } : {}),
    ownerId: r.OwnerId ?? "",
    instanceMatchCriteria: r.InstanceMatchCriteria === "targeted" ? "targeted" : "open",
    availableInstances: r.AvailableInstanceCount ?? 0,
    totalInstances: r.TotalInstanceCount ?? 0,
    ...(endTimeMs !== undefined ? { endTimeMs } : {}),
  };
}

/** In-memory form of the same rule: does reservation `r` (with its tags) match `term`? */
export function reservationMatchesTerm(r: ResolvedCapacityReservation & { tags: Record<string, string> }, term: CapacityReservationTerm): boolean {
  if (isEmptyReservationTerm(term)) return false;
  if (term.id !== undefined && term.id !== r.id) return false;
  if (term.ownerID !== undefined && term.ownerID !== r.ownerId) return false;
  if (term.instanceMatchCriteria !== undefined && term.instanceMatchCriteria !== r.instanceMatchCriteria) return false;
  return Object.entries(term.tags ?? {}).every(([k, v]) => r.tags[k] !== undefined && (v === "*" || r.tags[k] === v));
}

function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? "";
}

export async function describeCapacityReservations(ec2: EC2Client, terms: CapacityReservationTerm[], nowMs: number): Promise<ResolvedCapacityReservation[]> {
  const byId = new Map<string, ResolvedCapacityReservation>();
  for (const term of terms) {
    if (isEmptyReservationTerm(term)) continue;
    const request = reservationTermRequest(term);
    let token: string | undefined;
    do {
      let out;
      try {
        out = await ec2.send(new DescribeCapacityReservationsCommand({ ...request, ...(token ? { NextToken: token } : {}) }));
      } catch (err) {
        // An id that does not exist (or was cancelled long ago) selects nothing, like any other term.
        if (request.CapacityReservationIds && /NotFound|Malformed/.test(errorName(err))) break;
        throw err;
      }
      for (const r of out.CapacityReservations ?? []) {
        const resolved = toResolvedReservation(r, nowMs);
        if (resolved) byId.set(resolved.id, resolved);
      }
      token = out.NextToken;
    } while (token);
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}
