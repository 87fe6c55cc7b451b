/** zod schemas of the EventBridge events the interruption queue receives. */
import { z } from "zod";

const instanceId = z.string().regex(/^i-[0-9a-f]+$/, "not an EC2 instance id");

export const envelopeSchema = z.object({
  version: z.literal("0"),
  id: z.string().min(1),
  "detail-type": z.string().min(1),
  source: z.string().min(1),
  account: z.string().optional(),
  time: z.string().min(1),
  region: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: z.unknown(),
});

export const spotInterruptionDetail = z.object({
  "instance-id": instanceId,
  "instance-action": z.string().optional(),
});

export const rebalanceDetail = z.object({ "instance-id": instanceId });

export const stateChangeDetail = z.object({
  "instance-id": instanceId,
  state: z.string().min(1),
});

export const healthDetail = z.object({
  service: z.string(),
  eventTypeCategory: z.string(),
  eventTypeCode: z.string().optional(),
  affectedEntities: z.array(z.object({ entityValue: z.string() })).default([]),
});

export const capacityReservationDetail = z
  .object({
    "instance-id": instanceId.optional(),
    "instance-ids": z.array(instanceId).optional(),
    "capacity-reservation-id": z.string().optional(),
  })
  .refine((d) => d["instance-id"] !== undefined || (d["instance-ids"]?.length ?? 0) > 0, "names no instance");
