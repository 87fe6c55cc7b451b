import { describe, expect, it } from "vitest";
import { DEFAULT_FUNCTIONS, readConfig } from "../../infra/config.ts";
import { InputError } from "../../lib/errors.ts";
import { buildTestApp, NODE_ROLE } from "./support.ts";

const reader = (context: Record<string, unknown>) => (key: string) => context[key];

function problemsOf(context: Record<string, unknown>, env: Record<string, string> = {}): string[] {
  try {
    readConfig(reader(context), env);
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => `${p.path}: ${p.reason}`);
    throw error;
  }
  return [];
}

describe("readConfig", () => {
  it("fails with a clear error naming the missing cluster and how to pass it", () => {
    const problems = problemsOf({ nodeRoleArns: NODE_ROLE });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^cluster: is required/);
    expect(problems[0]).toContain("-c cluster=");
  });

  it("accepts Karpenter's preferencePolicy and minValuesPolicy words, and names the key otherwise", () => {
    expect(problemsOf({ cluster: "demo", nodeRoleArns: NODE_ROLE, preferencePolicy: "ignore", minValuesPolicy: "Lax" })).toEqual([
      'preferencePolicy: "ignore" is not one of Respect, Ignore',
      'minValuesPolicy: "Lax" is not one of Strict, BestEffort',
    ]);
    expect(readConfig(reader({ cluster: "demo", nodeRoleArns: NODE_ROLE }))).toMatchObject({ preferencePolicy: undefined, minValuesPolicy: undefined });
    expect(readConfig(reader({ cluster: "demo", nodeRoleArns: NODE_ROLE, preferencePolicy: "Ignore", minValuesPolicy: "BestEffort" }))).toMatchObject({ preferencePolicy: "Ignore", minValuesPolicy: "BestEffort" });
  });

  it("accepts Karpenter's featureGates syntax, and names the gate it does not know", () => {
    expect(problemsOf({ cluster: "demo", nodeRoleArns: NODE_ROLE, featureGates: "SpotToSpot=true" })).toEqual(['featureGates: unknown feature gate "SpotToSpot" (Tenon knows SpotToSpotConsolidation)']);
    expect(readConfig(reader({ cluster: "demo", nodeRoleArns: NODE_ROLE, featureGates: "SpotToSpotConsolidation=true" }))).toMatchObject({ featureGates: "SpotToSpotConsolidation=true" });
  });

  it("publishes Karpenter's metrics unless karpenterMetrics is false, and names the key when it is not a boolean", () => {
    expect(readConfig(reader({ cluster: "demo", nodeRoleArns: NODE_ROLE }))).toMatchObject({ karpenterMetrics: true });
    expect(readConfig(reader({ cluster: "demo", nodeRoleArns: NODE_ROLE, karpenterMetrics: "false" }))).toMatchObject({ karpenterMetrics: false });
    expect(problemsOf({ cluster: "demo", nodeRoleArns: NODE_ROLE, karpenterMetrics: "off" })).toEqual(['karpenterMetrics: "off" is not true or false']);
  });

  it("accepts nodeClaimMirror auto, on or off, and names the key otherwise", () => {
    expect(problemsOf({ cluster: "demo", nodeRoleArns: NODE_ROLE, nodeClaimMirror: "yes" })).toEqual(['nodeClaimMirror: "yes" is not one of auto, on, off']);
    expect(readConfig(reader({ cluster: "demo", nodeRoleArns: NODE_ROLE, nodeClaimMirror: "on" }))).toMatchObject({ nodeClaimMirror: "on" });
  });

  it("accepts mode live or shadow and a whole number of journal days, and names the key otherwise", () => {
    expect(problemsOf({ cluster: "demo", nodeRoleArns: NODE_ROLE, mode: "dry-run", journalTtlDays: "0" })).toEqual([
      'mode: "dry-run" is not one of live, shadow',
      'journalTtlDays: "0" is not a whole number of days >= 1',
    ]);
    expect(readConfig(reader({ cluster: "demo", nodeRoleArns: NODE_ROLE }))).toMatchObject({ mode: "live", journalTtlDays: undefined });
    expect(readConfig(reader({ cluster: "demo", nodeRoleArns: NODE_ROLE, mode: "shadow", journalTtlDays: 30 }))).toMatchObject({ mode: "shadow", journalTtlDays: 30 });
  });

  it("accepts instanceCatalog auto, live or bundled, and names the key otherwise", () => {
    expect(problemsOf({ cluster: "demo", nodeRoleArns: NODE_ROLE, instanceCatalog: "online" })).toEqual(['instanceCatalog: "online" is not one of auto, live, bundled']);
    expect(readConfig(reader({ cluster: "demo", nodeRoleArns: NODE_ROLE, instanceCatalog: "live" }))).toMatchObject({ instanceCatalog: "live" });
  });

  it("the app refuses to build without a cluster, with the same message", () => {
    expect(() => buildTestApp({ nodeRoleArns: NODE_ROLE })).toThrow(/CDK context: cluster: is required/);
  });

  it("derives table, audit log group and functions from the cluster name", () => {
    const config = readConfig(reader({ cluster: "prod-1", nodeRoleArns: NODE_ROLE }));
    expect(config.tableName).toBe("tenon-prod-1");
    expect(config.auditLogGroup).toBe("/aws/eks/prod-1/cluster");
    expect(config.enableAuditSubscription).toBe(true);
    expect(config.functions).toEqual(DEFAULT_FUNCTIONS);
    // All six by default: consolidation and drift are part of the autoscaler, not an extra.
    expect(config.functions).toEqual(["batcher", "provisioner", "lifecycle", "interruption", "consolidator", "drift"]);
    expect(config.logRetentionDays).toBe(30);
  });

  it("reads lists and booleans both as command-line strings and as cdk.json JSON", () => {
    const fromCli = readConfig(
      reader({ cluster: "c", nodeRoleArns: `${NODE_ROLE}, arn:aws:iam::123456789012:role/path/Other`, enableAuditSubscription: "false", functions: "drift,batcher" }),
    );
    const fromJson = readConfig(
      reader({ cluster: "c", nodeRoleArns: [NODE_ROLE, "arn:aws:iam::123456789012:role/path/Other"], enableAuditSubscription: false, functions: ["drift", "batcher"] }),
    );
    for (const config of [fromCli, fromJson]) {
      expect(config.nodeRoleArns).toEqual([NODE_ROLE, "arn:aws:iam::123456789012:role/path/Other"]);
      expect(config.enableAuditSubscription).toBe(false);
      // Canonical order, whatever order was given.
      expect(config.functions).toEqual(["batcher", "drift"]);
    }
  });

  it("takes account and region from context first, then from the CDK environment", () => {
    const env = { CDK_DEFAULT_ACCOUNT: "111111111111", CDK_DEFAULT_REGION: "eu-west-1" };
    expect(readConfig(reader({ cluster: "c", functions: "batcher" }), env)).toMatchObject({ account: "111111111111", region: "eu-west-1" });
    expect(readConfig(reader({ cluster: "c", functions: "batcher", account: "222222222222", region: "us-west-2" }), env)).toMatchObject({
      account: "222222222222",
      region: "us-west-2",
    });
    expect(readConfig(reader({ cluster: "c", functions: "batcher" }), {})).toMatchObject({ account: undefined, region: undefined });
  });

  it("requires node roles only when a launching function is deployed", () => {
    expect(problemsOf({ cluster: "c" })).toEqual([expect.stringMatching(/^nodeRoleArns: is required when provisioner, consolidator, drift are deployed/)]);
    expect(problemsOf({ cluster: "c", functions: "batcher,provisioner" })).toEqual([expect.stringMatching(/^nodeRoleArns: is required when provisioner is deployed/)]);
    expect(problemsOf({ cluster: "c", functions: "batcher,interruption" })).toEqual([]);
  });

  it("rejects wildcard or malformed node role ARNs, so PassRole can never cover every role", () => {
    expect(problemsOf({ cluster: "c", nodeRoleArns: "arn:aws:iam::123456789012:role/*" })).toEqual([
      expect.stringMatching(/^nodeRoleArns\[0\]: .*no wildcards/),
    ]);
    expect(problemsOf({ cluster: "c", nodeRoleArns: "*" })).toHaveLength(1);
    expect(problemsOf({ cluster: "c", nodeRoleArns: "arn:aws:iam::123456789012:user/bob" })).toHaveLength(1);
  });

  it("rejects a node role from another account than the one deployed to", () => {
    expect(problemsOf({ cluster: "c", nodeRoleArns: NODE_ROLE, account: "999999999999" })).toEqual([
      expect.stringMatching(/^nodeRoleArns\[0\]: .*belongs to account 123456789012, but the stack deploys to 999999999999/),
    ]);
    expect(problemsOf({ cluster: "c", nodeRoleArns: NODE_ROLE, account: "123456789012" })).toEqual([]);
  });

  it("reports every bad value at once, each with its key", () => {
    const problems = problemsOf({
      cluster: "bad name!",
      region: "Mars",
      account: "12",
      kubernetesVersion: "v1.30",
      enableAuditSubscription: "yes",
      functions: "batcher,scheduler",
      logRetentionDays: "10",
      alarmTopicArn: "topic",
      nodeRoleArns: NODE_ROLE,
    });
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual(
      ["cluster", "account", "region", "kubernetesVersion", "enableAuditSubscription", "functions", "logRetentionDays", "alarmTopicArn"].sort(),
    );
    expect(problems.find((p) => p.startsWith("functions"))).toContain('unknown function "scheduler"');
  });
});
