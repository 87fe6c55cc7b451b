/** Disruption commands in DynamoDB: create-if-absent, versioned update and delete (as NodeClaim records). */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { ConflictError, type DisruptionCommandContent, type DisruptionCommandRecord } from "../../ports/store.ts";
import { assertTime, checkExpectedVersion, encodeCommandContent } from "../codec.ts";
import { COMMAND_PREFIX, commandSk } from "../keys.ts";
import { deleteAtVersion, putIf, updateAtVersion } from "./conditional.ts";
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
  return toRecord(await updateAtVersion(ctx, sk, `${WHAT} ${id}`, expectedVersion, { content: body, state: content.state }, nowMs));
}

export async function deleteDisruptionCommand(ctx: DynamoContext, id: string, expectedVersion: number): Promise<boolean> {
  commandSk(id);
  checkExpectedVersion(`${WHAT} ${id}`, expectedVersion);
  return deleteAtVersion(ctx, commandSk(id), `${WHAT} ${id}`, expectedVersion);
}
