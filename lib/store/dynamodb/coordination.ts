/**
 * The small coordination records in DynamoDB: the batch window, leases and unavailable
 * offerings. Each write is one conditional request, so concurrent functions never interleave.
 */
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { BatchWindow, Lease, RecordPodsSeenResult } from "../../ports/store.ts";
import type { OfferingKey, UnavailableOffering } from "../../ports/unavailable-offerings.ts";
import { assertLeaseArgs, assertPositiveInteger, assertTime, boundedReason, checkExpectedVersion } from "../codec.ts";
import { BATCH_SK, UNAVAILABLE_PREFIX, eventSk, leaseSk, unavailableSk } from "../keys.ts";
import { TABLE_SCHEMA } from "./table.ts";
import { deleteIf, putIf, updateIf } from "./conditional.ts";
import { queryPrefix, type DynamoContext, type Item } from "./context.ts";

// --- batch window ----------------------------------------------------------------------------

function toWindow(item: Item): BatchWindow {
  return {
    firstSeenAtMs: item.firstSeenAtMs as number,
    lastSeenAtMs: item.lastSeenAtMs as number,
    podCount: item.podCount as number,
    version: item.version as number,
  };
}

export async function recordPodsSeen(ctx: DynamoContext, count: number, nowMs: number): Promise<RecordPodsSeenResult> {
  assertPositiveInteger("batch window", "count", count);
  assertTime("batch window", "nowMs", nowMs);
  // ALL_OLD tells us whether this call opened the window; the new state follows from it exactly,
  // because the update itself was atomic.
  const out = await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: { pk: ctx.pk(BATCH_SK), sk: BATCH_SK },
      UpdateExpression: "SET #kind = :kind, #first = if_not_exists(#first, :now), #last = :now ADD #count :count, #version :one",
      ExpressionAttributeNames: { "#kind": "kind", "#first": "firstSeenAtMs", "#last": "lastSeenAtMs", "#count": "podCount", "#version": "version" },
      ExpressionAttributeValues: { ":kind": "BatchWindow", ":now": nowMs, ":count": count, ":one": 1 },
      ReturnValues: "ALL_OLD",
    }),
  );
  const old = out.Attributes as Item | undefined;
  if (!old) return { opened: true, window: { firstSeenAtMs: nowMs, lastSeenAtMs: nowMs, podCount: count, version: 1 } };
  const before = toWindow(old);
  return {
    opened: false,
    window: { firstSeenAtMs: before.firstSeenAtMs, lastSeenAtMs: nowMs, podCount: before.podCount + count, version: before.version + 1 },
  };
}

export async function getBatchWindow(ctx: DynamoContext): Promise<BatchWindow | undefined> {
  const out = await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: { pk: ctx.pk(BATCH_SK), sk: BATCH_SK }, ConsistentRead: true }));
  return out.Item ? toWindow(out.Item as Item) : undefined;
}

export async function claimBatchWindow(ctx: DynamoContext, expectedVersion: number): Promise<boolean> {
  checkExpectedVersion("batch window", expectedVersion);
  const write = await deleteIf(ctx, BATCH_SK, {
    ConditionExpression: "#version = :expected",
    ExpressionAttributeNames: { "#version": "version" },
    ExpressionAttributeValues: { ":expected": expectedVersion },
  });
  return write.written;
}

// --- leases ----------------------------------------------------------------------------------

function toLease(item: Item): Lease {
  return {
    name: item.name as string,
    holder: item.holder as string,
    acquiredAtMs: item.acquiredAtMs as number,
    expiresAtMs: item.expiresAtMs as number,
    token: item.token as number,
  };
}

export async function acquireLease(ctx: DynamoContext, name: string, holder: string, ttlMs: number, nowMs: number): Promise<Lease | undefined> {
  assertLeaseArgs(name, holder, ttlMs, nowMs);
  const write = await updateIf(ctx, leaseSk(name), {
    UpdateExpression: "SET #kind = :kind, #name = :name, #holder = :holder, #acquired = :now, #expires = :expires ADD #token :one",
    ConditionExpression: "attribute_not_exists(#pk) OR #holder = :holder OR #expires <= :now",
    ExpressionAttributeNames: {
      "#pk": "pk",
      "#kind": "kind",
      "#name": "name",
      "#holder": "holder",
      "#acquired": "acquiredAtMs",
      "#expires": "expiresAtMs",
      "#token": "token",
    },
    ExpressionAttributeValues: { ":kind": "Lease", ":name": name, ":holder": holder, ":now": nowMs, ":expires": nowMs + ttlMs, ":one": 1 },
    ReturnValues: "ALL_NEW",
  });
  return write.written ? toLease(write.attributes as Item) : undefined;
}

