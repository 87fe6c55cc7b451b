/**
 * The decision journal in DynamoDB (docs/explain.md): the entry under `JOURNAL#at#<ms>#<id>` and
 * one small index item per subject under `JOURNAL#about#<kind>#<name>#<ms>#<id>` that names the
 * entry's sort key; all carry the table's TTL attribute. A time range is one Query on the entries;
 * a subject's story is one Query on its index items and a BatchGet of the entries they name.
 */
import { BatchGetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { JournalEntry, JournalQuery } from "../../ports/journal.ts";
import { checkJournalQuery, encodeJournalEntry } from "../journal-codec.ts";
import { journalEntryRange, journalSubjectRange } from "../keys.ts";
import { TABLE_SCHEMA } from "./table.ts";
import { assertItemFits, batchWrite, type DynamoContext, type Item } from "./context.ts";

const seconds = (ms: number): number => Math.ceil(ms / 1000);

export async function putJournalEntry(ctx: DynamoContext, entry: JournalEntry, expiresAtMs: number): Promise<void> {
  const { sk, body, subjectSks } = encodeJournalEntry(entry, expiresAtMs);
  const ttl = seconds(expiresAtMs);
  const item: Item = { pk: ctx.pk(sk), sk, kind: "JournalEntry", flow: entry.flow, content: body, [TABLE_SCHEMA.ttlAttribute]: ttl };
  assertItemFits(item);
  await ctx.doc.send(new PutCommand({ TableName: ctx.tableName, Item: item }));
  if (subjectSks.length > 0) {
    await batchWrite(ctx, subjectSks.map((subjectSk) => ({ PutRequest: { Item: { pk: ctx.pk(subjectSk), sk: subjectSk, kind: "JournalIndex", entry: sk, [TABLE_SCHEMA.ttlAttribute]: ttl } } })));
  }
}

async function queryNewestFirst(ctx: DynamoContext, lo: string, hi: string, limit: number, nowMs: number): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ctx.doc.send(
      new QueryCommand({
        TableName: ctx.tableName,
        KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :lo AND :hi",
        ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
        ExpressionAttributeValues: { ":pk": ctx.pk(lo), ":lo": lo, ":hi": hi },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    // DynamoDB deletes expired items lazily (DynamoDB Local never): readers compare expiry themselves.
    for (const item of (page.Items ?? []) as Item[]) if (Number(item[TABLE_SCHEMA.ttlAttribute]) * 1000 > nowMs) items.push(item);
    startKey = page.LastEvaluatedKey;
  } while (startKey && items.length < limit);
  return items.slice(0, limit);
}

export async function listJournal(ctx: DynamoContext, query: JournalQuery, nowMs: number): Promise<JournalEntry[]> {
  const limit = checkJournalQuery(query);
  if (!query.subject) {
    const [lo, hi] = journalEntryRange(query.fromMs, query.toMs);
    return (await queryNewestFirst(ctx, lo, hi, limit, nowMs)).map((item) => JSON.parse(item.content as string) as JournalEntry);
  }
  const [lo, hi] = journalSubjectRange(query.subject.kind, query.subject.name, query.fromMs, query.toMs);
  const pointers = (await queryNewestFirst(ctx, lo, hi, limit, nowMs)).map((item) => item.entry as string);
  const bySk = new Map<string, Item>();
  for (let start = 0; start < pointers.length; start += 100) {
    let keys: Array<Record<string, unknown>> = pointers.slice(start, start + 100).map((sk) => ({ pk: ctx.pk(sk), sk }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > 8) throw new Error(`DynamoDB left ${keys.length} journal entries unread after ${attempt} attempts`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      const out = await ctx.doc.send(new BatchGetCommand({ RequestItems: { [ctx.tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of (out.Responses?.[ctx.tableName] ?? []) as Item[]) bySk.set(item.sk as string, item);
      keys = (out.UnprocessedKeys?.[ctx.tableName]?.Keys ?? []) as Array<Record<string, unknown>>;
    }
  }
  return pointers.flatMap((sk) => {
    const item = bySk.get(sk);
    return item ? [JSON.parse(item.content as string) as JournalEntry] : [];
  });
}
