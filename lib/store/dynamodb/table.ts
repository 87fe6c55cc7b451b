/**
 * The state table's definition, used by the CDK stack and by tests, so both build the same table:
 * string keys `pk`/`sk`, on-demand billing, and a TTL attribute `expiresAt` (epoch seconds) that
 * lets DynamoDB delete expired unavailable-offering items lazily. Readers never rely on that
 * deletion (it can lag for days, and DynamoDB Local never does it): they compare expiry themselves.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type UpdateTimeToLiveCommandInput,
} from "@aws-sdk/client-dynamodb";

export const TABLE_SCHEMA = {
  partitionKey: "pk",
  sortKey: "sk",
  /** Epoch seconds; DynamoDB's TTL format. */
  ttlAttribute: "expiresAt",
  billingMode: "PAY_PER_REQUEST",
} as const;

export interface TableDefinition {
  createTable: CreateTableCommandInput;
  timeToLive: UpdateTimeToLiveCommandInput;
}

export function createTableDefinition(tableName: string): TableDefinition {
  return {
    createTable: {
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: "S" },
        { AttributeName: TABLE_SCHEMA.sortKey, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: "HASH" },
        { AttributeName: TABLE_SCHEMA.sortKey, KeyType: "RANGE" },
      ],
      BillingMode: TABLE_SCHEMA.billingMode,
    },
    timeToLive: {
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
    },
  };
}

/** Creates the table, waits until it is ACTIVE, then enables TTL (local setups and tests). */
export async function createTable(client: DynamoDBClient, tableName: string, pollMs = 100): Promise<void> {
  const definition = createTableDefinition(tableName);
  await client.send(new CreateTableCommand(definition.createTable));
  for (let attempt = 0; attempt < 600; attempt++) {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (described.Table?.TableStatus === "ACTIVE") {
      await client.send(new UpdateTimeToLiveCommand(definition.timeToLive));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`DynamoDB table ${tableName} did not become ACTIVE`);
}
