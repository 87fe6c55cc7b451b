/** NodeClaim records in DynamoDB: create-if-absent, versioned update and delete. */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { ConflictError, type CreateNodeClaimResult, type NodeClaimContent, type NodeClaimRecord } from "../../ports/store.ts";
import { assertTime, checkExpectedVersion, decodeNodeClaimContent, encodeNodeClaimContent } from "../codec.ts";
import { NODECLAIM_PREFIX, nodeClaimSk } from "../keys.ts";
import { deleteAtVersion, putIf, updateAtVersion } from "./conditional.ts";
import { assertItemFits, queryPrefix, type DynamoContext, type Item } from "./context.ts";

const WHAT = "NodeClaim";

function toRecord(item: Item): NodeClaimRecord {
  return {
    ...decodeNodeClaimContent(item.content as string),
    name: item.name as string,
    createdAtMs: item.createdAtMs as number,
    updatedAtMs: item.updatedAtMs as number,
    version: item.version as number,
  };
}

export async function createNodeClaim(ctx: DynamoContext, content: NodeClaimContent, nowMs: number): Promise<CreateNodeClaimResult> {
  assertTime(WHAT, "nowMs", nowMs);
  const body = encodeNodeClaimContent(content);
  const name = content.nodeClaim.metadata.name;
  const item: Item = {
    pk: ctx.pk(nodeClaimSk(name)),
    sk: nodeClaimSk(name),
    kind: "NodeClaim",
    name,
    phase: content.phase,
    content: body,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    version: 1,
  };
  assertItemFits(item);
  const write = await putIf(ctx, {
    Item: item,
    ConditionExpression: "attribute_not_exists(#pk)",
    ExpressionAttributeNames: { "#pk": "pk" },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (write.written) return { record: toRecord(item), created: true };
  const existing = write.existing ?? (await getItem(ctx, name));
  if (existing && existing.content === body) return { record: toRecord(existing), created: false };
  throw new ConflictError(`${WHAT} ${name}`, "exists", "a record of that name exists with different content");
}

async function getItem(ctx: DynamoContext, name: string): Promise<Item | undefined> {
  const out = await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: { pk: ctx.pk(nodeClaimSk(name)), sk: nodeClaimSk(name) }, ConsistentRead: true }));
  return out.Item as Item | undefined;
}

export async function getNodeClaim(ctx: DynamoContext, name: string): Promise<NodeClaimRecord | undefined> {
  const item = await getItem(ctx, name);
  return item ? toRecord(item) : undefined;
}

export async function listNodeClaims(ctx: DynamoContext): Promise<NodeClaimRecord[]> {
  return (await queryPrefix(ctx, NODECLAIM_PREFIX)).map(toRecord);
}

export async function updateNodeClaim(
  ctx: DynamoContext,
  name: string,
  expectedVersion: number,
  content: NodeClaimContent,
  nowMs: number,
): Promise<NodeClaimRecord> {
  assertTime(WHAT, "nowMs", nowMs);
  checkExpectedVersion(`${WHAT} ${name}`, expectedVersion);
  const body = encodeNodeClaimContent(content, name);
  assertItemFits({ pk: ctx.pk(nodeClaimSk(name)), sk: nodeClaimSk(name), kind: "NodeClaim", name, phase: content.phase, content: body, createdAtMs: nowMs, updatedAtMs: nowMs, version: expectedVersion + 1 });
  return toRecord(await updateAtVersion(ctx, nodeClaimSk(name), `${WHAT} ${name}`, expectedVersion, { content: body, phase: content.phase }, nowMs));
}

export async function deleteNodeClaim(ctx: DynamoContext, name: string, expectedVersion: number): Promise<boolean> {
  nodeClaimSk(name);
  checkExpectedVersion(`${WHAT} ${name}`, expectedVersion);
  return deleteAtVersion(ctx, nodeClaimSk(name), `${WHAT} ${name}`, expectedVersion);
}
