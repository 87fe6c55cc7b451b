/**
 * The EventBridge patterns that feed the interruption queue. The CDK stack creates one rule per
 * entry, and the tests create the same rules in moto, so what is deployed is what is tested.
 */
export interface InterruptionRule {
  /** Rule name suffix, stable across deploys. */
  name: string;
  pattern: { source: string[]; "detail-type": string[] };
}

export const INTERRUPTION_RULES: readonly InterruptionRule[] = [
  { name: "ScheduledChange", pattern: { source: ["aws.health"], "detail-type": ["AWS Health Event"] } },
  { name: "SpotInterruption", pattern: { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] } },
  { name: "Rebalance", pattern: { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] } },
  { name: "InstanceStateChange", pattern: { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] } },
  {
    name: "CapacityReservationInterruption",
    pattern: { source: ["aws.ec2"], "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"] },
  },
];

export function eventPatternJson(rule: InterruptionRule): string {
  return JSON.stringify(rule.pattern);
}
