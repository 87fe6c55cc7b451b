/**
 * An interruption message as the interruption flow reads it: which instances, what happened and
 * what to do. The AWS adapter classifies EventBridge events into it (lib/cloud/aws/interruption/).
 */
export type InterruptionKind =
  | "spot-interruption"
  | "rebalance-recommendation"
  | "state-change"
  | "scheduled-change"
  | "capacity-reservation-interruption";

export type InterruptionAction = "cordon-and-drain" | "mark-unavailable+cordon-and-drain" | "event-only" | "ignore";

export interface ClassifiedInterruption {
  ok: true;
  eventId: string;
  kind: InterruptionKind;
  action: InterruptionAction;
  instanceIds: string[];
  /** Event time, ms since the epoch. */
  timeMs: number;
  /** Why this action (e.g. `state stopping`, `health AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED`). */
  detail: string;
  capacityReservationId?: string;
  /** For a state change: the state the instance entered (`stopping`, `terminated`, ...). */
  state?: string;
}
