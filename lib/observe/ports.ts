/**
 * The ports a flow works with, as one bundle: the composition root (lib/wiring/) builds it, a flow
 * observes and acts only through it. The cluster-state keeper rides along because it is the
 * container's observation cache, kept for the container's life.
 */
import type { Clock } from "../ports/clock.ts";
import type { Cloud } from "../ports/cloud.ts";
import type { Cluster } from "../ports/cluster.ts";
import type { DisruptionQueue, ProvisionerQueue } from "../ports/queue.ts";
import type { Settings } from "../ports/settings.ts";
import type { TenonMode } from "../ports/journal.ts";
import type { Store } from "../ports/store.ts";
import type { Log, MetricsSink } from "../ports/telemetry.ts";
import type { ClusterStateKeeper } from "../cluster-state/keeper.ts";

export type FunctionName = "batcher" | "provisioner" | "lifecycle" | "interruption" | "consolidator" | "drift";

/** Random names, injectable so a test can make them predictable when it must. */
export interface Ids {
  /** Five random lowercase letters (NodeClaim name suffix). */
  suffix(): string;
  uid(): string;
}

/** Enough for the batcher: no Kubernetes and no EC2. */
export interface CorePorts {
  clusterName: string;
  store: Store;
  queue: ProvisionerQueue;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
  settings: Settings;
  ids: Ids;
  /** `shadow`: flows decide and journal, and perform nothing (lib/wiring/journaled.ts); absent: live. */
  mode?: TenonMode;
}

export interface FullPorts extends CorePorts {
  cloud: Cloud;
  cluster: Cluster;
  /**
   * The container's bound-pod cache (lib/cluster-state/), kept for the container's life so a warm
   * invocation only replays pod changes. Without one, each run starts from the published snapshot.
   */
  clusterState?: ClusterStateKeeper;
  /** The consolidator's own queue, for waking it again in 15 s while there is work (absent: ticks only). */
  disruptionQueue?: DisruptionQueue;
}

/** The handler's own logger and metrics (Powertools in Lambda); a test runtime may use its own. */
export interface Telemetry {
  log: Log;
  metrics: MetricsSink;
}
