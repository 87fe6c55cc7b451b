import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { InputError } from "../../lib/errors.ts";
import { delaySeconds } from "../../lib/ports/queue.ts";
import { MemoryProvisionerQueue } from "../../lib/queue/in-memory/memory-queue.ts";
import { SqsProvisionerQueue } from "../../lib/queue/sqs/sqs-queue.ts";
import { readMode, readSettings } from "../../lib/wiring/settings.ts";
import { DEFAULT_SETTINGS } from "../../lib/ports/settings.ts";
import { awsCore } from "../../lib/wiring/aws-core.ts";
import { emit, KARPENTER_METRIC, METRIC, RecordingTelemetry } from "../../lib/ports/telemetry.ts";
import { interruptionMessage, nodeClaimCreated } from "../../lib/metrics/karpenter.ts";
import type { NodeClaim } from "../../lib/api/types.ts";

const launched = { apiVersion: "karpenter.sh/v1", kind: "NodeClaim", metadata: { name: "default-abcde", labels: { "karpenter.sh/nodepool": "default", "karpenter.sh/capacity-type": "spot" } }, spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] } } as unknown as NodeClaim;

describe("function settings from the environment", () => {
  it("default to Karpenter's batch window (1 s idle, 10 s max) and 15 minute registration TTL", () => {
    expect(readSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({ batchIdleMs: 1_000, batchMaxMs: 10_000, registrationTtlMs: 900_000 });
  });

  it("take overrides and name each bad variable", () => {
    expect(readSettings({ BATCH_IDLE_MS: "2000", BATCH_MAX_MS: "20000" })).toMatchObject({ batchIdleMs: 2_000, batchMaxMs: 20_000 });
    expect(() => readSettings({ BATCH_IDLE_MS: "soon", LAUNCH_ATTEMPTS: "0" })).toThrow(InputError);
    try {
      readSettings({ BATCH_IDLE_MS: "soon", LAUNCH_ATTEMPTS: "0" });
    } catch (error) {
      expect((error as InputError).message).toBe(
        'environment: BATCH_IDLE_MS: "soon" is not a whole number >= 0\nenvironment: LAUNCH_ATTEMPTS: "0" is not a whole number >= 1',
      );
    }
  });

  it("keep the journal 14 days unless JOURNAL_TTL_DAYS says otherwise (at least 1), and run live unless TENON_MODE=shadow", () => {
    expect(DEFAULT_SETTINGS.journalTtlDays).toBe(14);
    expect(readSettings({ JOURNAL_TTL_DAYS: "30" }).journalTtlDays).toBe(30);
    expect(() => readSettings({ JOURNAL_TTL_DAYS: "0" })).toThrow('environment: JOURNAL_TTL_DAYS: "0" is not a whole number >= 1');
    expect(readMode({})).toBe("live");
    expect(readMode({ TENON_MODE: "shadow" })).toBe("shadow");
    expect(() => readMode({ TENON_MODE: "dry-run" })).toThrow('environment: TENON_MODE: "dry-run" is not one of live, shadow');
  });

  it("take Karpenter's PREFERENCE_POLICY (Respect, Ignore) and MIN_VALUES_POLICY (Strict, BestEffort), Respect and Strict by default", () => {
    expect(readSettings({})).toMatchObject({ preferencePolicy: "Respect", minValuesPolicy: "Strict" });
    expect(readSettings({ PREFERENCE_POLICY: "Ignore", MIN_VALUES_POLICY: "BestEffort" })).toMatchObject({ preferencePolicy: "Ignore", minValuesPolicy: "BestEffort" });
    expect(() => readSettings({ PREFERENCE_POLICY: "ignore", MIN_VALUES_POLICY: "Lax" })).toThrow(
      'environment: PREFERENCE_POLICY: "ignore" is not one of Respect, Ignore\nenvironment: MIN_VALUES_POLICY: "Lax" is not one of Strict, BestEffort',
    );
  });

  it("take Karpenter's FEATURE_GATES (SpotToSpotConsolidation off by default) and refuse gates they don't know", () => {
    expect(readSettings({}).featureGates).toEqual({ spotToSpotConsolidation: false });
    expect(readSettings({ FEATURE_GATES: "SpotToSpotConsolidation=true" }).featureGates).toEqual({ spotToSpotConsolidation: true });
    expect(() => readSettings({ FEATURE_GATES: "SpotToSpotConsolidation=yes,NodeRepair=true" })).toThrow(
      'environment: FEATURE_GATES: "SpotToSpotConsolidation=yes" is not Name=true or Name=false\nenvironment: FEATURE_GATES: unknown feature gate "NodeRepair" (Tenon knows SpotToSpotConsolidation)',
    );
  });

  it("take NODECLAIM_MIRROR auto, on or off, auto by default", () => {
    expect(readSettings({})).toMatchObject({ nodeClaimMirror: "auto" });
    expect(readSettings({ NODECLAIM_MIRROR: "off" })).toMatchObject({ nodeClaimMirror: "off" });
    expect(() => readSettings({ NODECLAIM_MIRROR: "yes" })).toThrow('environment: NODECLAIM_MIRROR: "yes" is not one of auto, on, off');
  });

  it("publish Karpenter's metrics unless KARPENTER_METRICS=off, and Tenon's own either way", () => {
    const env = { CLUSTER_NAME: "demo", AWS_REGION: "us-east-1", TABLE_NAME: "tenon-demo", PROVISIONER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/q" };
    const published = (extra: Record<string, string>) => {
      const telemetry = new RecordingTelemetry();
      const ports = awsCore({ ...env, ...extra }).core({ log: telemetry, metrics: telemetry });
      emit(ports.metrics, [nodeClaimCreated(launched, "provisioning"), interruptionMessage("spot-interruption")]);
      ports.metrics.addMetric(METRIC.nodeClaimsLaunched, "Count", 1);
      return telemetry.metrics.map((m) => m.name);
    };
    expect(readSettings({}).karpenterMetrics).toBe("on");
    expect(published({})).toEqual([KARPENTER_METRIC.nodeClaimsCreated, KARPENTER_METRIC.interruptionMessages, METRIC.nodeClaimsLaunched]);
    expect(published({ KARPENTER_METRICS: "off" })).toEqual([METRIC.nodeClaimsLaunched]);
    expect(() => readSettings({ KARPENTER_METRICS: "false" })).toThrow('environment: KARPENTER_METRICS: "false" is not one of on, off');
  });

  it("refuse a maximum window shorter than the idle window", () => {
    expect(() => readSettings({ BATCH_IDLE_MS: "5000", BATCH_MAX_MS: "1000" })).toThrow(/BATCH_MAX_MS: 1000 is shorter than BATCH_IDLE_MS/);
  });
});

describe("the provisioner queue", () => {
  it("rounds delays up to whole seconds and caps them at SQS's 15 minutes", () => {
    expect(delaySeconds(0)).toBe(0);
    expect(delaySeconds(1)).toBe(1);
    expect(delaySeconds(1_000)).toBe(1);
    expect(delaySeconds(1_001)).toBe(2);
    expect(delaySeconds(3_600_000)).toBe(900);
  });

  it("sends one SQS message with the delay and the message as JSON", async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: "m-1" });
    await new SqsProvisionerQueue(new SQSClient({ region: "us-east-1" }), "https://sqs/q").send({ kind: "batch-ready", firstSeenAtMs: 5, reason: "window-opened" }, 1_000);
    const calls = sqs.commandCalls(SendMessageCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ QueueUrl: "https://sqs/q", DelaySeconds: 1, MessageBody: '{"kind":"batch-ready","firstSeenAtMs":5,"reason":"window-opened"}' });
    sqs.restore();
  });

  it("in memory, hands out messages only once they are due", async () => {
    let now = 0;
    const queue = new MemoryProvisionerQueue(() => now);
    await queue.send({ kind: "batch-ready", firstSeenAtMs: 0, reason: "window-opened" }, 1_500);
    expect(queue.takeDue(1_999)).toEqual([]);
    now = 2_000;
    expect(queue.takeDue(now).map((m) => m.dueAtMs)).toEqual([2_000]);
    expect(queue.pending()).toEqual([]);
  });
});

