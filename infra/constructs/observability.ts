/**
 * A dashboard and the alarms worth waking someone for: any dead letter, any function error,
 * provisioner throttles, a lifecycle loop that stopped ticking, a drain that is stuck and a
 * disruption command that was rolled back. The handlers' own metrics are Powertools EMF metrics
 * in namespace `Tenon` with the single dimension `service`.
 */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { FunctionName } from "../config.ts";
import { disruptedMetric, KARPENTER_METRIC, METRIC, METRICS_NAMESPACE, SHADOW_METRIC } from "../../lib/ports/telemetry.ts";
import { pascal, serviceName } from "./functions.ts";

/** The handlers' metrics on the dashboard (names from lib/ports/telemetry.ts), and how each is summarised. */
export const TENON_METRICS: readonly { readonly name: string; readonly statistics: readonly string[] }[] = [
  { name: METRIC.podsPending, statistics: ["Maximum"] },
  { name: METRIC.nodeClaimsLaunched, statistics: ["Sum"] },
  { name: METRIC.launchFailures, statistics: ["Sum"] },
  { name: METRIC.insufficientCapacityErrors, statistics: ["Sum"] },
  { name: METRIC.schedulingDurationMs, statistics: ["p50", "p99", "Maximum"] },
  { name: METRIC.podSignals, statistics: ["Sum"] },
  { name: METRIC.rejectedEvents, statistics: ["Sum"] },
  { name: METRIC.nodeClaimsRegistered, statistics: ["Sum"] },
  { name: METRIC.nodeClaimsInitialized, statistics: ["Sum"] },
  { name: METRIC.nodeClaimsDeleted, statistics: ["Sum"] },
  { name: METRIC.instancesGarbageCollected, statistics: ["Sum"] },
  { name: METRIC.instancesSparedReady, statistics: ["Sum"] },
  { name: METRIC.interruptions, statistics: ["Sum"] },
  { name: METRIC.launchTemplatesDeleted, statistics: ["Sum"] },
  { name: METRIC.instanceProfilesDeleted, statistics: ["Sum"] },
  { name: METRIC.cleanupFailures, statistics: ["Sum"] },
  { name: METRIC.drainsStuck, statistics: ["Maximum"] },
  { name: METRIC.orphanTaintsRemoved, statistics: ["Sum"] },
];

/** Why NodeClaims are disrupted, one metric each (`disruptedMetric`): one line per reason on the dashboard. */
export const DISRUPTION_REASONS = ["Empty", "Underutilized", "Drifted", "Expired", "Interrupted"] as const;

/** The disruption commands' life on one graph: written, carried out, rolled back. */
export const COMMAND_METRICS = [METRIC.disruptionCommandsStarted, METRIC.disruptionCommandsSucceeded, METRIC.disruptionCommandsRolledBack] as const;

/**
 * Karpenter's metrics on the dashboard, as its Grafana boards show them: one line per value of the
 * dimension (NodePool, reason), found by a CloudWatch SEARCH since NodePools are not known at synth.
 */
export const KARPENTER_WIDGETS: readonly { readonly title: string; readonly metric: string; readonly dimensions: readonly string[]; readonly statistic: string; readonly label: string }[] = [
  { title: "Cost per hour by NodePool (USD)", metric: KARPENTER_METRIC.nodePoolsCost, dimensions: ["nodepool"], statistic: "Maximum", label: "nodepool" },
  { title: "Nodes by NodePool", metric: KARPENTER_METRIC.nodePoolsUsage, dimensions: ["nodepool", "resource_type"], statistic: "Maximum", label: "nodepool" },
  { title: "NodeClaims created by NodePool", metric: KARPENTER_METRIC.nodeClaimsCreated, dimensions: ["capacity_type", "nodepool", "reason"], statistic: "Sum", label: "nodepool" },
  { title: "NodeClaims disrupted by reason and NodePool", metric: KARPENTER_METRIC.nodeClaimsDisrupted, dimensions: ["capacity_type", "nodepool", "reason"], statistic: "Sum", label: "reason" },
  { title: "Pod startup latency p50 / p99 (s)", metric: KARPENTER_METRIC.podsStartupDuration, dimensions: ["nodepool"], statistic: "p99", label: "nodepool" },
  { title: "Pods by phase", metric: KARPENTER_METRIC.podsState, dimensions: ["nodepool", "phase"], statistic: "Maximum", label: "phase" },
];

