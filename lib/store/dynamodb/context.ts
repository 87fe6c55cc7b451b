/** What every part of the DynamoDB store shares: the client, the table, the cluster's partitions. */
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DYNAMODB_ITEM_LIMIT_BYTES, itemSizeBytes } from "../codec.ts";

export type Item = Record<string, unknown>;

export interface DynamoContext {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** The partition key of the item with this sort key (or of the items under this sort-key prefix). */
  pk(sk: string): string;
}

/** A last guard before every write: the codecs keep bodies far smaller, this catches a bug. */
export function assertItemFits(item: Item): void {
  const bytes = itemSizeBytes(item);
  if (bytes > DYNAMODB_ITEM_LIMIT_BYTES * 0.9) {
    throw new Error(`state item ${String(item.sk)} would be ${bytes} bytes, too close to DynamoDB's ${DYNAMODB_ITEM_LIMIT_BYTES}-byte limit`);
  }
}

/** Every item of the cluster whose sort key starts with `prefix` (one item type), in sort-key order. */
export async function queryPrefix(ctx: DynamoContext, prefix: string, projection?: string[]): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  const names: Record<string, string> = { "#pk": "pk", "#sk": "sk" };
  projection?.forEach((attribute, i) => (names[`#p${i}`] = attribute));
  do {
    const page = await ctx.doc.send(
      new QueryCommand({
        TableName: ctx.tableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ":pk": ctx.pk(prefix), ":prefix": prefix },
        ...(projection ? { ProjectionExpression: projection.map((_, i) => `#p${i}`).join(",") } : {}),
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((page.Items ?? []) as Item[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

/** BatchWriteItem in chunks of 25, resubmitting whatever DynamoDB leaves unprocessed. */
export async function batchWrite(ctx: DynamoContext, requests: WriteRequest[]): Promise<void> {
  for (let start = 0; start < requests.length; start += 25) {
    let pending: WriteRequest[] = requests.slice(start, start + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt > 8) throw new Error(`DynamoDB left ${pending.length} writes unprocessed after ${attempt} attempts`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      }
      const out = await ctx.doc.send(new BatchWriteCommand({ RequestItems: { [ctx.tableName]: pending } }));
      pending = (out.UnprocessedItems?.[ctx.tableName] ?? []) as WriteRequest[];
    }
  }
}
