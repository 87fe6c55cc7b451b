/**
 * Each function's state-table requests, on DynamoDB Local through the real store, stay inside the
 * item types its role is granted (infra/function-specs.ts `table`, which the stack turns into
 * dynamodb:LeadingKeys conditions). A flow that starts using another type fails here before it
 * fails with AccessDenied in an account.
 */
import type { ServiceInputTypes, ServiceOutputTypes } from "@aws-sdk/client-dynamodb";
import type { BuildMiddleware, HttpRequest } from "@smithy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handler as interruption } from "../../functions/interruption/handler.ts";
import { FUNCTION_SPECS } from "../../infra/function-specs.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld } from "../../lib/wiring/in-memory.ts";
import { createDynamoDbStore } from "../../lib/store/dynamodb/dynamodb-store.ts";
import { clusterPk } from "../../lib/store/keys.ts";
import { TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS } from "../../infra/policies.ts";
import { localClient, startDynamoDbLocal, type DynamoDbLocal } from "../support/dynamodb.ts";
import {
  addWebWorkload,
  auditPayloadForUnschedulable,
  callBatcher,
  CLUSTER,
  deliverNextMessages,
  lambdaContext,
  runWithLifecycleTicks,
  sqsEvent,
  useInstalledRuntime,
} from "../support/world.ts";

const install = useInstalledRuntime();
let dynamo: DynamoDbLocal;
beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
});
afterAll(async () => {
  await dynamo?.stop();
});

type Access = { action: string; type: string };

/** Every partition key a DynamoDB request names, from the request body. */
function partitionsOf(body: Record<string, unknown>): string[] {
  const pks: string[] = [];
  const pk = (item: unknown) => (item as { pk?: { S?: string } } | undefined)?.pk?.S;
  for (const p of [pk(body["Key"]), pk(body["Item"]), (body["ExpressionAttributeValues"] as Record<string, { S?: string }> | undefined)?.[":pk"]?.S]) if (p) pks.push(p);
  for (const requests of Object.values((body["RequestItems"] ?? {}) as Record<string, unknown[] | { Keys?: unknown[] }>)) {
    for (const r of Array.isArray(requests) ? requests : (requests.Keys ?? []).map((k) => ({ DeleteRequest: { Key: k } }))) {
      const w = r as { PutRequest?: { Item: unknown }; DeleteRequest?: { Key: unknown } };
      const p = pk(w.PutRequest?.Item) ?? pk(w.DeleteRequest?.Key);
      if (p) pks.push(p);
    }
  }
  return pks;
}

describe("state-table access per function, on DynamoDB Local", () => {
  it("batcher, provisioner, lifecycle and interruption touch only the item types their roles allow", async () => {
    const client = localClient(dynamo.endpoint);
    let current: keyof typeof FUNCTION_SPECS | undefined;
    const seen = new Map<string, Set<string>>();
    const record: BuildMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
      const request = args.request as HttpRequest;
      const action = `dynamodb:${String(request.headers["x-amz-target"] ?? "").split(".")[1]}`;
      const prefix = `${clusterPk(CLUSTER)}#`;
      for (const pk of partitionsOf(JSON.parse(String(request.body ?? "{}")) as Record<string, unknown>)) {
        const key = current ?? "setup";
        seen.set(key, (seen.get(key) ?? new Set()).add(`${action} ${pk.startsWith(prefix) ? pk.slice(prefix.length) : pk}`));
      }
      return next(args);
    };
    client.middlewareStack.add(record, { step: "build", name: "recordPartitions" });
    const store = createDynamoDbStore({ client, tableName: await dynamo.createTable(), clusterName: CLUSTER });
    const w = simulatedWorld({ clusterName: CLUSTER, store });
    addWebWorkload(w, 4, { nodePoolRequirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }] });
    install(fixedRuntime(w.ports));
    await w.cluster.advance(3_000);

    current = "batcher";
    await callBatcher(auditPayloadForUnschedulable(w));
    current = "provisioner";
    await deliverNextMessages(w);
    current = "lifecycle";
    await runWithLifecycleTicks(w, 90_000);
    current = "interruption";
    const [instance] = await w.cloud.list();
    const detail = { "instance-id": instance!.instanceId, "instance-action": "terminate" };
    const body = JSON.stringify({ version: "0", id: "e-1", "detail-type": "EC2 Spot Instance Interruption Warning", source: "aws.ec2", account: "1", time: "2026-01-01T00:00:00Z", region: "us-east-1", resources: [], detail });
    expect(await interruption(sqsEvent([{ id: "spot", body }]), lambdaContext("interruption"))).toEqual({ batchItemFailures: [] });

    if (process.env["SHOW_TABLE_ACCESS"]) console.log(JSON.stringify([...seen].map(([k, v]) => [k, [...v].sort()])));
    for (const name of ["batcher", "provisioner", "lifecycle", "interruption"] as const) {
      const accesses: Access[] = [...(seen.get(name) ?? [])].map((a) => ({ action: a.split(" ")[0]!, type: a.split(" ")[1]! }));
      expect(accesses.length, name).toBeGreaterThan(0);
      const { read, write } = FUNCTION_SPECS[name].table;
      for (const { action, type } of accesses) {
        const allowed = (TABLE_WRITE_ACTIONS as readonly string[]).includes(action) ? (write as readonly string[]) : (TABLE_READ_ACTIONS as readonly string[]).includes(action) ? (read as readonly string[]) : [];
        expect(allowed, `${name}: ${action} on ${type}`).toContain(type);
      }
    }
    client.destroy();
  });
});
