/**
 * The Store contract against DynamoDB Local (real conditional writes, real interleaving), plus
 * what only the DynamoDB layout can show: item sizes, the TTL attribute, swept generations.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeleteItemCommand, DescribeTimeToLiveCommand, PutItemCommand, ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { createDynamoDbStore } from "../../lib/store/dynamodb/dynamodb-store.ts";
import { createTableDefinition } from "../../lib/store/dynamodb/table.ts";
import { DYNAMODB_ITEM_LIMIT_BYTES } from "../../lib/store/codec.ts";
import { statePageSk } from "../../lib/store/keys.ts";
import { startDynamoDbLocal, type DynamoDbLocal } from "../support/dynamodb.ts";
import { describeStoreContract } from "./store-contract.ts";
import { claimContent, nodeSummary } from "../support/records.ts";

let local: DynamoDbLocal;

beforeAll(async () => {
  local = await startDynamoDbLocal();
});

afterAll(async () => {
  await local?.stop();
});

describeStoreContract("DynamoDB store", async () =>
  createDynamoDbStore({ client: local.client, tableName: await local.createTable(), clusterName: "test" }),
);

/** DynamoDB's item size: attribute name bytes plus value bytes (strings in UTF-8, numbers as digits). */
function storedSize(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (value.S !== undefined) bytes += Buffer.byteLength(value.S);
    else if (value.N !== undefined) bytes += Math.ceil(value.N.replace(/[-.]/g, "").length / 2) + 1;
    else bytes += Buffer.byteLength(JSON.stringify(value));
  }
  return bytes;
}

async function scanAll(tableName: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await local.client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

describe("DynamoDB store: table layout", () => {
  it("keeps every item of a 5,000-node cluster state far below 400 KB", async () => {
    const tableName = await local.createTable();
    const store = createDynamoDbStore({ client: local.client, tableName, clusterName: "big" });
    await store.putClusterState(1, Array.from({ length: 5_000 }, (_, i) => nodeSummary(i)), 1);
    const items = await scanAll(tableName);
    const pages = items.filter((item) => item.kind?.S === "ClusterStatePage");
    expect(pages.length).toBeGreaterThan(10);
    for (const item of items) {
      expect(storedSize(item)).toBeLessThan(DYNAMODB_ITEM_LIMIT_BYTES / 3);
      // The wire form (type tags, quotes, escapes) is larger still, and also under the limit.
      expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(DYNAMODB_ITEM_LIMIT_BYTES / 2);
    }
    const manifest = items.find((item) => item.sk?.S === "STATE#manifest");
    expect(manifest?.pageCount?.N).toBe(String(pages.length));
  });

  it("keeps the published and previous generations' pages and sweeps older ones and crashed writers' pages", async () => {
    const tableName = await local.createTable();
    const store = createDynamoDbStore({ client: local.client, tableName, clusterName: "c" });
    // A writer that crashed after writing its pages for generation 1, before the manifest.
    await local.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: "CLUSTER#c#STATE" }, sk: { S: statePageSk(1, "crashed", 0) }, kind: { S: "ClusterStatePage" }, generation: { N: "1" }, entries: { S: "[]" } },
      }),
    );
    for (const generation of [1, 2, 3]) await store.putClusterState(generation, [{ generation }], generation);
    const generations = (await scanAll(tableName)).filter((i) => i.kind?.S === "ClusterStatePage").map((i) => Number(i.generation?.N));
    expect(generations.sort()).toEqual([2, 3]);
  });

  it("refuses to return a snapshot with a page missing", async () => {
    const tableName = await local.createTable();
    const store = createDynamoDbStore({ client: local.client, tableName, clusterName: "c" });
    await store.putClusterState(1, Array.from({ length: 400 }, (_, i) => nodeSummary(i)), 1);
    const page = (await scanAll(tableName)).find((i) => i.kind?.S === "ClusterStatePage" && i.index?.N === "1");
    await local.client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: page!.pk!, sk: page!.sk! } }));
    await expect(store.getClusterState()).rejects.toThrow(/cluster state: pages kept changing/);
  });

  it("leaves no pages of losing concurrent writers behind", async () => {
    const tableName = await local.createTable();
    const store = createDynamoDbStore({ client: local.client, tableName, clusterName: "c" });
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((g) => store.putClusterState(g, Array.from({ length: 200 }, (_, i) => nodeSummary(i)), g)));
    const published = [1, 2, 3, 4, 5, 6].filter((_, i) => results[i]);
    const pageGenerations = new Set((await scanAll(tableName)).filter((i) => i.kind?.S === "ClusterStatePage").map((i) => Number(i.generation?.N)));
    expect([...pageGenerations].every((g) => published.includes(g))).toBe(true);
    expect(pageGenerations.has(6)).toBe(true);
  });

  it("writes the TTL attribute in epoch seconds and the table has TTL enabled on it", async () => {
    const tableName = await local.createTable();
    const store = createDynamoDbStore({ client: local.client, tableName, clusterName: "c" });
    await store.markUnavailable({ instanceType: "m5.large", zone: "us-east-1a", capacityType: "spot" }, "ICE", 1_700_000_000_500);
    const [item] = await scanAll(tableName);
    expect(item?.sk?.S).toBe("UNAVAILABLE#m5.large#us-east-1a#spot");
    // Each item type in a partition of its own, so IAM can scope a role to the types it uses.
    expect(item?.pk?.S).toBe("CLUSTER#c#UNAVAILABLE");
    expect(item?.expiresAt?.N).toBe("1700000001");
    const ttl = await local.client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(createTableDefinition(tableName).timeToLive.TimeToLiveSpecification?.AttributeName);
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toMatch(/ENABL/);
  });

  it("keeps clusters sharing a table apart", async () => {
    const tableName = await local.createTable();
    const a = createDynamoDbStore({ client: local.client, tableName, clusterName: "a" });
    const b = createDynamoDbStore({ client: local.client, tableName, clusterName: "b" });
    await a.createNodeClaim(claimContent("n1"), 1);
    expect(await a.acquireLease("provisioner", "x", 1_000, 0)).toBeDefined();
    expect(await b.acquireLease("provisioner", "y", 1_000, 0)).toBeDefined();
    expect(await b.listNodeClaims()).toEqual([]);
    expect((await scanAll(tableName)).map((i) => i.sk?.S)).toContain("NODECLAIM#n1");
  });
});
