/**
 * What woke the consolidator or the drift checker. Every wake-up is only a wake-up (the run
 * observes everything afresh), but its shape is checked, so a malformed SQS message goes to the
 * dead-letter queue instead of being retried forever and an unknown event is counted and logged:
 *  - the scheduled tick (EventBridge "Scheduled Event");
 *  - SQS messages on the disruption queue (`disruption-wake`, sent by the consolidator itself);
 *  - for the drift checker, NodePool / EC2NodeClass changes: DynamoDB stream records of the
 *    table's NodePool and EC2NodeClass items (`tenon nodepool apply`), and CloudWatch Logs
 *    subscription batches of the EKS audit log filtered to writes of those CRDs.
 */
import { disruptionWakeMessageSchema } from "../ports/queue.ts";

export type WakeTrigger = "tick" | "message" | "config-change";

export type Wake =
  | { kind: "run"; trigger: WakeTrigger; /** SQS message ids that are not wake messages (batch item failures). */ bad: string[] }
  | { kind: "rejected"; reason: string; bad: string[] };

function isWakeBody(body: unknown): boolean {
  if (typeof body !== "string") return false;
  try {
    return disruptionWakeMessageSchema.safeParse(JSON.parse(body)).success;
  } catch {
    return false;
  }
}

export function classifyWake(event: unknown): Wake {
  if (typeof event !== "object" || event === null) return { kind: "rejected", reason: "not an object", bad: [] };
  const e = event as Record<string, unknown>;
  if (e["source"] === "aws.events" && e["detail-type"] === "Scheduled Event") return { kind: "run", trigger: "tick", bad: [] };
  if (typeof (e["awslogs"] as { data?: unknown } | undefined)?.data === "string") return { kind: "run", trigger: "config-change", bad: [] };
  const records = e["Records"];
  if (Array.isArray(records)) {
    if (records.length > 0 && records.every((r) => (r as { eventSource?: unknown })?.eventSource === "aws:dynamodb")) {
      return { kind: "run", trigger: "config-change", bad: [] };
    }
    if (records.every((r) => (r as { eventSource?: unknown })?.eventSource === "aws:sqs" && typeof (r as { messageId?: unknown }).messageId === "string")) {
      const bad = records.filter((r) => !isWakeBody((r as { body?: unknown }).body)).map((r) => (r as { messageId: string }).messageId);
      if (bad.length === records.length) return { kind: "rejected", reason: "no disruption-wake message in the SQS batch", bad };
      return { kind: "run", trigger: "message", bad };
    }
    return { kind: "rejected", reason: "Records are neither SQS messages nor DynamoDB stream records", bad: [] };
  }
  return { kind: "rejected", reason: "neither a scheduled tick, an SQS batch, a DynamoDB stream batch nor CloudWatch Logs", bad: [] };
}
