/**
 * The replay's shared shapes: what a trace expands to (pod demand over time), what every run
 * (Tenon through its real functions, Tenon without consolidation, Cluster Autoscaler's
 * algorithm, static node groups) returns, and the report's summary (`report/summary.json`, a
 * contract other tools read: see docs/replay.md).
 *
 * Owners: the trace, its expansion and the Tenon runs live in lib/replay/trace/ and
 * lib/replay/tenon/; the baselines in lib/replay/baselines/; the report in lib/replay/report/.
 */
import type { EC2NodeClass, NodePool } from "../api/types.ts";
import type { DaemonSet, Pod } from "../api/kubernetes.ts";
import type { InstanceType } from "../ports/instance-type.ts";

/** Delays every run uses, so Tenon and the baselines are compared on the same physics. */
export interface ReplayTiming {
  /** From the launch call to the Node joining and being Ready (boot, join, CNI). */
  nodeReadyMs: number;
  /** From a pod's binding to it running (image pull and start). */
  podStartMs: number;
  /** The Spot interruption notice. */
  spotNoticeMs: number;
  /** How often each run is sampled for the charts. */
  sampleEveryMs: number;
}

export const DEFAULT_TIMING: ReplayTiming = {
  nodeReadyMs: 60_000,
  podStartMs: 10_000,
  spotNoticeMs: 120_000,
  sampleEveryMs: 60_000,
};

/**
 * A pod wanted from `atMs` (kind "add") or no longer wanted (kind "remove": the workload scaled
 * down, or the job finished). `pod` is the full Pod a controller would create (namespace, labels,
 * requests, selectors, tolerations), its name unique within the trace; a "remove" names a pod
 * added earlier. Events are in time order.
 */
export interface DemandEvent {
  atMs: number;
  kind: "add" | "remove";
  pod: Pod;
  /** The workload (Deployment, Job, ...) it belongs to, as `Kind/namespace/name`. */
  workload: string;
}

/** Something the trace makes happen to the cloud at a time (spot interruption, outage, ...). */
export interface CloudEvent {
  atMs: number;
  kind: "spot-interruption" | "ami-release" | "nodepool-change" | "capacity-error" | "zone-outage";
  /** What it applies to: a zone, an instance type, a NodePool name, a share of spot nodes. */
  detail: Record<string, string | number>;
}

/** What a trace expands to, given a seed: everything a run needs. */
export interface ReplayInput {
  name: string;
  seed: number;
  /** The replayed span: [0, hours * 3_600_000). Times are relative to its start. */
  hours: number;
  nodePools: NodePool[];
  nodeClasses: EC2NodeClass[];
  demand: DemandEvent[];
  events: CloudEvent[];
  /** The instance types the NodePools may use, with prices (the bundled catalog). */
  instanceTypes: InstanceType[];
  region: string;
  zones: string[];
  timing: ReplayTiming;
  /** DaemonSets running on every node they tolerate: their requests come off each node's room (optional). */
  daemonSets?: DaemonSet[];
  /**
   * The NodePools and EC2NodeClasses as written (Karpenter YAML, durations as strings): what the
   * Tenon runs put in the simulated cluster, where Tenon's own controllers read them. Optional:
   * runs that only need the parsed objects ignore it.
   */
  manifests?: { nodePools: Record<string, unknown>[]; nodeClasses: Record<string, unknown>[] };
}

/** One sample of a run, every `timing.sampleEveryMs`. */
export interface RunSample {
  atMs: number;
  nodes: { onDemand: number; spot: number };
  /** USD per hour of the nodes alive at `atMs`. */
  costPerHour: number;
  /** Pods wanted but not running. */
  pendingPods: number;
  /** Sums over the nodes: the running pods' requests and the nodes' allocatable. */
  requested: { cpuMillis: number; memoryBytes: number };
  allocatable: { cpuMillis: number; memoryBytes: number };
}

/** A node removed or disrupted, and why (Empty, Underutilized, Drifted, Expired, Interrupted, ScaleDown...). */
export interface RunDisruption {
  atMs: number;
  node: string;
  reason: string;
}

/** What a run did, measured. */
export interface RunResult {
  /** "tenon", "tenonNoConsolidation", "clusterAutoscaler", "staticNodeGroups". */
  name: string;
  /** A human label for the charts ("Tenon", "Cluster Autoscaler", ...). */
  label: string;
  samples: RunSample[];
  disruptions: RunDisruption[];
  /** For each pod that ran: seconds from wanted (its "add") to running; never-ran pods count up to the end. */
  podPendingSeconds: number[];
  /** Pods evicted (drained off a node), and of those, evicted with nowhere to go (no room anywhere and nothing launching). */
  podsEvicted: number;
  podsEvictedWithoutPlace: number;
  nodesLaunched: number;
  nodesRemoved: number;
  /** USD over the trace: each node's price times its lifetime (launch to termination). */
  totalCost: number;
}

/** One run's figures in `summary.json`. */
export interface RunSummary {
  totalCost: number;
  pendingSeconds: { p50: number; p95: number; max: number };
  podsEvicted: number;
  nodesLaunched: number;
  nodesRemoved: number;
}

/** `report/summary.json`: `runs` has at least these four keys; more fields may be added. */
export interface ReplaySummary {
  trace: string;
  seed: number;
  hours: number;
  runs: {
    tenon: RunSummary;
    tenonNoConsolidation: RunSummary;
    clusterAutoscaler: RunSummary;
    staticNodeGroups: RunSummary;
  } & Record<string, RunSummary>;
}

/** The baselines' entry point (lib/replay/baselines/). Pure: no I/O, no clock. */
export type RunBaselines = (input: ReplayInput) => { clusterAutoscaler: RunResult; staticNodeGroups: RunResult };

/** The report's entry point (lib/replay/report/): writes index.html (self-contained) and summary.json under `dir`. */
export type WriteReport = (dir: string, input: Pick<ReplayInput, "name" | "seed" | "hours">, runs: RunResult[]) => Promise<ReplaySummary>;

/** The comparisons `tenon replay --baseline` can name, with the run each gives (its key in summary.json). */
export const BASELINES = { "no-consolidation": "tenonNoConsolidation", ca: "clusterAutoscaler", static: "staticNodeGroups" } as const;
export type BaselineName = keyof typeof BASELINES;
