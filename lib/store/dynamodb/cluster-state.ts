/**
 * Cluster state too large for one item, published as generations: the writer puts its pages
 * under a key unique to (generation, writer), then moves the manifest to them with a conditional
 * write that only ever raises the generation. Readers follow the manifest, so they see one whole
 * generation or retry. See docs/state.md.
 */
import { randomUUID } from "node:crypto";
import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { ClusterState } from "../../ports/store.ts";
import { assertTime, joinPages, paginateEntries } from "../codec.ts";
import { STATE_MANIFEST_SK, STATE_PAGE_PREFIX, assertGeneration, statePagePrefix, statePageSk, statePagesBelow } from "../keys.ts";
import { updateIf } from "./conditional.ts";
import { assertItemFits, batchWrite, queryPrefix, type DynamoContext, type Item } from "./context.ts";

/** A reader retries when a page it needs was swept (two newer generations published meanwhile). */
const READ_ATTEMPTS = 5;

async function getManifest(ctx: DynamoContext): Promise<Item | undefined> {
  const out = await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: { pk: ctx.pk(STATE_MANIFEST_SK), sk: STATE_MANIFEST_SK }, ConsistentRead: true }));
  return out.Item as Item | undefined;
}

export async function putClusterState(ctx: DynamoContext, generation: number, entries: readonly unknown[], nowMs: number): Promise<boolean> {
  assertGeneration(generation);
  assertTime("cluster state", "nowMs", nowMs);
  const pages = paginateEntries(entries);
  const current = await getManifest(ctx);
  if (current && (current.generation as number) >= generation) return false;

  const writerId = randomUUID().replaceAll("-", "").slice(0, 16);
  const pageItems = pages.map((text, index): Item => ({
    pk: ctx.pk(STATE_PAGE_PREFIX),
    sk: statePageSk(generation, writerId, index),
    kind: "ClusterStatePage",
    generation,
    writerId,
    index,
    entries: text,
  }));
  pageItems.forEach(assertItemFits);
  await batchWrite(ctx, pageItems.map((Item) => ({ PutRequest: { Item } })));

  const write = await updateIf(ctx, STATE_MANIFEST_SK, {
    UpdateExpression: "SET #kind = :kind, #generation = :generation, #writerId = :writerId, #pageCount = :pageCount, #entryCount = :entryCount, #writtenAtMs = :now",
    ConditionExpression: "attribute_not_exists(#pk) OR #generation < :generation",
    ExpressionAttributeNames: {
      "#pk": "pk",
      "#kind": "kind",
      "#generation": "generation",
      "#writerId": "writerId",
      "#pageCount": "pageCount",
      "#entryCount": "entryCount",
      "#writtenAtMs": "writtenAtMs",
    },
    ExpressionAttributeValues: {
      ":kind": "ClusterStateManifest",
      ":generation": generation,
      ":writerId": writerId,
      ":pageCount": pages.length,
      ":entryCount": entries.length,
      ":now": nowMs,
    },
    ReturnValues: "ALL_OLD",
  });
  if (!write.written) {
    // A newer generation won; our pages were never visible.
    await batchWrite(ctx, pageItems.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })));
    return false;
  }
  const previous = write.attributes;
  // Keep the previous generation for readers still on it; sweep everything older (including
  // pages of writers that crashed before publishing).
  await sweepPagesBelow(ctx, previous ? (previous.generation as number) : generation);
  return true;
}

async function sweepPagesBelow(ctx: DynamoContext, generation: number): Promise<void> {
  const keys: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await ctx.doc.send(
      new QueryCommand({
        TableName: ctx.tableName,
        KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :low AND :high",
        ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
        ExpressionAttributeValues: { ":pk": ctx.pk(STATE_PAGE_PREFIX), ":low": STATE_PAGE_PREFIX, ":high": statePagesBelow(generation) },
        ProjectionExpression: "#pk, #sk",
        ExclusiveStartKey: startKey,
      }),
    );
    keys.push(...((out.Items ?? []) as Item[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  await batchWrite(ctx, keys.map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } })));
}

export async function getClusterState(ctx: DynamoContext): Promise<ClusterState | undefined> {
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const manifest = await getManifest(ctx);
    if (!manifest) return undefined;
    const generation = manifest.generation as number;
    const pages = await queryPrefix(ctx, statePagePrefix(generation, manifest.writerId as string));
    const complete = pages.length === manifest.pageCount && pages.every((page, i) => page.index === i);
    if (complete) {
      return { generation, writtenAtMs: manifest.writtenAtMs as number, entries: joinPages(pages.map((page) => page.entries as string)) };
    }
  }
  throw new Error(`cluster state: pages kept changing under ${READ_ATTEMPTS} reads; the state is being rewritten faster than it can be read`);
}
