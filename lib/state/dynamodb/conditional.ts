/**
 * Conditional writes: every store write that may lose a race is one conditional request, and a
 * failed condition is an answer (someone else got there first), not an error.
 */
import { ConditionalCheckFailedException, type AttributeValue } from "@aws-sdk/client-dynamodb";
import type { DeleteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
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

/** Sends one conditional write; any failure other than the condition is rethrown. */
export async function sendConditional(ctx: DynamoContext, command: PutCommand | UpdateCommand | DeleteCommand): Promise<ConditionalWrite> {
  try {
    // send() cannot infer over a union of commands; all three outputs carry Attributes.
    const out = await ctx.doc.send(command as UpdateCommand);
    return { written: true, attributes: out.Attributes as Item | undefined };
  } catch (error) {
    if (!isConditionalFailure(error)) throw error;
    return { written: false, existing: itemAtFailure(error) };
  }
}
