/**
 * The EventBridge event patterns that feed the interruption queue: the same five event kinds
 * Karpenter on AWS listens to (Spot interruption warning, rebalance recommendation, instance
 * state change, AWS Health scheduled change, capacity-reservation interruption).
 *
 * Kept here until lib/cloud/aws/interruption-rules.ts exists; the stack reads them only through
 * `INTERRUPTION_RULES`, so moving them is a one-line import change.
 */
export interface InterruptionRule {
  /** Stable construct id, so redeploys keep the same rules. */
  readonly id: string;
  readonly description: string;
  readonly source: string;
  readonly detailType: string;
}

export const INTERRUPTION_RULES: readonly InterruptionRule[] = [
  {
    id: "SpotInterruption",
    description: "EC2 Spot interruption warnings (two minutes' notice)",
    source: "aws.ec2",
    detailType: "EC2 Spot Instance Interruption Warning",
  },
  {
    id: "Rebalance",
    description: "EC2 rebalance recommendations for Spot instances at elevated risk",
    source: "aws.ec2",
    detailType: "EC2 Instance Rebalance Recommendation",
  },
  {
    id: "InstanceStateChange",
    description: "EC2 instance state changes (stopping, stopped, shutting-down, terminated)",
    source: "aws.ec2",
    detailType: "EC2 Instance State-change Notification",
  },
  {
    id: "ScheduledChange",
    description: "AWS Health scheduled changes (instance retirement, maintenance)",
    source: "aws.health",
    detailType: "AWS Health Event",
  },
  {
    id: "CapacityReservationInterruption",
    description: "Interruption warnings for instances in interruptible capacity reservations",
    source: "aws.ec2",
    detailType: "EC2 Capacity Reservation Instance Interruption Warning",
  },
];