/**
 * Shadow mode's widgets (`-c mode=shadow`): what Tenon would launch and remove, and at what price,
 * beside what the incumbent's nodes cost; each line sums one SHADOW_METRIC over its NodePools or
 * reasons (metric math over a SEARCH).
 */
export const SHADOW_WIDGETS: readonly { readonly title: string; readonly lines: readonly { readonly metric: string; readonly dimension: string; readonly label: string }[] }[] = [
  {
    title: "Shadow: Tenon vs the incumbent (USD per hour)",
    lines: [
      { metric: SHADOW_METRIC.incumbentCost, dimension: "nodepool", label: "incumbent's nodes" },
      { metric: SHADOW_METRIC.launchCost, dimension: "nodepool", label: "Tenon would launch" },
      { metric: SHADOW_METRIC.removeCost, dimension: "reason", label: "Tenon would remove" },
      { metric: SHADOW_METRIC.savings, dimension: "reason", label: "Tenon would save" },
    ],
  },
  {
    title: "Shadow: Tenon vs the incumbent (nodes)",
    lines: [
      { metric: SHADOW_METRIC.incumbentNodes, dimension: "nodepool", label: "incumbent's nodes" },
      { metric: SHADOW_METRIC.launchNodes, dimension: "nodepool", label: "Tenon would launch" },
      { metric: SHADOW_METRIC.removeNodes, dimension: "reason", label: "Tenon would remove" },
    ],
  },
];

export interface ObservabilityProps {
  readonly cluster: string;
  /** Shadow mode: the dashboard compares what Tenon would do with the incumbent (SHADOW_WIDGETS). */
  readonly shadow?: boolean;
  /** False: the functions publish no Karpenter metrics, and the dashboard leaves out their graphs (KARPENTER_WIDGETS). */
  readonly karpenterMetrics?: boolean;
  readonly functions: ReadonlyMap<FunctionName, lambda.IFunction>;
  /** Dead-letter queues by a readable name (e.g. "Provisioner"). */
  readonly deadLetterQueues: ReadonlyMap<string, sqs.IQueue>;
  readonly alarmTopicArn: string | undefined;
}

