/**
 * Logging and metrics as the core code sees them: two small interfaces that Powertools' Logger and
 * Metrics satisfy in Lambda (lib/wiring/handler.ts), and that a recorder satisfies in tests and the demo.
 */

export type LogAttributes = Record<string, unknown>;

export interface Log {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
}

export type MetricUnitName = "Count" | "Milliseconds" | "Seconds" | "None";

/** CloudWatch dimensions of one data point, named after Karpenter's Prometheus labels (`nodepool`, `reason`...). */
export type MetricDimensions = Readonly<Record<string, string>>;

export interface MetricsSink {
  /**
   * One data point. Without dimensions it lands under the function's `service` dimension only (the
   * dashboard's plain metrics); with them, under `service` plus those (lib/wiring/handler.ts keeps
   * one EMF document per dimension set, so a point never counts under another set).
   */
  addMetric(name: string, unit: MetricUnitName, value: number, dimensions?: MetricDimensions): void;
}

/** One data point as data: a decision's action carries these, the executor emits them when the action is applied. */
export interface MetricPoint {
  name: string;
  unit: MetricUnitName;
  value: number;
  dimensions?: MetricDimensions;
}

export function emit(sink: MetricsSink, points: readonly MetricPoint[]): void {
  for (const p of points) sink.addMetric(p.name, p.unit, p.value, p.dimensions);
}

/** Metric names on the dashboard (infra/constructs/observability.ts) and the batcher's own. */
export const METRIC = {
  podsPending: "PodsPending",
  nodeClaimsLaunched: "NodeClaimsLaunched",
  launchFailures: "LaunchFailures",
  insufficientCapacityErrors: "InsufficientCapacityErrors",
  schedulingDurationMs: "SchedulingDurationMs",
  podSignals: "PodSignals",
  rejectedEvents: "RejectedEvents",
  nodeClaimsRegistered: "NodeClaimsRegistered",
  nodeClaimsInitialized: "NodeClaimsInitialized",
  nodeClaimsDeleted: "NodeClaimsDeleted",
  instancesGarbageCollected: "InstancesGarbageCollected",
  /** Instances garbage collection would terminate but left alone because their Node is Ready. */
  instancesSparedReady: "InstancesSparedReady",
  interruptions: "Interruptions",
  launchTemplatesDeleted: "LaunchTemplatesDeleted",
  instanceProfilesDeleted: "InstanceProfilesDeleted",
  cleanupFailures: "CleanupFailures",
  /** Disruption commands written (every method), and those carried out or rolled back. */
  disruptionCommandsStarted: "DisruptionCommandsStarted",
  disruptionCommandsSucceeded: "DisruptionCommandsSucceeded",
  disruptionCommandsRolledBack: "DisruptionCommandsRolledBack",
  /** NodeClaims disrupted, one metric per reason: `NodeClaimsDisrupted<Reason>` (disruptedMetric). */
  nodeClaimsDisrupted: "NodeClaimsDisrupted",
  /** Nodes whose drain has lasted longer than the stuck-drain threshold (lifecycle tick). */
  drainsStuck: "DrainsStuck",
  /** Nodes left with the disrupted taint by a command that no longer exists, untainted (as Karpenter after a restart). */
  orphanTaintsRemoved: "OrphanTaintsRemoved",
} as const;

/**
 * Karpenter's metrics, by its Prometheus names without the `_total` of counters (a CloudWatch Sum is
 * the total), each with Karpenter's labels as dimensions (listed per name; docs/observability.md has
 * the table). Per-pod labels (name, namespace, node) are left out: in CloudWatch every dimension
 * value is a metric of its own.
 */
export const KARPENTER_METRIC = {
  /** nodepool, reason (provisioning or the disruption reason of the command it replaces for), capacity_type */
  nodeClaimsCreated: "karpenter_nodeclaims_created",
  /** nodepool, capacity_type */
  nodeClaimsTerminated: "karpenter_nodeclaims_terminated",
  /** reason, nodepool, capacity_type */
  nodeClaimsDisrupted: "karpenter_nodeclaims_disrupted",
  /** nodepool */
  nodesCreated: "karpenter_nodes_created",
  /** nodepool */
  nodesTerminated: "karpenter_nodes_terminated",
  /** phase, nodepool: pods bound to Tenon's nodes by phase (a gauge, counted, not one series per pod) */
  podsState: "karpenter_pods_state",
  /** seconds from a pod's creation to its Ready condition, for pods on Tenon's nodes that became Ready since the last tick */
  podsStartupDuration: "karpenter_pods_startup_duration_seconds",
  /** seconds one provisioner scheduling simulation took */
  schedulingDuration: "karpenter_scheduler_scheduling_duration_seconds",
  /** pods waiting for the provisioner's scheduling simulation */
  schedulerQueueDepth: "karpenter_scheduler_queue_depth",
  /** nodepool, resource_type (cpu in cores, memory in bytes, pods, nodes) */
  nodePoolsUsage: "karpenter_nodepools_usage",
  /** nodepool, resource_type: the NodePool's spec.limits */
  nodePoolsLimit: "karpenter_nodepools_limit",
  /** nodepool, reason */
  nodePoolsAllowedDisruptions: "karpenter_nodepools_allowed_disruptions",
  /** nodepool: USD per hour of the NodePool's running nodes (offering prices plus its per-node cost) */
  nodePoolsCost: "karpenter_nodepools_cost",
  /** decision (delete, replace), reason, consolidation_type (empty, single, multi; none for drift) */
  disruptionDecisions: "karpenter_voluntary_disruption_decisions",
  /** reason: nodes a disruption method could take now (candidates, not blocked) */
  disruptionEligibleNodes: "karpenter_voluntary_disruption_eligible_nodes",
  /** message_type (spot_interrupted, rebalance_recommendation, scheduled_change, instance_stopping, instance_terminating...) */
  interruptionMessages: "karpenter_interruption_received_messages",
  /** method, error: errors from EC2 (launch, terminate) */
  cloudProviderErrors: "karpenter_cloudprovider_errors",
  /** nodepool, capacity_type, error: a NodeClaim whose launch failed on every offering tried */
  instanceLaunchFailures: "karpenter_cloudprovider_instance_launch_failures",
} as const;

