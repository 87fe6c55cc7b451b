/**
 * The six handlers' event handling on a simulated world with an in-memory store: what each
 * accepts, rejects and reports (the DynamoDB-backed end-to-end flow is in test/e2e).
 */
import type { SQSBatchResponse } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { handler as consolidator } from "../../functions/consolidator/handler.ts";
import { handler as drift } from "../../functions/drift/handler.ts";
import { handler as interruption } from "../../functions/interruption/handler.ts";
import { installRuntime } from "../../lib/wiring/runtime.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { METRIC } from "../../lib/ports/telemetry.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { configSk, itemPk } from "../../lib/store/keys.ts";
import { auditPayloadForUnschedulable, awslogsEvent, callBatcher, callProvisioner, CLUSTER, deliverNextMessages, lambdaContext, runWithLifecycleTicks, scheduledTick, sqsEvent, web } from "../support/world.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});

async function world(replicas: number, nodePoolRequirements: unknown[] = [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }]): Promise<SimulatedWorld> {
  const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
  w.cluster.putCustomObject("NodePool", nodePoolObject("default", nodePoolRequirements));
  w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(CLUSTER));
  if (replicas > 0) w.cluster.addWorkload(web(replicas));
  uninstall = installRuntime(fixedRuntime(w.ports));
  await w.cluster.advance(3_000);
  return w;
}

const forwarded = (detail: unknown) => ({ version: "0", id: "f-1", source: "tenon.kubernetes", "detail-type": "Pod Unschedulable", time: "2026-01-01T00:00:00Z", detail });

describe("batcher handler", () => {
  it("rejects a payload it can't read, counts it, and schedules nothing", async () => {
    const w = await world(0);
    const report = await callBatcher({ awslogs: { data: "not-base64-gzip" } });
    expect(report).toMatchObject({ kind: "rejected", reason: expect.stringMatching(/^not a CloudWatch Logs subscription payload/) });
    expect(w.telemetry.total(METRIC.rejectedEvents)).toBe(1);
    expect(w.queue.history()).toEqual([]);
  });

  it("ignores a CONTROL_MESSAGE", async () => {
    const w = await world(0);
    expect(await callBatcher(awslogsEvent(["CWL CONTROL MESSAGE"], "CONTROL_MESSAGE"))).toEqual({ kind: "ignored", control: true });
    expect(await w.ports.store.getBatchWindow()).toBeUndefined();
  });

  it("opens one window per batch: the first signal schedules the provisioner after the idle window, later ones join it", async () => {
    const w = await world(0);
    const now = w.ports.clock.now();
    expect(await callBatcher(forwarded({ cluster: CLUSTER, namespace: "default", name: "a" }))).toEqual({ kind: "recorded", pods: 1, opened: true });
    expect(await callBatcher(forwarded({ cluster: CLUSTER, pods: [{ name: "b" }, { name: "c" }] }))).toEqual({ kind: "recorded", pods: 2, opened: false });
    expect(w.queue.history().map((m) => ({ due: m.dueAtMs - now, reason: m.message.reason }))).toEqual([{ due: 1_000, reason: "window-opened" }]);
    expect((await w.ports.store.getBatchWindow())?.podCount).toBe(3);
  });

  it("ignores forwarded events for another cluster", async () => {
    const w = await world(0);
    expect(await callBatcher(forwarded({ cluster: "someone-else", name: "a" }))).toEqual({ kind: "ignored", control: false });
    expect(w.queue.history()).toEqual([]);
  });
});

