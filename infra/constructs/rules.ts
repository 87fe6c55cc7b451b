/**
 * What wakes the functions: the interruption rules feeding the interruption queue, the scheduled
 * ticks, the audit-log subscription and the forwarded-events rule that wake the batcher, the SQS
 * event sources, and the drift checker's config-change triggers (the table's stream filtered to
 * NodePool and EC2NodeClass items, and an audit-log subscription to writes of those CRDs).
 */
import { Duration, Stack } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as logs from "aws-cdk-lib/aws-logs";
import * as destinations from "aws-cdk-lib/aws-logs-destinations";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { FunctionName } from "../config.ts";
import { FUNCTION_SPECS } from "../function-specs.ts";
import { INTERRUPTION_RULES } from "../../lib/cloud/aws/interruption-rules.ts";
import { FORWARDED_DETAIL_TYPE, FORWARDED_SOURCE } from "../../lib/provisioning/signals.ts";
import { itemPk } from "../../lib/store/keys.ts";
import { pascal } from "./functions.ts";

/**
 * kube-scheduler writing a pod's status: how it records `PodScheduled=False, reason=Unschedulable`.
 * Core `Event` objects (FailedScheduling) are not in EKS's audit log, so the status patch is the
 * signal. The condition's position in the array is not fixed, so the batcher checks the reason.
 */
export const SCHEDULER_STATUS_PATCH_PATTERN = logs.FilterPattern.all(
  logs.FilterPattern.stringValue("$.objectRef.resource", "=", "pods"),
  logs.FilterPattern.stringValue("$.objectRef.subresource", "=", "status"),
  logs.FilterPattern.stringValue("$.verb", "=", "patch"),
  logs.FilterPattern.stringValue("$.user.username", "=", "system:kube-scheduler"),
);

/** Writes to a CRD's spec (create, update, patch, delete), not to its status subresource. */
const crdWrite = (apiGroup: string, resource: string) =>
  logs.FilterPattern.all(logs.FilterPattern.stringValue("$.objectRef.apiGroup", "=", apiGroup), logs.FilterPattern.stringValue("$.objectRef.resource", "=", resource));

/**
 * Someone changed a NodePool or an EC2NodeClass in the cluster: the drift checker looks at once
 * instead of at its next 5-minute tick. Status writes are left out (no `objectRef.subresource`):
 * Tenon writes NodePool and EC2NodeClass conditions itself, and those must not wake it again.
 */
export const NODE_CONFIG_WRITE_PATTERN = logs.FilterPattern.all(
  logs.FilterPattern.any(crdWrite("karpenter.sh", "nodepools"), crdWrite("karpenter.k8s.aws", "ec2nodeclasses")),
  logs.FilterPattern.notExists("$.objectRef.subresource"),
  logs.FilterPattern.any(...["create", "update", "patch", "delete"].map((verb) => logs.FilterPattern.stringValue("$.verb", "=", verb))),
);

/**
 * The table partitions whose changes wake the drift checker: NodePools and EC2NodeClasses stored
 * with `tenon nodepool apply` (lib/store/keys.ts). Everything else on the stream (NodeClaims,
 * leases, commands) is dropped by the event source's filter, at no charge.
 */
export function nodeConfigStreamFilter(cluster: string): Record<string, unknown> {
  return lambda.FilterCriteria.filter({ dynamodb: { Keys: { pk: { S: [itemPk(cluster, "NODEPOOL"), itemPk(cluster, "EC2NODECLASS")] } } } });
}

/**
 * Pod signals forwarded by something else (an in-cluster event exporter, a test), for clusters
 * whose audit log cannot be subscribed to. `detail.cluster` names the cluster. The batcher's
 * parser owns the format (lib/provisioning/signals.ts). They go to a bus of the stack's own
 * (`signalBusName`), not the default bus: only principals granted events:PutEvents on it can wake
 * the batcher, and the rule takes only events put from the stack's own account.
 */
export const FORWARDED_POD_EVENTS = { source: FORWARDED_SOURCE, detailType: FORWARDED_DETAIL_TYPE } as const;

/** The event bus forwarded pod signals go to. */
export const signalBusName = (cluster: string): string => `tenon-${cluster}-signals`;

export interface InterruptionRulesProps {
  readonly queue: sqs.IQueue;
}

/** The five EventBridge rules that put EC2 and Health events on the interruption queue. */
export class InterruptionRules extends Construct {
  readonly rules: events.Rule[];

