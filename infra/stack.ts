/**
 * TenonStack: everything one cluster's Tenon needs, in one CloudFormation stack. Each concept is
 * its own construct (constructs/); this file only wires them together.
 */
import { CfnOutput, Duration, Stack, type StackProps, Tags } from "aws-cdk-lib";
import type { Construct } from "constructs";
import type { TenonConfig } from "./config.ts";
import { FUNCTION_SPECS } from "./function-specs.ts";
import { TenonAccess } from "./constructs/access.ts";
import { TenonFunctions } from "./constructs/functions.ts";
import { Observability } from "./constructs/observability.ts";
import { TenonQueues } from "./constructs/queues.ts";
import { InterruptionRules, Triggers } from "./constructs/rules.ts";
import { SnapshotBucket } from "./constructs/snapshot-bucket.ts";
import { StateTable } from "./constructs/state-table.ts";

export interface TenonStackProps extends StackProps {
  readonly config: TenonConfig;
  /** Folder with <function>/handler.ts; the repository's functions/ in the real app. */
  readonly functionsDir: string;
  /** Repository root (package-lock.json, tsconfig.json). */
  readonly projectRoot: string;
}

/** One stack per cluster, so two clusters never share a table, queue or role. */
export function stackName(cluster: string): string {
  return `Tenon-${cluster}`;
}

export class TenonStack extends Stack {
  readonly state: StateTable;
  readonly snapshots: SnapshotBucket;
  readonly queues: TenonQueues;
  readonly lambdas: TenonFunctions;
  readonly access: TenonAccess;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: TenonStackProps) {
    super(scope, id, props);
    const { config } = props;
    Tags.of(this).add("tenon:cluster", config.cluster);

    this.state = new StateTable(this, "State", { tableName: config.tableName });
    this.snapshots = new SnapshotBucket(this, "Snapshots", { cluster: config.cluster });
    this.queues = new TenonQueues(this, "Queues", {
      provisionerTimeout: Duration.seconds(FUNCTION_SPECS.provisioner.timeoutSeconds),
      interruptionTimeout: Duration.seconds(FUNCTION_SPECS.interruption.timeoutSeconds),
      consolidatorTimeout: Duration.seconds(FUNCTION_SPECS.consolidator.timeoutSeconds),
    });
    new InterruptionRules(this, "InterruptionRules", { queue: this.queues.interruption.queue });

    this.lambdas = new TenonFunctions(this, "Functions", {
      cluster: config.cluster,
      functions: config.functions,
      functionsDir: props.functionsDir,
      projectRoot: props.projectRoot,
      logRetentionDays: config.logRetentionDays,
      // What lib/wiring/aws.ts reads. Every function's runtime asks for the provisioner queue at
      // cold start, though only those with `sendsToProvisioner` may send to it. The interruption
      // queue needs no variable: its messages arrive through the event source.
      environment: {
        CLUSTER_NAME: config.cluster,
        TABLE_NAME: this.state.table.tableName,
        PROVISIONER_QUEUE_URL: this.queues.provisioner.queue.queueUrl,
        CLUSTER_STATE_BUCKET: this.snapshots.bucket.bucketName,
        ...(config.kubernetesVersion ? { KUBERNETES_VERSION: config.kubernetesVersion } : {}),
        // Karpenter's scheduling policies, for the provisioner's and consolidation's scheduling.
        ...(config.preferencePolicy !== undefined ? { PREFERENCE_POLICY: config.preferencePolicy } : {}),
        ...(config.featureGates !== undefined ? { FEATURE_GATES: config.featureGates } : {}),
        ...(config.minValuesPolicy !== undefined ? { MIN_VALUES_POLICY: config.minValuesPolicy } : {}),
        // `-c mode=shadow`: decide and journal, perform nothing (docs/explain.md).
        TENON_MODE: config.mode,
        ...(config.journalTtlDays !== undefined ? { JOURNAL_TTL_DAYS: String(config.journalTtlDays) } : {}),
        ...(config.instanceCatalog !== undefined ? { INSTANCE_CATALOG: config.instanceCatalog } : {}),
        // NodeClaim objects mirroring the table (docs/observability.md): the lifecycle tick reads it.
        ...(config.nodeClaimMirror !== undefined ? { NODECLAIM_MIRROR: config.nodeClaimMirror } : {}),
        // `-c karpenterMetrics=false`: Tenon's own metrics only (docs/deploy.md, "Cost at rest").
        ...(config.karpenterMetrics ? {} : { KARPENTER_METRICS: "off" }),
      },
      // Only the functions that may send to it know where the disruption queue is.
      environmentOf: (name): Record<string, string> => (FUNCTION_SPECS[name].sendsToDisruptionQueue ? { DISRUPTION_QUEUE_URL: this.queues.disruption.queue.queueUrl } : {}),
    });

    const triggers = new Triggers(this, "Triggers", {
      cluster: config.cluster,
      functions: this.lambdas.functions,
      provisionerQueue: this.queues.provisioner.queue,
      interruptionQueue: this.queues.interruption.queue,
      disruptionQueue: this.queues.disruption.queue,
      table: this.state.table,
      auditLogGroup: config.auditLogGroup,
      enableAuditSubscription: config.enableAuditSubscription,
    });

    this.access = new TenonAccess(this, "Access", {
      cluster: config.cluster,
      roles: this.lambdas.roles,
      table: this.state.table,
      provisionerQueue: this.queues.provisioner.queue,
      disruptionQueue: this.queues.disruption.queue,
      nodeRoleArns: config.nodeRoleArns,
    });

    // The functions that keep the bound-pod cache: the provisioner, consolidator and drift checker
    // read the snapshot on a cold start (and publish after a full list), the lifecycle tick publishes it.
    for (const name of ["provisioner", "lifecycle", "consolidator", "drift"] as const) {
      const role = this.lambdas.roles.get(name);
      if (role) this.snapshots.grantSnapshots(role);
    }

    this.observability = new Observability(this, "Observability", {
      cluster: config.cluster,
      functions: this.lambdas.functions,
      deadLetterQueues: new Map([
        ["Provisioner", this.queues.provisioner.deadLetterQueue],
        ["Interruption", this.queues.interruption.deadLetterQueue],
        ["Disruption", this.queues.disruption.deadLetterQueue],
      ]),
      alarmTopicArn: config.alarmTopicArn,
      shadow: config.mode === "shadow",
      karpenterMetrics: config.karpenterMetrics,
    });

    new CfnOutput(this, "TableName", { value: this.state.table.tableName, description: "State table (tenon CLI: --table)" });
    new CfnOutput(this, "SnapshotBucketName", { value: this.snapshots.bucket.bucketName, description: "Cluster-state snapshots" });
    new CfnOutput(this, "ProvisionerQueueUrl", { value: this.queues.provisioner.queue.queueUrl });
    new CfnOutput(this, "InterruptionQueueUrl", { value: this.queues.interruption.queue.queueUrl });
    new CfnOutput(this, "DisruptionQueueUrl", { value: this.queues.disruption.queue.queueUrl });
    new CfnOutput(this, "DashboardName", { value: `Tenon-${config.cluster}` });
    if (triggers.signalBus) {
      new CfnOutput(this, "SignalBusName", { value: triggers.signalBus.eventBusName, description: "Event bus for forwarded pod signals (grant events:PutEvents on it to the forwarder)" });
    }
    for (const [name, role] of this.lambdas.roles) {
      new CfnOutput(this, `${name}RoleArn`, { value: role.roleArn, description: `IAM role of the ${name} function` });
    }
  }
}