describe("the Lambda wiring", () => {
  it("names the missing environment variable instead of failing later", async () => {
    const { awsRuntime } = await import("../../lib/wiring/aws.ts");
    expect(() => awsRuntime({ AWS_REGION: "us-east-1", TABLE_NAME: "t", PROVISIONER_QUEUE_URL: "q" })).toThrow(
      "environment: CLUSTER_NAME: is required (the EKS cluster this deployment serves)",
    );
    expect(() => awsRuntime({ CLUSTER_NAME: "c", AWS_REGION: "us-east-1", TABLE_NAME: "t", PROVISIONER_QUEUE_URL: "q", BATCH_MAX_MS: "x" })).toThrow(/BATCH_MAX_MS/);
  });

  it("hands out the installed runtime until it is uninstalled", async () => {
    const { currentRuntime, installRuntime } = await import("../../lib/wiring/runtime.ts");
    const { fixedRuntime } = await import("../../lib/wiring/base.ts");
    const runtime = fixedRuntime({} as never);
    const uninstall = installRuntime(runtime);
    expect(await currentRuntime(() => import("../../lib/wiring/aws.ts"))).toBe(runtime);
    uninstall();
    await expect(currentRuntime(() => import("../../lib/wiring/aws.ts"))).rejects.toThrow(/CLUSTER_NAME/);
  });
});

describe("the Lambda wiring's disruption queue", () => {
  const env = { CLUSTER_NAME: "c", AWS_REGION: "us-east-1", TABLE_NAME: "t", PROVISIONER_QUEUE_URL: "https://sqs/provisioner", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };
  const telemetry = { log: { debug() {}, info() {}, warn() {}, error() {} }, metrics: { addMetric() {} } };

  async function fullPorts(extra: Record<string, string>) {
    const { DescribeClusterCommand, EKSClient } = await import("@aws-sdk/client-eks");
    const eks = mockClient(EKSClient);
    eks.on(DescribeClusterCommand).resolves({
      cluster: { endpoint: "https://k8s.example", certificateAuthority: { data: "Y2E=" }, kubernetesNetworkConfig: { serviceIpv4Cidr: "10.100.0.0/16" }, version: "1.33" },
    });
    const { awsRuntime } = await import("../../lib/wiring/aws.ts");
    try {
      return await awsRuntime({ ...env, ...extra }).full("consolidator", telemetry);
    } finally {
      eks.restore();
    }
  }

  it("is the SQS queue DISRUPTION_QUEUE_URL names, with the delay in whole seconds", async () => {
    const ports = await fullPorts({ DISRUPTION_QUEUE_URL: "https://sqs/disruption" });
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: "m-1" });
    try {
      await ports.disruptionQueue?.send({ kind: "disruption-wake", sentAtMs: 7, reason: "command-in-flight" }, 15_000);
      expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
        { QueueUrl: "https://sqs/disruption", DelaySeconds: 15, MessageBody: '{"kind":"disruption-wake","sentAtMs":7,"reason":"command-in-flight"}' },
      ]);
    } finally {
      sqs.restore();
    }
  });

  it("is absent when the function was not given one (ticks only)", async () => {
    expect((await fullPorts({})).disruptionQueue).toBeUndefined();
  });
});
