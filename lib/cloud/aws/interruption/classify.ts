/**
 * Reads one interruption-queue message and says what it means: which instances, what happened, and
 * what to do. Never throws: a malformed or unknown message comes back rejected with a reason, so the
 * handler can dead-letter it.
 */
import type { z } from "zod";
import {
  capacityReservationDetail,
  envelopeSchema,
  healthDetail,
  rebalanceDetail,
  spotInterruptionDetail,
  stateChangeDetail,
} from "./schemas.ts";
import type { ClassifiedInterruption } from "../../../ports/interruption.ts";

export interface RejectedMessage {
  ok: false;
  reason: string;
}

export type InterruptionMessage = ClassifiedInterruption | RejectedMessage;

/** States that mean the instance is going away (Karpenter drains on these; others are ignored). */
export const DRAIN_STATES: ReadonlySet<string> = new Set(["stopping", "stopped", "shutting-down", "terminated"]);

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

function reject(reason: string): RejectedMessage {
  return { ok: false, reason };
}

export function classifyInterruptionMessage(body: unknown): InterruptionMessage {
  let raw = body;
  if (typeof body === "string") {
    try {
      raw = JSON.parse(body);
    } catch {
      return reject("message body is not JSON");
    }
  }
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) return reject(`not an EventBridge event: ${issues(envelope.error)}`);
  const e = envelope.data;
  const timeMs = Date.parse(e.time);
  if (!Number.isFinite(timeMs)) return reject(`time: "${e.time}" is not a timestamp`);
  const base = { ok: true as const, eventId: e.id, timeMs };
  const kindOf = `${e.source} / ${e["detail-type"]}`;
  const parse = <T>(schema: z.ZodType<T>): T | RejectedMessage => {
    const r = schema.safeParse(e.detail);
    return r.success ? r.data : reject(`${kindOf}: detail: ${issues(r.error)}`);
  };
  const isRejected = (x: unknown): x is RejectedMessage => typeof x === "object" && x !== null && (x as RejectedMessage).ok === false;

  if (e.source === "aws.ec2" && e["detail-type"] === "EC2 Spot Instance Interruption Warning") {
    const d = parse(spotInterruptionDetail);
    if (isRejected(d)) return d;
    return { ...base, kind: "spot-interruption", action: "mark-unavailable+cordon-and-drain", instanceIds: [d["instance-id"]], detail: `instance-action ${d["instance-action"] ?? "terminate"}` };
  }
  if (e.source === "aws.ec2" && e["detail-type"] === "EC2 Instance Rebalance Recommendation") {
    const d = parse(rebalanceDetail);
    if (isRejected(d)) return d;
    return { ...base, kind: "rebalance-recommendation", action: "event-only", instanceIds: [d["instance-id"]], detail: "rebalance recommendation" };
  }
  if (e.source === "aws.ec2" && e["detail-type"] === "EC2 Instance State-change Notification") {
    const d = parse(stateChangeDetail);
    if (isRejected(d)) return d;
    return { ...base, kind: "state-change", action: DRAIN_STATES.has(d.state) ? "cordon-and-drain" : "ignore", instanceIds: [d["instance-id"]], detail: `state ${d.state}`, state: d.state };
  }
  if (e.source === "aws.health" && e["detail-type"] === "AWS Health Event") {
    const d = parse(healthDetail);
    if (isRejected(d)) return d;
    const ids = d.affectedEntities.map((a) => a.entityValue).filter((v) => /^i-[0-9a-f]+$/.test(v));
    const applies = d.service === "EC2" && d.eventTypeCategory === "scheduledChange" && ids.length > 0;
    return { ...base, kind: "scheduled-change", action: applies ? "cordon-and-drain" : "ignore", instanceIds: ids, detail: `health ${d.service} ${d.eventTypeCategory} ${d.eventTypeCode ?? ""}`.trim() };
  }
  if (e.source === "aws.ec2" && e["detail-type"] === "EC2 Capacity Reservation Instance Interruption Warning") {
    const d = parse(capacityReservationDetail);
    if (isRejected(d)) return d;
    const ids = [...new Set([...(d["instance-id"] ? [d["instance-id"]] : []), ...(d["instance-ids"] ?? [])])];
    return {
      ...base, kind: "capacity-reservation-interruption", action: "mark-unavailable+cordon-and-drain", instanceIds: ids, detail: "capacity reservation interruption",
      ...(d["capacity-reservation-id"] ? { capacityReservationId: d["capacity-reservation-id"] } : {}),
    };
  }
  return reject(`unknown event ${kindOf}`);
}
