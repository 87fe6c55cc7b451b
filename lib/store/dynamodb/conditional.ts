/**
 * Conditional writes: every store write that may lose a race is one conditional request, and a
 * failed condition is an answer (someone else got there first), not an error.
 */
import { ConditionalCheckFailedException, type AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  PutCommand,
  UpdateCommand,
  type DeleteCommandInput,
  type PutCommandInput,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { ConflictError } from "../../ports/store.ts";
import type { DynamoContext, Item } from "./context.ts";

export function isConditionalFailure(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string } | null)?.name === "ConditionalCheckFailedException";
}

/**
 * The item as it was when a condition failed (requested with ReturnValuesOnConditionCheckFailure
 * ALL_OLD); undefined when there was none. The document client leaves it in wire format; our
 * items hold only strings and numbers, so decoding is small.
 */
export function itemAtFailure(error: ConditionalCheckFailedException): Item | undefined {
  const raw = error.Item as Record<string, AttributeValue> | undefined;
  if (!raw || Object.keys(raw).length === 0) return undefined;
  const item: Item = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value.S !== undefined) item[name] = value.S;
    else if (value.N !== undefined) item[name] = Number(value.N);
    else if (value.BOOL !== undefined) item[name] = value.BOOL;
    else if (value.NULL !== undefined) item[name] = null;
  }
  return item;
}

/**
 * How a conditional write went: `written` with the item the request asked to return (ReturnValues),
 * or not written with the item that failed the condition (when the request asked for
 * ReturnValuesOnConditionCheckFailure ALL_OLD and there was one).
 */
export type ConditionalWrite = { written: true; attributes: Item | undefined } | { written: false; existing: Item | undefined };

/** Runs one conditional write; any failure other than the condition is rethrown. */
async function settle(send: () => Promise<{ Attributes?: Record<string, unknown> }>): Promise<ConditionalWrite> {
  try {
    const out = await send();
    return { written: true, attributes: out.Attributes as Item | undefined };
  } catch (error) {
    if (!isConditionalFailure(error)) throw error;
    return { written: false, existing: itemAtFailure(error) };
  }
}

/** UpdateItem on the cluster's item `sk`, under the condition in `input`. */
export function updateIf(ctx: DynamoContext, sk: string, input: Omit<UpdateCommandInput, "TableName" | "Key">): Promise<ConditionalWrite> {
  return settle(() => ctx.doc.send(new UpdateCommand({ TableName: ctx.tableName, Key: { pk: ctx.pk(sk), sk }, ...input })));
}

/** DeleteItem of the cluster's item `sk`, under the condition in `input`. */
export function deleteIf(ctx: DynamoContext, sk: string, input: Omit<DeleteCommandInput, "TableName" | "Key">): Promise<ConditionalWrite> {
  return settle(() => ctx.doc.send(new DeleteCommand({ TableName: ctx.tableName, Key: { pk: ctx.pk(sk), sk }, ...input })));
}

/** PutItem of `input.Item` (which carries its own keys), under the condition in `input`. */
export function putIf(ctx: DynamoContext, input: Omit<PutCommandInput, "TableName">): Promise<ConditionalWrite> {
  return settle(() => ctx.doc.send(new PutCommand({ TableName: ctx.tableName, ...input })));
}

/** A versioned write on `what` lost: the record is gone ("missing") or at another version. */
export function versionConflict(what: string, expectedVersion: number, existing: Item | undefined): ConflictError {
  if (!existing) return new ConflictError(what, "missing", "no such record");
  return new ConflictError(what, "version", `expected version ${expectedVersion}, found ${String(existing.version)}`);
}

/**
 * Sets `fields`, `updatedAtMs` and the next version on item `sk` if it is still at
 * `expectedVersion`; a ConflictError naming `what` otherwise. Returns the item as written.
 */
export async function updateAtVersion(ctx: DynamoContext, sk: string, what: string, expectedVersion: number, fields: Record<string, string | number>, nowMs: number): Promise<Item> {
  const names: Record<string, string> = { "#updatedAtMs": "updatedAtMs", "#version": "version" };
  const values: Record<string, unknown> = { ":now": nowMs, ":next": expectedVersion + 1, ":expected": expectedVersion };
  const sets = ["#updatedAtMs = :now", "#version = :next"];
  for (const [i, [name, value]] of Object.entries(fields).entries()) {
    names[`#f${i}`] = name;
    values[`:f${i}`] = value;
    sets.unshift(`#f${i} = :f${i}`);
  }
  const write = await updateIf(ctx, sk, {
    UpdateExpression: `SET ${sets.join(", ")}`,
    ConditionExpression: "#version = :expected",
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: "ALL_NEW",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (!write.written) throw versionConflict(what, expectedVersion, write.existing);
  return write.attributes as Item;
}

/** Deletes item `sk` if it is still at `expectedVersion`: true; false when already gone; a ConflictError at another version. */
export async function deleteAtVersion(ctx: DynamoContext, sk: string, what: string, expectedVersion: number): Promise<boolean> {
  const write = await deleteIf(ctx, sk, {
    ConditionExpression: "#version = :expected",
    ExpressionAttributeNames: { "#version": "version" },
    ExpressionAttributeValues: { ":expected": expectedVersion },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (write.written) return true;
  if (!write.existing) return false;
  throw versionConflict(what, expectedVersion, write.existing);
}