describe("provisioner handler", () => {
  it("fails only the SQS records that are not batch-ready messages and still provisions for the good ones", async () => {
    const w = await world(6);
    const response = (await callProvisioner(sqsEvent([
      { id: "good", body: JSON.stringify({ kind: "batch-ready", firstSeenAtMs: 0, reason: "window-opened" }) },
      { id: "bad", body: "{\"kind\":\"something-else\"}" },
      { id: "worse", body: "not json" },
    ]))) as SQSBatchResponse;
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "bad" }, { itemIdentifier: "worse" }]);
    expect((await w.cloud.list()).length).toBeGreaterThan(0);
    expect(w.telemetry.total(METRIC.podsPending)).toBe(6);
  });

  it("re-queues the batch when another run holds the provisioning lease, and launches nothing", async () => {
    const w = await world(6);
    await w.ports.store.acquireLease("provisioner", "someone-else", 60_000, w.ports.clock.now());
    const response = await callProvisioner(sqsEvent([{ id: "m", body: JSON.stringify({ kind: "batch-ready", firstSeenAtMs: 0, reason: "window-opened" }) }]));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await w.cloud.list()).toEqual([]);
    expect(w.queue.history().map((m) => m.message.reason)).toEqual(["lease-busy"]);
  });

  it("tells pods no NodePool can hold why, with a FailedScheduling event", async () => {
    const w = await world(0);
    w.cluster.addPod({ metadata: { name: "huge", namespace: "default" }, spec: { containers: [{ name: "app", resources: { requests: { cpu: "4000" } } }] } });
    await w.cluster.advance(2_000);
    await callProvisioner(scheduledTick);
    const failed = w.cluster.events({ source: "tenon", reason: "FailedScheduling" });
    expect(failed.map((e) => e.involvedObject.name)).toEqual(["huge"]);
    expect(failed[0]!.message).toMatch(/default/);
    expect(await w.cloud.list()).toEqual([]);
  });

  it("keeps a NodePool within its cpu limit across runs, counting capacity still in flight", async () => {
    const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
    w.cluster.putCustomObject("NodePool", nodePoolObject("default", [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }], { limits: { cpu: "16" } }));
    w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(CLUSTER));
    w.cluster.addWorkload(web(50));
    uninstall = installRuntime(fixedRuntime(w.ports));
    await w.cluster.advance(3_000);

    await callProvisioner(scheduledTick);
    const first = await w.ports.store.listNodeClaims();
    const cpu = (records: typeof first) => records.reduce((sum, r) => sum + Number.parseInt(r.nodeClaim.status?.capacity?.["cpu"] ?? "0", 10), 0);
    expect(first.length).toBeGreaterThan(0);
    expect(cpu(first)).toBeLessThanOrEqual(16);
    await callProvisioner(scheduledTick);
    expect(await w.ports.store.listNodeClaims()).toHaveLength(first.length);
    expect(w.cluster.events({ source: "tenon", reason: "FailedScheduling" }).length).toBeGreaterThan(0);
  });

  it("uses NodePools and EC2NodeClasses stored in the table, and skips an invalid stored one without failing", async () => {
    const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
    const now = w.ports.clock.now();
    await w.ports.store.putConfigObject("NodePool", "default", nodePoolObject("default"), now);
    await w.ports.store.putConfigObject("NodePool", "bad", { ...nodePoolObject("bad"), spec: { template: {} } }, now);
    await w.ports.store.putConfigObject("EC2NodeClass", "default", nodeClassObject(CLUSTER), now);
    w.cluster.addWorkload(web(4));
    uninstall = installRuntime(fixedRuntime(w.ports));
    await w.cluster.advance(3_000);

    await callProvisioner(scheduledTick);
    expect((await w.ports.store.listNodeClaims()).length).toBeGreaterThan(0);
    expect(w.telemetry.logs.some((l) => l.level === "warn" && l.message === "NodePool bad is invalid and is skipped")).toBe(true);
  });

  it("skips a NodePool whose EC2NodeClass finds no subnets, and says why", async () => {
    const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
    w.cluster.putCustomObject("NodePool", nodePoolObject("default"));
    w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(CLUSTER, { subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "nobody" } }] }));
    w.cluster.addWorkload(web(4));
    uninstall = installRuntime(fixedRuntime(w.ports));
    await w.cluster.advance(3_000);

    await callProvisioner(scheduledTick);
    expect(await w.cloud.list()).toEqual([]);
    expect(w.telemetry.logs.find((l) => l.message.startsWith("NodePool default: EC2NodeClass default is not ready"))?.message).toMatch(/Subnets/);
  });

  it("rejects events that are neither SQS nor its scheduled tick", async () => {
    const w = await world(0);
    expect(await callProvisioner({ hello: "world" })).toEqual({ rejected: "neither an SQS event nor a scheduled tick" });
    expect(w.telemetry.total(METRIC.rejectedEvents)).toBe(1);
  });
});