export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const topic = props.alarmTopicArn ? sns.Topic.fromTopicArn(this, "AlarmTopic", props.alarmTopicArn) : undefined;
    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, alarmProps);
      if (topic) created.addAlarmAction(new actions.SnsAction(topic));
      this.alarms.push(created);
      return created;
    };
    /** Fires on a single occurrence in one period; no data means nothing happened. */
    const alarmOnAny = (alarmId: string, alarmDescription: string, metric: cloudwatch.IMetric) =>
      alarm(alarmId, {
        alarmDescription,
        metric,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const fiveMinutes = Duration.minutes(5);
    const tenonMetric = (metricName: string, statistic: string, period = Duration.minutes(1), label?: string) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: serviceName(props.cluster) }, statistic, period, ...(label ? { label } : {}) });

    for (const [name, dlq] of props.deadLetterQueues) {
      alarmOnAny(
        `${name}DeadLetters`,
        `Tenon ${props.cluster}: a message reached the ${name} dead-letter queue`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: "Maximum" }),
      );
    }

    for (const [name, fn] of props.functions) {
      alarmOnAny(`${pascal(name)}Errors`, `Tenon ${props.cluster}: the ${name} function failed`, fn.metricErrors({ period: fiveMinutes, statistic: "Sum" }));
    }

    const provisioner = props.functions.get("provisioner");
    if (provisioner) {
      alarmOnAny(
        "ProvisionerThrottles",
        `Tenon ${props.cluster}: the provisioner was throttled (account concurrency exhausted?)`,
        provisioner.metricThrottles({ period: fiveMinutes, statistic: "Sum" }),
      );
    }

    const lifecycle = props.functions.get("lifecycle");
    if (lifecycle) {
      // Invocations minus errors: successful ticks. No data at all means no ticks, which is the
      // failure this alarm exists for, so missing data breaches.
      alarm("LifecycleStalled", {
        alarmDescription: `Tenon ${props.cluster}: no successful lifecycle tick in 5 minutes (nodes are not being registered, checked or cleaned up)`,
        metric: new cloudwatch.MathExpression({
          expression: "FILL(invocations, 0) - FILL(errors, 0)",
          usingMetrics: {
            invocations: lifecycle.metricInvocations({ statistic: "Sum" }),
            errors: lifecycle.metricErrors({ statistic: "Sum" }),
          },
          period: fiveMinutes,
          label: "successful lifecycle ticks",
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }

    // The disruption path. A stuck drain (the lifecycle tick counts drains past their threshold:
    // a PDB that never allows, a pod that never leaves) needs a person; so does a command that had
    // to be rolled back (its replacement failed to launch or initialize). The consolidator's and
    // drift checker's own failures are their Errors alarms above.
    if (props.functions.has("lifecycle")) {
      alarmOnAny("DrainsStuck", `Tenon ${props.cluster}: a node's drain is stuck (a PodDisruptionBudget or a pod keeps it from finishing)`, tenonMetric(METRIC.drainsStuck, "Maximum", fiveMinutes));
    }
    if (props.functions.has("consolidator") || props.functions.has("drift")) {
      alarmOnAny(
        "DisruptionCommandsRolledBack",
        `Tenon ${props.cluster}: a disruption command was rolled back (its replacement did not launch or initialize in time)`,
        tenonMetric(METRIC.disruptionCommandsRolledBack, "Sum", fiveMinutes),
      );
    }

    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: `Tenon-${props.cluster}`,
      defaultInterval: Duration.hours(3),
    });
    const fns = [...props.functions];
    const perFunction = (title: string, metric: (fn: lambda.IFunction, label: string) => cloudwatch.IMetric) =>
      new cloudwatch.GraphWidget({ title, width: 6, left: fns.map(([name, fn]) => metric(fn, name)) });
    this.dashboard.addWidgets(
      perFunction("Invocations", (fn, label) => fn.metricInvocations({ statistic: "Sum", label })),
      perFunction("Errors", (fn, label) => fn.metricErrors({ statistic: "Sum", label })),
      perFunction("Duration p99 (ms)", (fn, label) => fn.metricDuration({ statistic: "p99", label })),
      perFunction("Throttles", (fn, label) => fn.metricThrottles({ statistic: "Sum", label })),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Dead-letter queue depth",
        width: 12,
        left: [...props.deadLetterQueues].map(([name, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ statistic: "Maximum", label: name }),
        ),
      }),
      new cloudwatch.AlarmStatusWidget({ title: "Alarms", width: 12, alarms: this.alarms }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "NodeClaims disrupted by reason",
        width: 12,
        stacked: true,
        left: DISRUPTION_REASONS.map((reason) => tenonMetric(disruptedMetric(reason), "Sum", fiveMinutes, reason)),
      }),
      new cloudwatch.GraphWidget({
        title: "Disruption commands",
        width: 12,
        left: COMMAND_METRICS.map((name) => tenonMetric(name, "Sum", fiveMinutes, name.replace(/^DisruptionCommands/, ""))),
      }),
    );
    // Karpenter's metrics carry their labels as dimensions: a SEARCH draws one line per NodePool (or reason).
    const search = (w: (typeof KARPENTER_WIDGETS)[number], statistic: string, id: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${[...w.dimensions, "service"].sort().join(",")}} MetricName="${w.metric}" service="${serviceName(props.cluster)}"${w.metric === KARPENTER_METRIC.nodePoolsUsage ? ' resource_type="nodes"' : ""}', '${statistic}', 300)`,
        label: id,
        period: fiveMinutes,
        usingMetrics: {},
      });
    if (props.karpenterMetrics !== false) this.dashboard.addWidgets(
      ...KARPENTER_WIDGETS.map(
        (w) =>
          new cloudwatch.GraphWidget({
            title: w.title,
            width: 8,
            left: w.metric === KARPENTER_METRIC.podsStartupDuration ? [search(w, "p50", "p50"), search(w, "p99", "p99")] : [search(w, w.statistic, w.label)],
          }),
      ),
    );
    if (props.shadow) {
      const total = (line: (typeof SHADOW_WIDGETS)[number]["lines"][number]) =>
        new cloudwatch.MathExpression({
          expression: `SUM(SEARCH('{${METRICS_NAMESPACE},${[line.dimension, "service"].sort().join(",")}} MetricName="${line.metric}" service="${serviceName(props.cluster)}"', 'Maximum', 300))`,
          label: line.label,
          period: fiveMinutes,
          usingMetrics: {},
        });
      this.dashboard.addWidgets(...SHADOW_WIDGETS.map((w) => new cloudwatch.GraphWidget({ title: w.title, width: 12, left: w.lines.map(total) })));
    }
    this.dashboard.addWidgets(
      ...TENON_METRICS.map(
        ({ name, statistics }) =>
          new cloudwatch.GraphWidget({
            title: name,
            width: 8,
            left: statistics.map((statistic) => tenonMetric(name, statistic, Duration.minutes(1), `${name} ${statistic}`)),
          }),
      ),
    );
  }
}
