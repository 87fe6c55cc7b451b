/** Disruption commands in DynamoDB: create-if-absent, versioned update and delete (as NodeClaim records). */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { ConflictError, type DisruptionCommandContent, type DisruptionCommandRecord } from "../../ports/store.ts";
import { assertTime, checkExpectedVersion, encodeCommandContent } from "../codec.ts";
import { COMMAND_PREFIX, commandSk } from "../keys.ts";
import { deleteIf, putIf, updateIf } from "./conditional.ts";
import { assertItemFits, queryPrefix, type DynamoContext, type Item } from "./context.ts";

const WHAT = "disruption command";

function toRecord(item: Item): DisruptionCommandRecord {
  return {
    ...(JSON.parse(item.content as string) as DisruptionCommandContent),
    id: item.name as string,
    createdAtMs: item.createdAtMs as number,
    updatedAtMs: item.updatedAtMs as number,
    version: item.version as number,
  };
}

function versionConflict(id: string, expectedVersion: number, existing: Item | undefined): ConflictError {
  if (!existing) return new ConflictError(`${WHAT} ${id}`, "missing", "no such record");
  return new ConflictError(`${WHAT} ${id}`, "version", `expected version ${expectedVersion}, found ${String(existing.version)}`);
}

export async function createDisruptionCommand(ctx: DynamoContext, id: string, content: DisruptionCommandContent, nowMs: number): Promise<DisruptionCommandRecord> {
  const sk = commandSk(id);
  assertTime(`${WHAT} ${id}`, "nowMs", nowMs);
  const body = encodeCommandContent(content, id);
  const item: Item = { pk: ctx.pk(sk), sk, kind: "DisruptionCommand", name: id, state: content.state, content: body, createdAtMs: nowMs, updatedAtMs: nowMs, version: 1 };
  assertItemFits(item);
  const write = await putIf(ctx, { Item: item, ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": "pk" }, ReturnValuesOnConditionCheckFailure: "ALL_OLD" });
  if (write.written) return toRecord(item);
  const existing = write.existing ?? (await getItem(ctx, id));
  if (existing && existing.content === body) return toRecord(existing);
  throw new ConflictError(`${WHAT} ${id}`, "exists", "a command of that id exists with different content");
}

async function getItem(ctx: DynamoContext, id: string): Promise<Item | undefined> {
  const sk = commandSk(id);
  const out = await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: { pk: ctx.pk(sk), sk }, ConsistentRead: true }));
  return out.Item as Item | undefined;
}

export async function listDisruptionCommands(ctx: DynamoContext): Promise<DisruptionCommandRecord[]> {
  return (await queryPrefix(ctx, COMMAND_PREFIX)).map(toRecord);
}

export async function updateDisruptionCommand(ctx: DynamoContext, id: string, expectedVersion: number, content: DisruptionCommandContent, nowMs: number): Promise<DisruptionCommandRecord> {
  const sk = commandSk(id);
  assertTime(`${WHAT} ${id}`, "nowMs", nowMs);
  checkExpectedVersion(`${WHAT} ${id}`, expectedVersion);
  const body = encodeCommandContent(content, id);
  assertItemFits({ pk: ctx.pk(sk), sk, kind: "DisruptionCommand", name: id, state: content.state, content: body, createdAtMs: nowMs, updatedAtMs: nowMs, version: expectedVersion + 1 });
  const write = await updateIf(ctx, sk, {
    UpdateExpression: "SET #content = :content, #state = :state, #updatedAtMs = :now, #version = :next",
    ConditionExpression: "#version = :expected",
    ExpressionAttributeNames: { "#content": "content", "#state": "state", "#updatedAtMs": "updatedAtMs", "#version": "version" },
    ExpressionAttributeValues: { ":content": body, ":state": content.state, ":now": nowMs, ":next": expectedVersion + 1, ":expected": expectedVersion },
    ReturnValues: "ALL_NEW",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (!write.written) throw versionConflict(id, expectedVersion, write.existing);
  return toRecord(write.attributes as Item);
}

export async function deleteDisruptionCommand(ctx: DynamoContext, id: string, expectedVersion: number): Promise<boolean> {
  commandSk(id);
  checkExpectedVersion(`${WHAT} ${id}`, expectedVersion);
  const write = await deleteIf(ctx, commandSk(id), {
    ConditionExpression: "#version = :expected",
    ExpressionAttributeNames: { "#version": "version" },
    ExpressionAttributeValues: { ":expected": expectedVersion },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (write.written) return true;
  if (!write.existing) return false;
  throw versionConflict(id, expectedVersion, write.existing);
}