  constructor(scope: Construct, id: string, props: InterruptionRulesProps) {
    super(scope, id);
    // The patterns live in lib/cloud/aws/interruption-rules.ts, where the moto tests use them too.
    this.rules = INTERRUPTION_RULES.map(
      (rule) =>
        new events.Rule(this, rule.name, {
          description: `Tenon: ${rule.pattern["detail-type"].join(", ")} to the interruption queue`,
          eventPattern: { source: rule.pattern.source, detailType: rule.pattern["detail-type"] },
          targets: [new targets.SqsQueue(props.queue)],
        }),
    );
  }
}

export interface TriggersProps {
  readonly cluster: string;
  readonly functions: ReadonlyMap<FunctionName, lambda.IFunction>;
  readonly provisionerQueue: sqs.IQueue;
  readonly interruptionQueue: sqs.IQueue;
  readonly disruptionQueue: sqs.IQueue;
  /** The state table, whose stream wakes the drift checker. */
  readonly table: dynamodb.ITable;
  readonly auditLogGroup: string;
  readonly enableAuditSubscription: boolean;
}

export class Triggers extends Construct {
  /** Where forwarded pod signals go (present when the batcher is deployed). */
  signalBus?: events.EventBus;

  constructor(scope: Construct, id: string, props: TriggersProps) {
    super(scope, id);

    for (const [name, fn] of props.functions) {
      const minutes = FUNCTION_SPECS[name].scheduleMinutes;
      if (minutes === undefined) continue;
      new events.Rule(this, `${pascal(name)}Tick`, {
        description: `Tenon ${name} tick for cluster ${props.cluster}`,
        schedule: events.Schedule.rate(Duration.minutes(minutes)),
        // A late tick is useless; the next one is already on its way.
        targets: [new targets.LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
      });
    }

    /** Each queue's consumer takes batches of 10 and reports the records that failed, not the batch. */
    const consume = (name: FunctionName, queue: sqs.IQueue, maxConcurrency?: number) =>
      props.functions.get(name)?.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true, ...(maxConcurrency ? { maxConcurrency } : {}) }));
    // Two pollers at most (the minimum). The real guard against two runs acting on the same pods
    // or nodes is the provisioning (disruption) lease in the table; this only keeps the losers few.
    consume("provisioner", props.provisionerQueue, 2);
    consume("interruption", props.interruptionQueue);
    // Every disruption message is only a wake-up: a burst of them must not start a crowd of runs.
    consume("consolidator", props.disruptionQueue, 2);

    // The audit log group is looked up once: it takes two subscription filters at most (batcher, drift).
    const auditLog = props.enableAuditSubscription ? logs.LogGroup.fromLogGroupName(this, "AuditLog", props.auditLogGroup) : undefined;

    const drift = props.functions.get("drift");
    if (drift) {
      drift.addEventSource(
        new DynamoEventSource(props.table, {
          startingPosition: lambda.StartingPosition.LATEST,
          filters: [nodeConfigStreamFilter(props.cluster)],
          // `tenon nodepool apply` of several objects is one wake-up.
          batchSize: 100,
          maxBatchingWindow: Duration.seconds(5),
          // A failed run is not retried for a day (which would also hold the shard): the 5-minute tick comes anyway.
          retryAttempts: 1,
          maxRecordAge: Duration.minutes(5),
        }),
      );
      if (auditLog) {
        new logs.SubscriptionFilter(this, "AuditLogToDrift", {
          logGroup: auditLog,
          destination: new destinations.LambdaDestination(drift),
          filterPattern: NODE_CONFIG_WRITE_PATTERN,
        });
      }
    }

    const batcher = props.functions.get("batcher");
    if (batcher) {
      if (auditLog) {
        new logs.SubscriptionFilter(this, "AuditLogToBatcher", {
          logGroup: auditLog,
          destination: new destinations.LambdaDestination(batcher),
          filterPattern: SCHEDULER_STATUS_PATCH_PATTERN,
        });
      }
      this.signalBus = new events.EventBus(this, "SignalBus", { eventBusName: signalBusName(props.cluster) });
      new events.Rule(this, "ForwardedPodEvents", {
        description: `Forwarded pod-unschedulable signals for cluster ${props.cluster}`,
        eventBus: this.signalBus,
        eventPattern: {
          source: [FORWARDED_POD_EVENTS.source],
          detailType: [FORWARDED_POD_EVENTS.detailType],
          account: [Stack.of(this).account],
          detail: { cluster: [props.cluster] },
        },
        targets: [new targets.LambdaFunction(batcher)],
      });
    }
  }
}
