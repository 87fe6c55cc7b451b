/**
 * The Lambda wiring of the core ports only (DynamoDB store, SQS queue, clock, settings): what the
 * batcher uses. It carries no EC2, Kubernetes or instance-catalog code, so the batcher's bundle stays
 * small; lib/wiring/aws.ts builds the full ports on top of it.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { CorePorts, FunctionName, Telemetry } from "../observe/ports.ts";
import { wallClock } from "../ports/clock.ts";
import { withoutKarpenterMetrics } from "../ports/telemetry.ts";
import { SqsProvisionerQueue } from "../queue/sqs/sqs-queue.ts";
import { createDynamoDbStore } from "../store/dynamodb/dynamodb-store.ts";
import { randomIds, type Runtime } from "./base.ts";
import { readMode, readSettings, requireEnv, type Env } from "./settings.ts";

export interface AwsCore {
  clusterName: string;
  region: string;
  store: CorePorts["store"];
  /** The container's SQS client, for the other queues the full wiring adds. */
  sqs: SQSClient;
  core(telemetry: Telemetry): CorePorts;
}

export function awsCore(env: Env): AwsCore {
  const clusterName = requireEnv(env, "CLUSTER_NAME", "the EKS cluster this deployment serves");
  const region = requireEnv(env, "AWS_REGION", "set by Lambda");
  const tableName = requireEnv(env, "TABLE_NAME", "the state table");
  const queueUrl = requireEnv(env, "PROVISIONER_QUEUE_URL", "where batch-ready messages go");
  const settings = readSettings(env);
  const mode = readMode(env);
  const store = createDynamoDbStore({ client: new DynamoDBClient({ region }), tableName, clusterName });
  const sqs = new SQSClient({ region });
  const queue = new SqsProvisionerQueue(sqs, queueUrl);
  return { clusterName, region, store, sqs, core: (telemetry) => ({ clusterName, store, queue, clock: wallClock, settings, ids: randomIds, mode, ...telemetry, metrics: settings.karpenterMetrics === "off" ? withoutKarpenterMetrics(telemetry.metrics) : telemetry.metrics }) };
}

/** A runtime that hands out the core ports; asking it for the full ports is a wiring mistake. */
export function awsRuntime(env: Env): Runtime {
  const { core } = awsCore(env);
  return {
    core: async (_fn: FunctionName, telemetry: Telemetry) => core(telemetry),
    full: async (fn: FunctionName) => {
      throw new Error(`${fn} asked for EC2 and Kubernetes ports from the core wiring (lib/wiring/aws-core.ts); its handler must use the full wiring`);
    },
  };
}