describe("interruption handler", () => {
  const ec2Event = (detailType: string, detail: unknown, id = "e-1") =>
    JSON.stringify({ version: "0", id, "detail-type": detailType, source: "aws.ec2", account: "123456789012", time: "2026-01-01T00:00:00Z", region: "us-east-1", resources: [], detail });

  async function runningWorld() {
    const w = await world(4, [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }]);
    await callBatcher(auditPayloadForUnschedulable(w));
    await deliverNextMessages(w);
    await runWithLifecycleTicks(w, 90_000);
    const [instance] = await w.cloud.list();
    const node = w.cluster.nodes().find((n) => n.spec.providerID === instance!.providerId)!;
    return { w, instance: instance!, node };
  }

  it("on a Spot interruption marks the offering unavailable, taints and deletes the node (the finalizer holds it), marks the record Terminating, records events, wakes the provisioner", async () => {
    const { w, instance, node } = await runningWorld();
    const response = await interruption(
      sqsEvent([{ id: "spot", body: ec2Event("EC2 Spot Instance Interruption Warning", { "instance-id": instance.instanceId, "instance-action": "terminate" }) }]),
      lambdaContext("interruption"),
    );
    expect(response).toEqual({ batchItemFailures: [] });
    const after = w.cluster.node(node.metadata.name)!;
    expect(after.metadata.deletionTimestamp).toBeDefined();
    expect(after.spec.taints).toContainEqual({ key: "karpenter.sh/disrupted", effect: "NoSchedule" });
    expect((await w.ports.store.listNodeClaims()).find((r) => r.launch.instanceId === instance.instanceId)?.phase).toBe("Terminating");
    const unavailable = await w.ports.store.listUnavailable(w.ports.clock.now());
    expect(unavailable).toContainEqual(expect.objectContaining({ instanceType: instance.instanceType, zone: instance.zone, capacityType: "spot" }));
    expect(w.cluster.events({ source: "tenon", reason: "SpotInterrupted" }).map((e) => e.involvedObject.name)).toEqual([node.metadata.name]);
    expect(w.cluster.events({ source: "tenon", reason: "TerminatingOnInterruption" }).map((e) => e.involvedObject.name)).toEqual([node.metadata.name]);
    expect(w.queue.pending().map((m) => m.message.reason)).toEqual(["interruption"]);
  });

  it("drains the node of an instance that is stopping, without marking its offering unavailable", async () => {
    const { w, instance, node } = await runningWorld();
    await interruption(sqsEvent([{ id: "stop", body: ec2Event("EC2 Instance State-change Notification", { "instance-id": instance.instanceId, state: "stopping" }) }]), lambdaContext("interruption"));
    expect(w.cluster.node(node.metadata.name)!.metadata.deletionTimestamp).toBeDefined();
    expect(await w.ports.store.listUnavailable(w.ports.clock.now())).toEqual([]);
    expect(w.cluster.events({ source: "tenon", reason: "InstanceStopping" })).toHaveLength(1);
  });

  it("fails malformed messages (for the dead-letter queue), drops unknown but valid events, and only records an event for a rebalance", async () => {
    const { w, instance, node } = await runningWorld();
    const response = await interruption(
      sqsEvent([
        { id: "broken", body: "{" },
        { id: "bad-detail", body: ec2Event("EC2 Spot Instance Interruption Warning", { "instance-id": "not-an-id" }) },
        { id: "unknown", body: ec2Event("EC2 AMI State Change", { state: "available" }) },
        { id: "rebalance", body: ec2Event("EC2 Instance Rebalance Recommendation", { "instance-id": instance.instanceId }) },
      ]),
      lambdaContext("interruption"),
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(["bad-detail", "broken"]);
    expect(w.cluster.node(node.metadata.name)!.spec.unschedulable).toBeFalsy();
    expect(w.cluster.node(node.metadata.name)!.metadata.deletionTimestamp).toBeUndefined();
    expect(w.cluster.events({ source: "tenon", reason: "SpotRebalanceRecommendation" })).toHaveLength(1);
  });

  it("only records an AWS Health notice for a node Tenon did not launch: no taint, no deletion (issue 17.2)", async () => {
    const { w, node: ours } = await runningWorld();
    // A managed node group's node, beside Tenon's: nothing in the table launched its instance.
    const theirs = w.cluster.addNode({
      metadata: { name: "ip-10-0-9-9.ec2.internal", labels: { "eks.amazonaws.com/nodegroup": "system" } },
      spec: { providerID: "aws:///us-east-1a/i-0feedface0000000" },
      status: { conditions: [{ type: "Ready", status: "True" }] },
    } as never);
    const health = JSON.stringify({
      version: "0", id: "h-1", "detail-type": "AWS Health Event", source: "aws.health", account: "123456789012", time: "2026-01-01T00:00:00Z", region: "us-east-1", resources: [],
      detail: { service: "EC2", eventTypeCategory: "scheduledChange", eventTypeCode: "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED", affectedEntities: [{ entityValue: "i-0feedface0000000" }] },
    });
    const response = await interruption(sqsEvent([{ id: "health", body: health }]), lambdaContext("interruption"));
    expect(response).toEqual({ batchItemFailures: [] });
    const after = w.cluster.node(theirs.metadata.name)!;
    expect(after.metadata.deletionTimestamp).toBeUndefined();
    expect(after.spec.taints ?? []).toEqual([]);
    const events = w.cluster.events({ source: "tenon", reason: "InstanceUnhealthy" });
    expect(events.map((e) => [e.involvedObject.name, e.message])).toEqual([[theirs.metadata.name, expect.stringContaining("not drained: Tenon did not launch this node")]]);
    expect(w.cluster.node(ours.metadata.name)!.metadata.deletionTimestamp).toBeUndefined();
  });
});

