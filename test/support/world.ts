/**
 * Drives the real Lambda handlers against a simulated world: events in (audit-log payloads, SQS
 * deliveries of the in-memory queue's messages, scheduled ticks), the virtual clock moved between
 * them. The store is whatever the test passes (DynamoDB Local in the end-to-end tests).
 */
import { nodeClassObject, nodePoolObject } from "./builders.ts";
import { gzipSync } from "node:zlib";
import type { Context, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { Pod } from "../../lib/api/kubernetes.ts";
import { isMarkedUnschedulable } from "../../lib/ports/cluster.ts";
import type { Store } from "../../lib/ports/store.ts";
import { installRuntime } from "../../lib/wiring/runtime.ts";
import { type Runtime } from "../../lib/wiring/base.ts";
import type { QueuedMessage } from "../../lib/queue/in-memory/memory-queue.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { createDynamoDbStore } from "../../lib/store/dynamodb/dynamodb-store.ts";
import { startDynamoDbLocal, type DynamoDbLocal } from "./dynamodb.ts";
import { handler as batcher } from "../../functions/batcher/handler.ts";
import { handler as lifecycle } from "../../functions/lifecycle/handler.ts";
import { handler as provisioner } from "../../functions/provisioner/handler.ts";
import { handler as consolidator } from "../../functions/consolidator/handler.ts";
import { handler as drift } from "../../functions/drift/handler.ts";
import { handler as interruption } from "../../functions/interruption/handler.ts";

export const CLUSTER = "tenon-e2e";

export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "test",
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** One kube-scheduler `pods/status` patch marking the pod Unschedulable, as the EKS audit log records it. */
export function schedulerPatchAudit(pod: Pick<Pod, "metadata">, extraConditions: unknown[] = []): Record<string, unknown> {
  const namespace = pod.metadata.namespace || "default";
  return {
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "RequestResponse",
    auditID: `audit-${namespace}-${pod.metadata.name}`,
    stage: "ResponseComplete",
    requestURI: `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/status`,
    verb: "patch",
    user: { username: "system:kube-scheduler", groups: ["system:authenticated"] },
    objectRef: { resource: "pods", namespace, name: pod.metadata.name, apiVersion: "v1", subresource: "status" },
    responseStatus: { metadata: {}, code: 200 },
    requestObject: {
      status: {
        conditions: [
          ...extraConditions,
          { type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available: 3 Insufficient cpu." },
        ],
      },
    },
  };
}

/** A CloudWatch Logs subscription event carrying `messages` (audit events as JSON strings). */
export function awslogsEvent(messages: readonly unknown[], messageType: "DATA_MESSAGE" | "CONTROL_MESSAGE" = "DATA_MESSAGE"): { awslogs: { data: string } } {
  const payload = {
    messageType,
    owner: "123456789012",
    logGroup: `/aws/eks/${CLUSTER}/cluster`,
    logStream: "kube-apiserver-audit-0123456789abcdef",
    subscriptionFilters: ["AuditLogToBatcher"],
    logEvents: messages.map((m, i) => ({ id: String(1000 + i), timestamp: 1_700_000_000_000 + i, message: typeof m === "string" ? m : JSON.stringify(m) })),
  };
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString("base64") } };
}

export function sqsEvent(messages: ReadonlyArray<{ id: string; body: string }>): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.id,
      receiptHandle: `rh-${m.id}`,
      body: m.body,
      attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1700000000000", SenderId: "AIDA", ApproximateFirstReceiveTimestamp: "1700000000000" },
      messageAttributes: {},
      md5OfBody: "0",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:provisioner",
      awsRegion: "us-east-1",
    })),
  };
}

export const scheduledTick = { version: "0", id: "tick", "detail-type": "Scheduled Event", source: "aws.events", account: "123456789012", time: "2026-01-01T00:00:00Z", region: "us-east-1", resources: [], detail: {} };

/** The audit payload for every pod kube-scheduler has marked Unschedulable right now. */
export function auditPayloadForUnschedulable(world: SimulatedWorld): { awslogs: { data: string } } | undefined {
  const pods = world.cluster.pods().filter((p) => !p.spec.nodeName && isMarkedUnschedulable(p));
  return pods.length > 0 ? awslogsEvent(pods.map((p) => schedulerPatchAudit(p))) : undefined;
}

export function callBatcher(event: unknown) {
  return batcher(event, lambdaContext("batcher"));
}

export function callProvisioner(event: unknown) {
  return provisioner(event, lambdaContext("provisioner"));
}

/** Delivers interruption-queue messages (EventBridge events as JSON) as one SQS batch to the interruption handler. */
export function callInterruption(messages: ReadonlyArray<{ id: string; body: string }>) {
  return interruption(sqsEvent(messages), lambdaContext("interruption"));
}

