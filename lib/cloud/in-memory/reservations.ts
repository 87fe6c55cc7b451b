/** The simulated account's capacity reservations, selected by the same rule as DescribeCapacityReservations. */
import type { EC2NodeClassSpec } from "../../api/types.ts";
import type { ResolvedCapacityReservation } from "../../ports/cloud.ts";
import { reservationMatchesTerm } from "../aws/capacity-reservations.ts";
import type { SimCapacityReservation, SimWorld } from "./world.ts";

function resolvedOf(r: SimCapacityReservation): ResolvedCapacityReservation {
  const { state: _state, tags: _tags, ...rest } = r;
  return { ...rest };
}

export function selectSimReservations(world: SimWorld, terms: EC2NodeClassSpec["capacityReservationSelectorTerms"], nowMs: number): ResolvedCapacityReservation[] | undefined {
  if (!terms?.length) return undefined;
  return (world.capacityReservations ?? [])
    .filter((r) => r.state === "active" && (r.endTimeMs === undefined || r.endTimeMs > nowMs))
    .filter((r) => terms.some((t) => reservationMatchesTerm({ ...resolvedOf(r), tags: r.tags }, t)))
    .map(resolvedOf)
    .sort((a, b) => a.id.localeCompare(b.id));
}