describe.each([
  { name: "consolidator", handler: consolidator, controller: "consolidation" },
  { name: "drift", handler: drift, controller: "drift" },
] as const)("$name handler", ({ name, handler, controller }) => {
  const call = (event: unknown) => handler(event, lambdaContext(name));
  const wake = (reason = "command-in-flight") => JSON.stringify({ kind: "disruption-wake", sentAtMs: 0, reason });

  it("runs a disruption pass on its scheduled tick", async () => {
    const w = await world(0);
    const report = await call(scheduledTick);
    expect(report).toMatchObject({ controller, trigger: "tick" });
    expect(report.batchItemFailures).toBeUndefined();
    expect(w.telemetry.total(METRIC.rejectedEvents)).toBe(0);
  });

  it("fails only the SQS records that are not disruption-wake messages (for the dead-letter queue), counts them, and still runs", async () => {
    const w = await world(0);
    const report = await call(sqsEvent([
      { id: "good", body: wake() },
      { id: "other-kind", body: JSON.stringify({ kind: "batch-ready", firstSeenAtMs: 0, reason: "window-opened" }) },
      { id: "not-json", body: "{" },
    ]));
    expect(report).toMatchObject({ controller, trigger: "message" });
    expect(report.batchItemFailures).toEqual([{ itemIdentifier: "other-kind" }, { itemIdentifier: "not-json" }]);
    expect(w.telemetry.total(METRIC.rejectedEvents)).toBe(2);
  });

  it("runs nothing for an SQS batch without a single wake message, and fails every record", async () => {
    const w = await world(0);
    const report = await call(sqsEvent([{ id: "a", body: wake("someday") }, { id: "b", body: "" }]));
    expect(report).toEqual({ rejected: "no disruption-wake message in the SQS batch", batchItemFailures: [{ itemIdentifier: "a" }, { itemIdentifier: "b" }] });
    expect(w.telemetry.total(METRIC.rejectedEvents)).toBe(2);
  });

  it("rejects an event it does not handle, counts it and logs why", async () => {
    const w = await world(0);
    expect(await call({ hello: "world" })).toEqual({ rejected: "neither a scheduled tick, an SQS batch, a DynamoDB stream batch nor CloudWatch Logs" });
    expect(w.telemetry.total(METRIC.rejectedEvents)).toBe(1);
    expect(w.telemetry.logs.some((l) => l.level === "warn" && l.message === `${name} ignored an event it does not handle`)).toBe(true);
  });
});

describe("drift handler on NodePool and EC2NodeClass changes", () => {
  it("runs when the table's stream reports a NodePool item change (what the stack's filter lets through)", async () => {
    await world(0);
    const record = { eventID: "1", eventName: "MODIFY", eventSource: "aws:dynamodb", awsRegion: "us-east-1", dynamodb: { Keys: { pk: { S: itemPk(CLUSTER, "NODEPOOL") }, sk: { S: configSk("NodePool", "default") } }, StreamViewType: "KEYS_ONLY" } };
    expect(await drift({ Records: [record] }, lambdaContext("drift"))).toMatchObject({ controller: "drift", trigger: "config-change" });
  });

  it("runs when the audit-log subscription delivers a NodePool spec patch", async () => {
    await world(0);
    const audit = { kind: "Event", apiVersion: "audit.k8s.io/v1", stage: "ResponseComplete", verb: "patch", user: { username: "someone" }, objectRef: { apiGroup: "karpenter.sh", apiVersion: "v1", resource: "nodepools", name: "default" } };
    expect(await drift(awslogsEvent([audit]), lambdaContext("drift"))).toMatchObject({ controller: "drift", trigger: "config-change" });
  });
});