/**
 * Shadow mode beside the incumbent autoscaler (docs/explain.md, "Shadow mode"): what Tenon would
 * launch and remove, at what price, and what the nodes it did not launch cost. Gauges in USD per
 * hour or nodes, dimension `nodepool` (the incumbent's `karpenter.sh/nodepool` label, `none` without
 * one); the removals carry `reason` instead.
 */
export const SHADOW_METRIC = {
  /** nodepool: NodeClaims a shadow provisioner run would launch now */
  launchNodes: "ShadowLaunchNodes",
  /** nodepool: their cheapest offering prices, summed (USD/h) */
  launchCost: "ShadowLaunchCostPerHour",
  /** reason: nodes a shadow disruption run would remove now */
  removeNodes: "ShadowRemoveNodes",
  /** reason: what those nodes cost (USD/h) */
  removeCost: "ShadowRemoveCostPerHour",
  /** reason: what the removal would save, replacements paid (USD/h) */
  savings: "ShadowSavingsPerHour",
  /** nodepool: the cluster's nodes Tenon did not launch (the incumbent's), each consolidator tick */
  incumbentNodes: "IncumbentNodes",
  /** nodepool: their price from the catalog by instance type, zone and capacity type (USD/h) */
  incumbentCost: "IncumbentCostPerHour",
} as const;

const KARPENTER_NAMES: ReadonlySet<string> = new Set(Object.values(KARPENTER_METRIC));

/**
 * `sink` without Karpenter's metrics (KARPENTER_METRICS=off): about 25 CloudWatch series per
 * NodePool that cost money every month (docs/deploy.md); Tenon's own metrics still go through.
 */
export function withoutKarpenterMetrics(sink: MetricsSink): MetricsSink {
  return {
    addMetric(name, unit, value, dimensions) {
      if (!KARPENTER_NAMES.has(name)) sink.addMetric(name, unit, value, dimensions);
    },
  };
}

/** The per-reason metric for a disrupted NodeClaim: Empty, Underutilized, Drifted, Expired, Interrupted. */
export function disruptedMetric(reason: string): string {
  return `${METRIC.nodeClaimsDisrupted}${reason}`;
}

export const METRICS_NAMESPACE = "Tenon";

export interface LogEntry {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  attributes: LogAttributes;
}

/** Keeps what was logged and counted, for tests and the local loop. */
export class RecordingTelemetry implements Log, MetricsSink {
  readonly logs: LogEntry[] = [];
  readonly metrics: MetricPoint[] = [];

  constructor(private readonly echo: ((entry: LogEntry) => void) | undefined = undefined) {}

  debug(message: string, attributes: LogAttributes = {}): void {
    this.push({ level: "debug", message, attributes });
  }
  info(message: string, attributes: LogAttributes = {}): void {
    this.push({ level: "info", message, attributes });
  }
  warn(message: string, attributes: LogAttributes = {}): void {
    this.push({ level: "warn", message, attributes });
  }
  error(message: string, attributes: LogAttributes = {}): void {
    this.push({ level: "error", message, attributes });
  }
  addMetric(name: string, unit: MetricUnitName, value: number, dimensions?: MetricDimensions): void {
    this.metrics.push(dimensions ? { name, unit, value, dimensions: { ...dimensions } } : { name, unit, value });
  }

  /** Sum of every value recorded under `name` (and, when given, with at least these dimensions). */
  total(name: string, dimensions: MetricDimensions = {}): number {
    return this.points(name, dimensions).reduce((sum, m) => sum + m.value, 0);
  }

  /** The points recorded under `name` whose dimensions include `dimensions`. */
  points(name: string, dimensions: MetricDimensions = {}): MetricPoint[] {
    return this.metrics.filter((m) => m.name === name && Object.entries(dimensions).every(([k, v]) => m.dimensions?.[k] === v));
  }

  private push(entry: LogEntry): void {
    this.logs.push(entry);
    this.echo?.(entry);
  }
}
