import type { CfnElement } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../infra/build-app.ts";
import { disruptedMetric, KARPENTER_METRIC, METRIC, SHADOW_METRIC } from "../../lib/ports/telemetry.ts";
import { createTableDefinition } from "../../lib/store/dynamodb/table.ts";
import { INTERRUPTION_RULES } from "../../lib/cloud/aws/interruption-rules.ts";
import { allows, documentedRules } from "../support/rbac.ts";
import { resourcesOfType, synthTemplate } from "./support.ts";

const WITHOUT_DISRUPTION = "batcher,provisioner,lifecycle,interruption";

/** The logical id of the only resource of a type whose id contains `part`. */
function logicalId(resources: Record<string, unknown>, part: string): string {
  const ids = Object.keys(resources).filter((id) => id.includes(part));
  expect(ids, `one resource named like ${part}`).toHaveLength(1);
  return ids[0] as string;
}

describe("TenonStack with the default functions", () => {
  const { stack, template } = synthTemplate();
  const queueId = (which: "provisioner" | "interruption" | "disruption", dead = false) => {
    const q = stack.queues[which];
    return stack.getLogicalId((dead ? q.deadLetterQueue : q.queue).node.defaultChild as CfnElement);
  };

  it("is named after the cluster", () => {
    expect(stack.stackName).toBe("Tenon-demo");
  });

  it("creates exactly the expected resources", () => {
    template.resourceCountIs("AWS::DynamoDB::Table", 1);
    template.resourceCountIs("AWS::Lambda::Function", 6);
    template.resourceCountIs("AWS::IAM::Role", 6);
    template.resourceCountIs("AWS::Logs::LogGroup", 6);
    // Provisioner, interruption and disruption queues, each with its dead-letter queue.
    template.resourceCountIs("AWS::SQS::Queue", 6);
    // 5 interruption rules + provisioner, lifecycle, consolidator and drift ticks + forwarded pod events.
    template.resourceCountIs("AWS::Events::Rule", 10);
    // Three queues and the table's stream (to drift).
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", 4);
    // The batcher's and the drift checker's: the two a log group allows.
    template.resourceCountIs("AWS::Logs::SubscriptionFilter", 2);
    // Every function that talks to Kubernetes; the batcher only reads the audit log.
    template.resourceCountIs("AWS::EKS::AccessEntry", 5);
    template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
  });

  it("keeps state in one retained, recoverable, on-demand table keyed pk/sk with TTL expiresAt", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: {
        TableName: "tenon-demo",
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        BillingMode: "PAY_PER_REQUEST",
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it("builds the same table as the state store's own definition", () => {
    const { createTable, timeToLive } = createTableDefinition("tenon-demo");
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: createTable.TableName,
      KeySchema: createTable.KeySchema,
      AttributeDefinitions: createTable.AttributeDefinitions,
      BillingMode: createTable.BillingMode,
      TimeToLiveSpecification: timeToLive.TimeToLiveSpecification,
    });
  });

  it("gives every queue that is not itself a dead-letter queue a dead-letter queue, all encrypted and TLS-only", () => {
    const queues = resourcesOfType(template, "AWS::SQS::Queue");
    const deadLetterTargets = new Set<string>();
    for (const [, queue] of Object.entries(queues)) {
      expect(queue.Properties?.["SqsManagedSseEnabled"]).toBe(true);
      const redrive = queue.Properties?.["RedrivePolicy"] as { deadLetterTargetArn: { "Fn::GetAtt": [string, string] } } | undefined;
      if (redrive) deadLetterTargets.add(redrive.deadLetterTargetArn["Fn::GetAtt"][0]);
    }
    const working = Object.keys(queues).filter((id) => !deadLetterTargets.has(id));
    expect(working.sort()).toEqual([queueId("provisioner"), queueId("interruption"), queueId("disruption")].sort());
    expect([...deadLetterTargets].sort()).toEqual([queueId("provisioner", true), queueId("interruption", true), queueId("disruption", true)].sort());

    const policies = resourcesOfType(template, "AWS::SQS::QueuePolicy");
    const protectedQueues = new Set<string>();
    for (const policy of Object.values(policies)) {
      const doc = policy.Properties?.["PolicyDocument"] as { Statement: { Effect: string; Condition?: unknown }[] };
      const deniesPlainText = doc.Statement.some(
        (s) => s.Effect === "Deny" && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { "aws:SecureTransport": "false" } }),
      );
      if (!deniesPlainText) continue;
      for (const q of policy.Properties?.["Queues"] as { Ref: string }[]) protectedQueues.add(q.Ref);
    }
    expect([...protectedQueues].sort()).toEqual(Object.keys(queues).sort());
  });

  it("keeps interruption messages 300 s and retries them inside that window", () => {
    const queues = resourcesOfType(template, "AWS::SQS::Queue");
    const interruption = queues[queueId("interruption")]?.Properties ?? {};
    expect(interruption["MessageRetentionPeriod"]).toBe(300);
    const visibility = interruption["VisibilityTimeout"] as number;
    const maxReceives = (interruption["RedrivePolicy"] as { maxReceiveCount: number }).maxReceiveCount;
    expect(visibility * (maxReceives - 1)).toBeLessThan(300);
  });

  it("makes each SQS visibility timeout at least the consuming function's timeout", () => {
    const queues = resourcesOfType(template, "AWS::SQS::Queue");
    const functions = resourcesOfType(template, "AWS::Lambda::Function");
    for (const [queue, fnPart] of [
      ["provisioner", "FunctionsProvisioner"],
      ["interruption", "FunctionsInterruption"],
      ["disruption", "FunctionsConsolidator"],
    ] as const) {
      const visibility = queues[queueId(queue)]?.Properties?.["VisibilityTimeout"] as number;
      const timeout = functions[logicalId(functions, fnPart)]?.Properties?.["Timeout"] as number;
      expect(visibility).toBeGreaterThanOrEqual(timeout);
    }
  });

  it("routes the five interruption event kinds to the interruption queue", () => {
    const rules = resourcesOfType(template, "AWS::Events::Rule");
    const interruptionQueue = queueId("interruption");
    const toQueue = Object.values(rules).filter((r) =>
      (r.Properties?.["Targets"] as { Arn: unknown }[]).some((t) => JSON.stringify(t.Arn) === JSON.stringify({ "Fn::GetAtt": [interruptionQueue, "Arn"] })),
    );
    const patterns = toQueue.map((r) => r.Properties?.["EventPattern"]);
    expect(patterns).toHaveLength(5);
    expect(patterns).toEqual(
      expect.arrayContaining([
        { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
        { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
        { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] },
        { source: ["aws.health"], "detail-type": ["AWS Health Event"] },
        { source: ["aws.ec2"], "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"] },
      ]),
    );
    // The deployed rules are exactly the shared patterns (the moto tests use the same module).
    expect(patterns).toHaveLength(INTERRUPTION_RULES.length);
    expect(patterns).toEqual(expect.arrayContaining(INTERRUPTION_RULES.map((r) => r.pattern)));
  });

  it("ticks the provisioner, lifecycle and consolidator every minute and the drift checker every five, and nothing else", () => {
    const rules = resourcesOfType(template, "AWS::Events::Rule");
    const functions = resourcesOfType(template, "AWS::Lambda::Function");
    const scheduled = Object.values(rules).filter((r) => r.Properties?.["ScheduleExpression"] !== undefined);
    const targets = Object.fromEntries(
      scheduled.map((r) => {
        const [target] = r.Properties?.["Targets"] as { Arn: { "Fn::GetAtt": [string, string] }; RetryPolicy?: unknown }[];
        expect(target?.RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
        return [target?.Arn["Fn::GetAtt"][0], r.Properties?.["ScheduleExpression"]];
      }),
    );
    expect(targets).toEqual({
      [logicalId(functions, "FunctionsLifecycle")]: "rate(1 minute)",
      [logicalId(functions, "FunctionsProvisioner")]: "rate(1 minute)",
      [logicalId(functions, "FunctionsConsolidator")]: "rate(1 minute)",
      [logicalId(functions, "FunctionsDrift")]: "rate(5 minutes)",
    });
  });

  it("feeds the queues to their functions with partial batch failures", () => {
    const functions = resourcesOfType(template, "AWS::Lambda::Function");
    for (const [fnPart, queue] of [
      ["FunctionsProvisioner", "provisioner"],
      ["FunctionsInterruption", "interruption"],
      ["FunctionsConsolidator", "disruption"],
    ] as const) {
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        FunctionName: { Ref: logicalId(functions, fnPart) },
        EventSourceArn: { "Fn::GetAtt": [queueId(queue), "Arn"] },
        FunctionResponseTypes: ["ReportBatchItemFailures"],
      });
    }
    // Two provisioner and two consolidator pollers at most: the leases do the real exclusion.
    for (const fnPart of ["FunctionsProvisioner", "FunctionsConsolidator"]) {
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        FunctionName: { Ref: logicalId(functions, fnPart) },
        ScalingConfig: { MaximumConcurrency: 2 },
      });
    }
    // Only the consolidator consumes the disruption queue; the drift checker only sends to it.
    const fromDisruptionQueue = Object.values(resourcesOfType(template, "AWS::Lambda::EventSourceMapping")).filter(
      (m) => JSON.stringify(m.Properties?.["EventSourceArn"]) === JSON.stringify({ "Fn::GetAtt": [queueId("disruption"), "Arn"] }),
    );
    expect(fromDisruptionQueue.map((m) => m.Properties?.["FunctionName"])).toEqual([{ Ref: logicalId(functions, "FunctionsConsolidator") }]);
  });

  it("wakes the drift checker from the table's stream, only for NodePool and EC2NodeClass items, without blocking on a failed run", () => {
    const functions = resourcesOfType(template, "AWS::Lambda::Function");
    const table = stack.getLogicalId(stack.state.table.node.defaultChild as CfnElement);
    template.hasResourceProperties("AWS::DynamoDB::Table", { StreamSpecification: { StreamViewType: "KEYS_ONLY" } });
    const fromStream = Object.values(resourcesOfType(template, "AWS::Lambda::EventSourceMapping")).filter(
      (m) => JSON.stringify(m.Properties?.["EventSourceArn"]) === JSON.stringify({ "Fn::GetAtt": [table, "StreamArn"] }),
    );
    expect(fromStream).toHaveLength(1);
    const mapping = fromStream[0]?.Properties ?? {};
    expect(mapping["FunctionName"]).toEqual({ Ref: logicalId(functions, "FunctionsDrift") });
    expect(mapping["StartingPosition"]).toBe("LATEST");
    // A failed run is retried once, not for the stream's 24 hours (which would hold the shard).
    expect(mapping["MaximumRetryAttempts"]).toBe(1);
    const filters = (mapping["FilterCriteria"] as { Filters: { Pattern: string }[] }).Filters.map((f) => JSON.parse(f.Pattern) as unknown);
    // The partitions lib/store/keys.ts puts NodePools and EC2NodeClasses in; nothing else of the table.
    expect(filters).toEqual([{ dynamodb: { Keys: { pk: { S: ["CLUSTER#demo#NODEPOOL", "CLUSTER#demo#EC2NODECLASS"] } } } }]);
  });

  it("subscribes the drift checker to writes of NodePool and EC2NodeClass specs in the audit log, not to status writes", () => {
    const functions = resourcesOfType(template, "AWS::Lambda::Function");
    const drift = logicalId(functions, "FunctionsDrift");
    const subscription = Object.values(resourcesOfType(template, "AWS::Logs::SubscriptionFilter")).find(
      (f) => JSON.stringify(f.Properties?.["DestinationArn"]) === JSON.stringify({ "Fn::GetAtt": [drift, "Arn"] }),
    );
    expect(subscription?.Properties?.["LogGroupName"]).toBe("/aws/eks/demo/cluster");
    const pattern = subscription?.Properties?.["FilterPattern"] as string;
    for (const clause of [
      '$.objectRef.apiGroup = "karpenter.sh"',
      '$.objectRef.resource = "nodepools"',
      '$.objectRef.apiGroup = "karpenter.k8s.aws"',
      '$.objectRef.resource = "ec2nodeclasses"',
      "$.objectRef.subresource NOT EXISTS",
      '$.verb = "create"',
      '$.verb = "update"',
      '$.verb = "patch"',
      '$.verb = "delete"',
    ]) {
      expect(pattern).toContain(clause);
    }
    // No read verbs: a list or watch changes nothing.
    expect(pattern).not.toMatch(/"(get|list|watch)"/);
    template.hasResourceProperties("AWS::Lambda::Permission", { FunctionName: { "Fn::GetAtt": [drift, "Arn"] }, Principal: "logs.amazonaws.com" });
  });

  it("subscribes the batcher to kube-scheduler's pod status patches in the audit log", () => {
    const functions = resourcesOfType(template, "AWS::Lambda::Function");
    const batcher = logicalId(functions, "FunctionsBatcher");
    template.hasResourceProperties("AWS::Logs::SubscriptionFilter", {
      LogGroupName: "/aws/eks/demo/cluster",
      DestinationArn: { "Fn::GetAtt": [batcher, "Arn"] },
      FilterPattern: Match.stringLikeRegexp('\\$\\.user\\.username = "system:kube-scheduler"'),
    });
    const pattern = Object.values(resourcesOfType(template, "AWS::Logs::SubscriptionFilter")).find(
      (f) => JSON.stringify(f.Properties?.["DestinationArn"]) === JSON.stringify({ "Fn::GetAtt": [batcher, "Arn"] }),
    )?.Properties?.["FilterPattern"] as string;
    for (const clause of ['$.objectRef.resource = "pods"', '$.objectRef.subresource = "status"', '$.verb = "patch"']) {
      expect(pattern).toContain(clause);
    }
    // CloudWatch Logs must be allowed to invoke it.
    template.hasResourceProperties("AWS::Lambda::Permission", {
      FunctionName: { "Fn::GetAtt": [batcher, "Arn"] },
      Principal: "logs.amazonaws.com",
    });
    // And forwarded signals for this cluster reach it too: only on the stack's own bus, only from its account.
    const bus = Object.keys(resourcesOfType(template, "AWS::Events::EventBus"));
    expect(bus).toHaveLength(1);
    template.hasResourceProperties("AWS::Events::EventBus", { Name: "tenon-demo-signals" });
    template.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: bus[0] },
      EventPattern: { source: ["tenon.kubernetes"], "detail-type": ["Pod Unschedulable"], account: [{ Ref: "AWS::AccountId" }], detail: { cluster: ["demo"] } },
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [batcher, "Arn"] } })],
    });
    // No rule on the default bus accepts forwarded signals.
    for (const rule of Object.values(resourcesOfType(template, "AWS::Events::Rule"))) {
      const pattern = rule.Properties?.["EventPattern"] as { source?: string[] } | undefined;
      if (pattern?.source?.includes("tenon.kubernetes")) expect(rule.Properties?.["EventBusName"]).toBeDefined();
    }
  });

  it("builds every function the same way: Node 22 on arm64, JSON logs with retention, cluster settings in the environment", () => {
    const functions = resourcesOfType(template, "AWS::Lambda::Function");
    const logGroups = resourcesOfType(template, "AWS::Logs::LogGroup");
    for (const [id, fn] of Object.entries(functions)) {
      const p = fn.Properties ?? {};
      expect(p["Runtime"]).toBe("nodejs22.x");
      expect(p["Architectures"]).toEqual(["arm64"]);
      expect(p["Handler"]).toBe("index.handler");
      const variables = (p["Environment"] as { Variables: Record<string, unknown> }).Variables;
      expect(variables).toMatchObject({
        CLUSTER_NAME: "demo",
        TABLE_NAME: { Ref: expect.stringContaining("StateTable") },
        PROVISIONER_QUEUE_URL: { Ref: expect.stringContaining("QueuesProvisioner") },
        POWERTOOLS_METRICS_NAMESPACE: "Tenon",
        POWERTOOLS_SERVICE_NAME: "tenon-demo",
        NODE_OPTIONS: "--enable-source-maps",
      });
      // Nothing reads the interruption queue's URL: its messages arrive through the event source.
      expect(variables["INTERRUPTION_QUEUE_URL"]).toBeUndefined();
      // Only the consolidator and the drift checker may wake the consolidator early.
      const sends = /^Functions(Consolidator|Drift)[0-9A-F]{8}$/.test(id);
      expect(variables["DISRUPTION_QUEUE_URL"], id).toEqual(sends ? { Ref: queueId("disruption") } : undefined);
      const logging = p["LoggingConfig"] as { LogFormat: string; LogGroup: { Ref: string } };
      expect(logging.LogFormat).toBe("JSON");
      expect(logGroups[logging.LogGroup.Ref]?.Properties?.["RetentionInDays"]).toBe(30);
    }
  });

  /** The Kubernetes groups each function's access entry gives its role, by function. */
  const groupsByFunction = () => {
    const roles = resourcesOfType(template, "AWS::IAM::Role");
    const byRole = new Map(Object.values(resourcesOfType(template, "AWS::EKS::AccessEntry")).map((e) => {
      expect(e.Properties).toMatchObject({ ClusterName: "demo", Type: "STANDARD" });
      expect(e.Properties?.["AccessPolicies"]).toBeUndefined();
      return [(e.Properties?.["PrincipalArn"] as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0], e.Properties?.["KubernetesGroups"] as string[]];
    }));
    return Object.fromEntries(["provisioner", "lifecycle", "interruption", "consolidator", "drift"].map((name) => [name, byRole.get(logicalId(roles, `Functions${name.charAt(0).toUpperCase()}${name.slice(1)}Role`))]));
  };

  it("maps each Kubernetes-facing role to group tenon, and only the termination path's to tenon-termination, with no access policy", () => {
    expect(groupsByFunction()).toEqual({
      provisioner: ["tenon"],
      consolidator: ["tenon"],
      drift: ["tenon"],
      lifecycle: ["tenon", "tenon-termination"],
      interruption: ["tenon", "tenon-termination"],
    });
  });

  it("gives the consolidator and drift checker, through their groups and docs/kubernetes.md, what they need and no eviction or delete", () => {
    const groups = groupsByFunction();
    const can = (name: string, group: string, resource: string, verb: string) => allows(documentedRules(groups[name]), { group, resource, verb });
    for (const name of ["consolidator", "drift"]) {
      // What the provisioner reads, PodDisruptionBudgets, the disrupted taint, Events.
      for (const [group, resource, verb] of [
        ["", "pods", "list"],
        ["", "nodes", "list"],
        ["", "persistentvolumeclaims", "list"],
        ["apps", "daemonsets", "list"],
        ["karpenter.sh", "nodepools", "list"],
        ["karpenter.k8s.aws", "ec2nodeclasses", "list"],
        ["policy", "poddisruptionbudgets", "list"],
        ["", "nodes", "patch"],
        ["", "events", "create"],
      ] as const) {
        expect(can(name, group, resource, verb), `${name} ${verb} ${resource}`).toBe(true);
      }
      // Removal is the termination path's.
      expect(can(name, "", "pods/eviction", "create"), name).toBe(false);
      expect(can(name, "", "pods", "delete"), name).toBe(false);
      expect(can(name, "", "nodes", "delete"), name).toBe(false);
    }
    for (const name of ["lifecycle", "interruption"]) {
      expect(can(name, "", "pods/eviction", "create"), name).toBe(true);
      expect(can(name, "", "pods", "delete"), name).toBe(true);
      expect(can(name, "", "nodes", "delete"), name).toBe(true);
    }
  });

  it("alarms on any dead letter, any function error, provisioner throttles, a stalled lifecycle, a stuck drain and a rolled-back command", () => {
    const alarms = Object.values(resourcesOfType(template, "AWS::CloudWatch::Alarm")).map((a) => a.Properties ?? {});
    const byMetric = (metric: string) => alarms.filter((a) => a["MetricName"] === metric);
    expect(byMetric("ApproximateNumberOfMessagesVisible")).toHaveLength(3);
    for (const a of byMetric("ApproximateNumberOfMessagesVisible")) {
      expect(a).toMatchObject({ Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" });
    }
    expect(byMetric("ApproximateNumberOfMessagesVisible").map((a) => (a["Dimensions"] as { Value: { "Fn::GetAtt": string[] } }[])[0]?.Value["Fn::GetAtt"][0])).toContain(queueId("disruption", true));
    // Every function's errors, the consolidator's and the drift checker's among them (a command that threw).
    expect(byMetric("Errors")).toHaveLength(6);
    // Any stuck drain, any rolled-back command, in the handlers' own namespace and service.
    for (const metric of [METRIC.drainsStuck, METRIC.disruptionCommandsRolledBack]) {
      expect(byMetric(metric), metric).toHaveLength(1);
      expect(byMetric(metric)[0]).toMatchObject({
        Namespace: "Tenon",
        Dimensions: [{ Name: "service", Value: "tenon-demo" }],
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        TreatMissingData: "notBreaching",
      });
    }
    expect(byMetric("Throttles")).toHaveLength(1);
    const stalled = alarms.filter((a) => JSON.stringify(a["Metrics"] ?? []).includes("FILL(invocations, 0) - FILL(errors, 0)"));
    expect(stalled).toHaveLength(1);
    expect(stalled[0]).toMatchObject({ ComparisonOperator: "LessThanThreshold", Threshold: 1, TreatMissingData: "breaching" });
    expect(JSON.stringify(stalled[0]?.["Metrics"])).toContain('"Period":300');
    expect(alarms.every((a) => a["AlarmActions"] === undefined)).toBe(true);
  });

  it("puts function health, dead letters and the Tenon EMF metrics on the dashboard", () => {
    const dashboard = Object.values(resourcesOfType(template, "AWS::CloudWatch::Dashboard"))[0];
    const body = JSON.stringify(dashboard?.Properties?.["DashboardBody"]);
    for (const metric of ["PodsPending", "NodeClaimsLaunched", "LaunchFailures", "InsufficientCapacityErrors", "SchedulingDurationMs"]) {
      expect(body).toContain(`\\"Tenon\\",\\"${metric}\\",\\"service\\",\\"tenon-demo\\"`);
    }
    // Every metric the handlers emit is on it, under the service name the functions are given;
    // NodeClaimsDisrupted is only the prefix of one metric per reason.
    const emitted = [...Object.values(METRIC).filter((m) => m !== METRIC.nodeClaimsDisrupted), ...["Empty", "Underutilized", "Drifted", "Expired", "Interrupted"].map(disruptedMetric)];
    for (const metric of emitted) expect(body).toContain(`\\"Tenon\\",\\"${metric}\\",\\"service\\",\\"tenon-demo\\"`);
    for (const title of ["NodeClaims disrupted by reason", "Disruption commands", "DrainsStuck"]) expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    for (const metric of ["Errors", "Duration", "Throttles", "ApproximateNumberOfMessagesVisible"]) expect(body).toContain(metric);
  });

  it("draws Karpenter's metrics per NodePool and reason on the dashboard: cost per hour, nodes, NodeClaims created and disrupted, pod startup latency, pods by phase", () => {
    const dashboard = Object.values(resourcesOfType(template, "AWS::CloudWatch::Dashboard"))[0];
    const body = JSON.stringify(dashboard?.Properties?.["DashboardBody"]);
    const searches = [...body.matchAll(/SEARCH\('\{Tenon,([a-z_,]+)\} MetricName=\\+"([a-z_]+)\\+" service=\\+"tenon-demo\\+"/g)].map((m) => `${m[2]}{${m[1]}}`);
    expect(searches).toEqual(
      expect.arrayContaining([
        `${KARPENTER_METRIC.nodePoolsCost}{nodepool,service}`,
        `${KARPENTER_METRIC.nodePoolsUsage}{nodepool,resource_type,service}`,
        `${KARPENTER_METRIC.nodeClaimsCreated}{capacity_type,nodepool,reason,service}`,
        `${KARPENTER_METRIC.nodeClaimsDisrupted}{capacity_type,nodepool,reason,service}`,
        `${KARPENTER_METRIC.podsStartupDuration}{nodepool,service}`,
        `${KARPENTER_METRIC.podsState}{nodepool,phase,service}`,
      ]),
    );
    for (const title of ["Cost per hour by NodePool (USD)", "NodeClaims disrupted by reason and NodePool", "Pod startup latency p50 / p99 (s)"]) expect(body).toContain(`\\"title\\":\\"${title}\\"`);
  });
});

describe("TenonStack options", () => {
  it("in shadow mode, compares on the dashboard what Tenon would launch and remove, and at what price, with the incumbent's nodes", () => {
    const bodyOf = (context: Record<string, string>) => JSON.stringify(Object.values(resourcesOfType(synthTemplate(context).template, "AWS::CloudWatch::Dashboard"))[0]?.Properties?.["DashboardBody"]);
    const shadow = bodyOf({ mode: "shadow" });
    const sums = [...shadow.matchAll(/SUM\(SEARCH\('\{Tenon,([a-z_,]+)\} MetricName=\\+"([A-Za-z]+)\\+" service=\\+"tenon-demo\\+"', 'Maximum', 300\)\)/g)].map((m) => `${m[2]}{${m[1]}}`);
    expect(sums).toEqual([
      `${SHADOW_METRIC.incumbentCost}{nodepool,service}`,
      `${SHADOW_METRIC.launchCost}{nodepool,service}`,
      `${SHADOW_METRIC.removeCost}{reason,service}`,
      `${SHADOW_METRIC.savings}{reason,service}`,
      `${SHADOW_METRIC.incumbentNodes}{nodepool,service}`,
      `${SHADOW_METRIC.launchNodes}{nodepool,service}`,
      `${SHADOW_METRIC.removeNodes}{reason,service}`,
    ]);
    expect(shadow).toContain(`\\"title\\":\\"Shadow: Tenon vs the incumbent (USD per hour)\\"`);
    expect(bodyOf({})).not.toContain("Shadow: Tenon vs the incumbent");
  });

  it("leaves consolidator and drift out when asked, with their triggers and alarms", () => {
    const { template } = synthTemplate({ functions: WITHOUT_DISRUPTION });
    template.resourceCountIs("AWS::Lambda::Function", 4);
    expect(Object.keys(resourcesOfType(template, "AWS::Lambda::Function")).some((id) => id.includes("Consolidator") || id.includes("Drift"))).toBe(false);
    // No consumer of the disruption queue and no stream mapping: the two remaining queues' only.
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", 2);
    template.resourceCountIs("AWS::Logs::SubscriptionFilter", 1);
    const alarms = Object.values(resourcesOfType(template, "AWS::CloudWatch::Alarm")).map((a) => a.Properties?.["MetricName"]);
    expect(alarms).not.toContain(METRIC.disruptionCommandsRolledBack);
    expect(alarms).toContain(METRIC.drainsStuck);
  });

  it("can leave out the audit-log subscriptions (the log group allows only two: batcher and drift)", () => {
    const { template } = synthTemplate({ enableAuditSubscription: "false" });
    template.resourceCountIs("AWS::Logs::SubscriptionFilter", 0);
  });

  it("subscribes to a custom audit log group and uses a custom table name", () => {
    const { template } = synthTemplate({ auditLogGroup: "/custom/audit", tableName: "my-table" });
    for (const filter of Object.values(resourcesOfType(template, "AWS::Logs::SubscriptionFilter"))) expect(filter.Properties?.["LogGroupName"]).toBe("/custom/audit");
    template.hasResourceProperties("AWS::DynamoDB::Table", { TableName: "my-table" });
  });

  it("sends alarms to the given SNS topic", () => {
    const topic = "arn:aws:sns:us-east-1:123456789012:oncall";
    const { template } = synthTemplate({ alarmTopicArn: topic });
    const alarms = Object.values(resourcesOfType(template, "AWS::CloudWatch::Alarm"));
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) expect(a.Properties?.["AlarmActions"]).toEqual([topic]);
  });

  it("passes the Kubernetes version to the functions when given", () => {
    const { template } = synthTemplate({ kubernetesVersion: "1.33" });
    for (const fn of Object.values(resourcesOfType(template, "AWS::Lambda::Function"))) {
      expect((fn.Properties?.["Environment"] as { Variables: Record<string, unknown> }).Variables["KUBERNETES_VERSION"]).toBe("1.33");
    }
  });

  it("runs every function in shadow mode with -c mode=shadow, keeps the journal as long as -c journalTtlDays says, and reads instance types as -c instanceCatalog says", () => {
    const { template } = synthTemplate({ mode: "shadow", journalTtlDays: "30", instanceCatalog: "live" });
    const functions = Object.values(resourcesOfType(template, "AWS::Lambda::Function"));
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      expect((fn.Properties?.["Environment"] as { Variables: Record<string, unknown> }).Variables).toMatchObject({ TENON_MODE: "shadow", JOURNAL_TTL_DAYS: "30", INSTANCE_CATALOG: "live" });
    }
    const live = Object.values(resourcesOfType(synthTemplate({}).template, "AWS::Lambda::Function"));
    for (const fn of live) expect((fn.Properties?.["Environment"] as { Variables: Record<string, unknown> }).Variables["TENON_MODE"]).toBe("live");
  });

  it("passes -c preferencePolicy, -c minValuesPolicy and -c featureGates to every function as PREFERENCE_POLICY, MIN_VALUES_POLICY and FEATURE_GATES, and nothing when unset", () => {
    const variables = (context: Record<string, string>) =>
      Object.values(resourcesOfType(synthTemplate(context).template, "AWS::Lambda::Function")).map((fn) => (fn.Properties?.["Environment"] as { Variables: Record<string, unknown> }).Variables);
    const set = variables({ preferencePolicy: "Ignore", minValuesPolicy: "BestEffort", featureGates: "SpotToSpotConsolidation=true" });
    expect(set.length).toBeGreaterThan(0);
    for (const v of set) expect(v).toMatchObject({ PREFERENCE_POLICY: "Ignore", MIN_VALUES_POLICY: "BestEffort", FEATURE_GATES: "SpotToSpotConsolidation=true" });
    for (const v of variables({})) expect(Object.keys(v)).not.toContain("PREFERENCE_POLICY");
    for (const v of variables({})) expect(Object.keys(v)).not.toContain("FEATURE_GATES");
  });

  it("passes -c nodeClaimMirror to every function as NODECLAIM_MIRROR, and nothing when unset (the functions' default, auto)", () => {
    const variables = (context: Record<string, string>) =>
      Object.values(resourcesOfType(synthTemplate(context).template, "AWS::Lambda::Function")).map((fn) => (fn.Properties?.["Environment"] as { Variables: Record<string, unknown> }).Variables);
    for (const v of variables({ nodeClaimMirror: "off" })) expect(v).toMatchObject({ NODECLAIM_MIRROR: "off" });
    for (const v of variables({})) expect(Object.keys(v)).not.toContain("NODECLAIM_MIRROR");
  });

  it("with -c karpenterMetrics=false, sets KARPENTER_METRICS=off on every function and leaves Karpenter's graphs off the dashboard", () => {
    const synth = (context: Record<string, string>) => synthTemplate(context).template;
    const off = synth({ karpenterMetrics: "false" });
    for (const fn of Object.values(resourcesOfType(off, "AWS::Lambda::Function"))) expect((fn.Properties?.["Environment"] as { Variables: Record<string, unknown> }).Variables).toMatchObject({ KARPENTER_METRICS: "off" });
    const body = (t: typeof off) => JSON.stringify(Object.values(resourcesOfType(t, "AWS::CloudWatch::Dashboard"))[0]?.Properties?.["DashboardBody"]);
    expect(body(off)).not.toContain("karpenter_");
    expect(body(off)).toContain(METRIC.podsPending);
    const on = synth({});
    expect(body(on)).toContain(KARPENTER_METRIC.nodePoolsCost);
    for (const fn of Object.values(resourcesOfType(on, "AWS::Lambda::Function"))) expect(Object.keys((fn.Properties?.["Environment"] as { Variables: Record<string, unknown> }).Variables)).not.toContain("KARPENTER_METRICS");
  });

  it("deploys to the account and region given, with literal ARNs", () => {
    const { stack } = synthTemplate({ account: "123456789012", region: "eu-central-1" });
    expect(stack.account).toBe("123456789012");
    expect(stack.region).toBe("eu-central-1");
  });

  it("names every missing handler file in one clear error", () => {
    expect(() => synthTemplate({ functions: "batcher", cluster: "x" })).not.toThrow();
    // Point at an empty folder: every requested handler is missing.
    expect(() =>
      buildWithFunctionsDir("/nonexistent-tenon-functions", { cluster: "demo", functions: "batcher,interruption" }),
    ).toThrow(/function batcher: entry: .*batcher\/handler\.ts does not exist[\s\S]*function interruption: entry: /);
  });
});

function buildWithFunctionsDir(functionsDir: string, context: Record<string, unknown>) {
  return buildApp({ appProps: { context: { "aws:cdk:bundling-stacks": [], ...context } }, functionsDir, env: {} });
}
