/** NodePools and EC2NodeClasses stored raw (re-validated by lib/api on read), versioned. */
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { ConflictError, type ConfigKind, type ConfigObjectRecord, type ObjectStatusRecord, type PutConfigObjectOptions } from "../../ports/store.ts";
import { assertTime, checkExpectedVersion, configConflict, encodeBody } from "../codec.ts";
import { configPrefix, configSk, STATUS_PREFIX, statusSk } from "../keys.ts";
import { deleteIf, updateIf } from "./conditional.ts";
import { assertItemFits, queryPrefix, type DynamoContext, type Item } from "./context.ts";

function toRecord(item: Item): ConfigObjectRecord {
  return {
    kind: item.kind as ConfigKind,
    name: item.name as string,
    raw: JSON.parse(item.raw as string) as unknown,
    updatedAtMs: item.updatedAtMs as number,
    version: item.version as number,
  };
}

export async function putConfigObject(
  ctx: DynamoContext,
  kind: ConfigKind,
  name: string,
  raw: unknown,
  nowMs: number,
  options: PutConfigObjectOptions = {},
): Promise<ConfigObjectRecord> {
  const what = `${kind} ${name}`;
  const sk = configSk(kind, name);
  assertTime(what, "nowMs", nowMs);
  const { expectedVersion } = options;
  checkExpectedVersion(what, expectedVersion);
  const body = encodeBody(raw, what);
  assertItemFits({ pk: ctx.pk(sk), sk, kind, name, raw: body, updatedAtMs: nowMs, version: 1 });
  // Writing what is already stored is a no-op (no version bump), so re-applying an unchanged
  // file does not look like a change to the drift checker.
  const condition =
    expectedVersion === undefined
      ? "attribute_not_exists(#pk) OR #raw <> :raw"
      : expectedVersion === 0
        ? "attribute_not_exists(#pk)"
        : "#version = :expected AND #raw <> :raw";
  const write = await updateIf(ctx, sk, {
    UpdateExpression: "SET #kind = :kind, #name = :name, #raw = :raw, #updated = :now ADD #version :one",
    ConditionExpression: condition,
    ExpressionAttributeNames: {
      // DynamoDB rejects names an expression does not use.
      ...(expectedVersion ? {} : { "#pk": "pk" }),
      "#kind": "kind",
      "#name": "name",
      "#raw": "raw",
      "#updated": "updatedAtMs",
      "#version": "version",
    },
    ExpressionAttributeValues: {
      ":kind": kind,
      ":name": name,
      ":raw": body,
      ":now": nowMs,
      ":one": 1,
      ...(expectedVersion ? { ":expected": expectedVersion } : {}),
    },
    ReturnValues: "ALL_NEW",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (write.written) return toRecord(write.attributes as Item);
  const existing = write.existing;
  if (existing && existing.raw === body) return toRecord(existing);
  throw configConflict(what, expectedVersion, existing ? toRecord(existing) : undefined);
}

export async function getConfigObject(ctx: DynamoContext, kind: ConfigKind, name: string): Promise<ConfigObjectRecord | undefined> {
  const out = await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: { pk: ctx.pk(configSk(kind, name)), sk: configSk(kind, name) }, ConsistentRead: true }));
  return out.Item ? toRecord(out.Item as Item) : undefined;
}

export async function putObjectStatus(ctx: DynamoContext, kind: ConfigKind, name: string, status: Record<string, unknown>, nowMs: number): Promise<void> {
  const what = `${kind} ${name} status`;
  assertTime(what, "nowMs", nowMs);
  const sk = statusSk(kind, name);
  const item = { pk: ctx.pk(sk), sk, kind, name, status: encodeBody(status, what), updatedAtMs: nowMs };
  assertItemFits(item);
  await ctx.doc.send(new PutCommand({ TableName: ctx.tableName, Item: item }));
}

export async function listObjectStatuses(ctx: DynamoContext): Promise<ObjectStatusRecord[]> {
  return (await queryPrefix(ctx, STATUS_PREFIX)).map((item) => ({
    kind: item.kind as ConfigKind,
    name: item.name as string,
    status: JSON.parse(item.status as string) as Record<string, unknown>,
    updatedAtMs: item.updatedAtMs as number,
  }));
}

export async function listConfigObjects(ctx: DynamoContext, kind: ConfigKind): Promise<ConfigObjectRecord[]> {
  return (await queryPrefix(ctx, configPrefix(kind))).map(toRecord);
}

export async function deleteConfigObject(ctx: DynamoContext, kind: ConfigKind, name: string, expectedVersion?: number): Promise<boolean> {
  const what = `${kind} ${name}`;
  checkExpectedVersion(what, expectedVersion);
  const write = await deleteIf(ctx, configSk(kind, name), {
    ConditionExpression: expectedVersion === undefined ? "attribute_exists(#pk)" : "#version = :expected",
    ExpressionAttributeNames: expectedVersion === undefined ? { "#pk": "pk" } : { "#version": "version" },
    ...(expectedVersion === undefined ? {} : { ExpressionAttributeValues: { ":expected": expectedVersion } }),
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (write.written) return true;
  if (!write.existing) return false;
  throw new ConflictError(what, "version", `expected version ${expectedVersion}, found ${String(write.existing.version)}`);
}
