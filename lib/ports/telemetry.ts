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

export type MetricUnitName = "Count" | "Milliseconds";

export interface MetricsSink {
  addMetric(name: string, unit: MetricUnitName, value: number): void;
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
  readonly metrics: Array<{ name: string; unit: MetricUnitName; value: number }> = [];

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
  addMetric(name: string, unit: MetricUnitName, value: number): void {
    this.metrics.push({ name, unit, value });
  }

  /** Sum of every value recorded under `name`. */
  total(name: string): number {
    return this.metrics.filter((m) => m.name === name).reduce((sum, m) => sum + m.value, 0);
  }

  private push(entry: LogEntry): void {
    this.logs.push(entry);
    this.echo?.(entry);
  }
}
