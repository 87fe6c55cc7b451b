/** DynamoDB Local reached the way a user's shell reaches a table, for tests that run the CLI. */
import { afterAll, beforeAll } from "vitest";
import { startDynamoDbLocal, type DynamoDbLocal } from "./dynamodb.ts";

/**
 * DynamoDB Local for the whole test file, reached through AWS_ENDPOINT_URL_DYNAMODB and the SDK's
 * default credentials (the CLI opens its own client). Returns a getter: the server exists from
 * `beforeAll` on.
 */
export function useDynamoDbLocalThroughEnv(): () => DynamoDbLocal {
  let local: DynamoDbLocal | undefined;
  beforeAll(async () => {
    local = await startDynamoDbLocal();
    process.env["AWS_ENDPOINT_URL_DYNAMODB"] = local.endpoint;
    process.env["AWS_REGION"] = "us-east-1";
    process.env["AWS_ACCESS_KEY_ID"] = "tenonlocal";
    process.env["AWS_SECRET_ACCESS_KEY"] = "local";
  });
  afterAll(async () => local?.stop());
  return () => {
    if (!local) throw new Error("DynamoDB Local is not running (useDynamoDbLocalThroughEnv must be called at the top of the test file)");
    return local;
  };
}