export function callLifecycle() {
  return lifecycle(scheduledTick, lambdaContext("lifecycle"));
}

export function callConsolidator(event: unknown = scheduledTick) {
  return consolidator(event, lambdaContext("consolidator"));
}

export function callDrift(event: unknown = scheduledTick) {
  return drift(event, lambdaContext("drift"));
}

/** Delivers the disruption queue's messages due now (if any) to the consolidator as one SQS batch. */
export async function deliverDisruptionMessages(world: SimulatedWorld) {
  const due = world.disruptionQueue.takeDue(world.cluster.clock.now());
  if (due.length === 0) return undefined;
  return callConsolidator(sqsEvent(due.map((m) => ({ id: m.id, body: JSON.stringify(m.message) }))));
}

/** Delivers `messages` as one SQS batch to the provisioner handler. */
export function deliver(messages: readonly QueuedMessage[]) {
  return callProvisioner(sqsEvent(messages.map((m) => ({ id: m.id, body: JSON.stringify(m.message) }))));
}

/** Moves the clock to the next queued message and delivers everything due then. */
export async function deliverNextMessages(world: SimulatedWorld): Promise<QueuedMessage[]> {
  const next = Math.min(...world.queue.pending().map((m) => m.dueAtMs));
  if (!Number.isFinite(next)) return [];
  await world.cluster.clock.advanceTo(next);
  const due = world.queue.takeDue(world.cluster.clock.now());
  await deliver(due);
  return due;
}

/** Lets the world run for `totalMs`, with a lifecycle tick every `tickMs`. */
export async function runWithLifecycleTicks(world: SimulatedWorld, totalMs: number, tickMs = 10_000): Promise<void> {
  for (let elapsed = 0; elapsed < totalMs; elapsed += tickMs) {
    await world.cluster.advance(tickMs);
    await callLifecycle();
  }
}

export function web(replicas: number, cpu = "500m") {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment" as const,
    metadata: { name: "web", namespace: "default" },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", resources: { requests: { cpu, memory: "512Mi" } } }] } },
    },
  };
}

export function runningPods(world: SimulatedWorld): Pod[] {
  return world.cluster.pods().filter((p) => p.spec.nodeName && p.status?.phase === "Running");
}

/** DynamoDB Local for the test file; the returned function makes a store on a fresh table. */
export function useDynamoDbStores(clusterName = CLUSTER): () => Promise<Store> {
  let dynamo: DynamoDbLocal | undefined;
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });
  return async () => {
    if (!dynamo) throw new Error("DynamoDB Local is not running (useDynamoDbStores must be called at the top of the test file)");
    return createDynamoDbStore({ client: dynamo.client, tableName: await dynamo.createTable(), clusterName });
  };
}

/** The returned function installs a test's runtime; it is removed again after the test. */
export function useInstalledRuntime(): (runtime: Runtime) => void {
  let uninstall: (() => void) | undefined;
  afterEach(() => {
    uninstall?.();
    uninstall = undefined;
  });
  return (runtime) => {
    uninstall = installRuntime(runtime);
  };
}

export const ON_DEMAND_ONLY = [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }];

/** What every end-to-end world starts with: NodePool "default" (on-demand only unless told), its EC2NodeClass, the web Deployment. */
export function addWebWorkload(world: SimulatedWorld, replicas: number, options: { clusterName?: string; nodePoolRequirements?: unknown[] } = {}): void {
  world.cluster.putCustomObject("NodePool", nodePoolObject("default", options.nodePoolRequirements ?? ON_DEMAND_ONLY));
  world.cluster.putCustomObject("EC2NodeClass", nodeClassObject(options.clusterName ?? CLUSTER));
  world.cluster.addWorkload(web(replicas));
}

/**
 * A world whose `web` Deployment of `replicas` runs on nodes Tenon provisioned through the real
 * handlers (batcher, provisioner, two minutes of lifecycle ticks), the runtime installed with `install`.
 */
export async function provisionedWorld(install: (runtime: Runtime) => void, replicas: number, store: Store = createMemoryStore({ clusterName: CLUSTER })): Promise<SimulatedWorld> {
  const w = simulatedWorld({ clusterName: CLUSTER, store });
  addWebWorkload(w, replicas);
  install(fixedRuntime(w.ports));
  await w.cluster.advance(3_000);
  await callBatcher(auditPayloadForUnschedulable(w));
  await deliverNextMessages(w);
  await runWithLifecycleTicks(w, 120_000);
  expect(runningPods(w)).toHaveLength(replicas);
  return w;
}
