/**
 * EventBridge events as AWS would send them for a simulated instance, so the demo and the simulator
 * feed the interruption handler the same messages it reads from SQS in production.
 */
import type { Clock } from "../../ports/clock.ts";

export type SimulatedEventKind = "spot-interruption" | "rebalance-recommendation" | "stopping" | "terminated" | "scheduled-change" | "capacity-reservation-interruption";

let sequence = 0;

/** `reservationId` names the reservation a capacity-reservation interruption takes back. */
export function simulatedInterruptionEvent(kind: SimulatedEventKind, instanceId: string, clock: Clock, region = "us-east-1", reservationId?: string): string {
  const base = {
    version: "0",
    id: `sim-${(++sequence).toString(16).padStart(8, "0")}`,
    account: "000000000000",
    time: new Date(clock.now()).toISOString(),
    region,
    resources: [`arn:aws:ec2:${region}:000000000000:instance/${instanceId}`],
  };
  switch (kind) {
    case "spot-interruption":
      return JSON.stringify({ ...base, source: "aws.ec2", "detail-type": "EC2 Spot Instance Interruption Warning", detail: { "instance-id": instanceId, "instance-action": "terminate" } });
    case "rebalance-recommendation":
      return JSON.stringify({ ...base, source: "aws.ec2", "detail-type": "EC2 Instance Rebalance Recommendation", detail: { "instance-id": instanceId } });
    case "stopping":
    case "terminated":
      return JSON.stringify({ ...base, source: "aws.ec2", "detail-type": "EC2 Instance State-change Notification", detail: { "instance-id": instanceId, state: kind } });
    case "capacity-reservation-interruption":
      return JSON.stringify({
        ...base, source: "aws.ec2", "detail-type": "EC2 Capacity Reservation Instance Interruption Warning",
        detail: { "instance-id": instanceId, ...(reservationId ? { "capacity-reservation-id": reservationId } : {}) },
      });
    case "scheduled-change":
      return JSON.stringify({
        ...base, source: "aws.health", "detail-type": "AWS Health Event",
        detail: { service: "EC2", eventTypeCategory: "scheduledChange", eventTypeCode: "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED", affectedEntities: [{ entityValue: instanceId }] },
      });
  }
}