export async function renewLease(ctx: DynamoContext, name: string, holder: string, ttlMs: number, nowMs: number): Promise<Lease | undefined> {
  assertLeaseArgs(name, holder, ttlMs, nowMs);
  const write = await updateIf(ctx, leaseSk(name), {
    UpdateExpression: "SET #expires = :expires",
    ConditionExpression: "#holder = :holder AND #expires > :now",
    ExpressionAttributeNames: { "#holder": "holder", "#expires": "expiresAtMs" },
    ExpressionAttributeValues: { ":holder": holder, ":now": nowMs, ":expires": nowMs + ttlMs },
    ReturnValues: "ALL_NEW",
  });
  return write.written ? toLease(write.attributes as Item) : undefined;
}

export async function releaseLease(ctx: DynamoContext, name: string, holder: string): Promise<boolean> {
  // Kept, not deleted, so the fencing token keeps growing across holders.
  const write = await updateIf(ctx, leaseSk(name), {
    UpdateExpression: "SET #holder = :free, #expires = :zero",
    ConditionExpression: "#holder = :holder",
    ExpressionAttributeNames: { "#holder": "holder", "#expires": "expiresAtMs" },
    ExpressionAttributeValues: { ":holder": holder, ":free": "", ":zero": 0 },
  });
  return write.written;
}

export async function getLease(ctx: DynamoContext, name: string): Promise<Lease | undefined> {
  const out = await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: { pk: ctx.pk(leaseSk(name)), sk: leaseSk(name) }, ConsistentRead: true }));
  return out.Item ? toLease(out.Item as Item) : undefined;
}

// --- unavailable offerings -------------------------------------------------------------------

export async function markUnavailable(ctx: DynamoContext, key: OfferingKey, reason: string, expiresAtMs: number): Promise<void> {
  assertTime("unavailable offering", "expiresAtMs", expiresAtMs);
  const sk = unavailableSk(key);
  // Never shortens an entry: a later mark with an earlier expiry is a no-op.
  await putIf(ctx, {
    Item: {
      pk: ctx.pk(sk),
      sk,
      kind: "UnavailableOffering",
      instanceType: key.instanceType,
      zone: key.zone,
      capacityType: key.capacityType,
      reason: boundedReason(reason),
      expiresAtMs,
      [TABLE_SCHEMA.ttlAttribute]: Math.ceil(expiresAtMs / 1000),
    },
    ConditionExpression: "attribute_not_exists(#pk) OR #expires < :expires",
    ExpressionAttributeNames: { "#pk": "pk", "#expires": "expiresAtMs" },
    ExpressionAttributeValues: { ":expires": expiresAtMs },
  });
}

/** Writes the event's dedupe item unless an unexpired one exists; DynamoDB's TTL sweeps it later. */
export async function claimEvent(ctx: DynamoContext, key: string, nowMs: number, timeoutMs: number): Promise<boolean> {
  assertTime("event dedupe", "nowMs", nowMs);
  assertTime("event dedupe", "timeoutMs", timeoutMs);
  const sk = eventSk(key);
  const expiresAtMs = nowMs + timeoutMs;
  const write = await putIf(ctx, {
    Item: { pk: ctx.pk(sk), sk, kind: "EventDedupe", key: key.slice(0, 1000), expiresAtMs, [TABLE_SCHEMA.ttlAttribute]: Math.ceil(expiresAtMs / 1000) },
    ConditionExpression: "attribute_not_exists(#pk) OR #expires <= :now",
    ExpressionAttributeNames: { "#pk": "pk", "#expires": "expiresAtMs" },
    ExpressionAttributeValues: { ":now": nowMs },
  });
  return write.written;
}

export async function listUnavailable(ctx: DynamoContext, nowMs: number): Promise<UnavailableOffering[]> {
  // DynamoDB deletes expired items lazily (DynamoDB Local never does), so expiry is checked here.
  return (await queryPrefix(ctx, UNAVAILABLE_PREFIX))
    .filter((item) => (item.expiresAtMs as number) > nowMs)
    .map((item) => ({
      instanceType: item.instanceType as string,
      zone: item.zone as string,
      capacityType: item.capacityType as UnavailableOffering["capacityType"],
      reason: item.reason as string,
      expiresAtMs: item.expiresAtMs as number,
    }));
}
