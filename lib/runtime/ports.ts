/**
 * What a function invocation works with, and how handlers get it. Handlers ask the installed
 * `Runtime` for their ports; in Lambda that is the AWS wiring built from the environment
 * (lib/runtime/aws.ts), in tests and the local loop it is whatever `installRuntime` put there
 * (a simulated cluster and cloud, a DynamoDB Local store). Core code only ever sees the ports.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Clock } from "../ports/clock.ts";
import type { Cloud } from "../ports/cloud.ts";
import type { Cluster } from "../ports/cluster.ts";
import type { Store } from "../ports/store.ts";
import type { ClusterStateKeeper } from "../cluster-state/keeper.ts";
import type { ProvisionerQueue } from "./queue.ts";
import type { Settings } from "./settings.ts";
import type { Log, MetricsSink } from "./telemetry.ts";

export type FunctionName = "batcher" | "provisioner" | "lifecycle" | "interruption";

/** Random names, injectable so a test can make them predictable when it must. */
export interface Ids {
  /** Five random lowercase letters (NodeClaim name suffix). */
  suffix(): string;
  uid(): string;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

export const randomIds: Ids = {
  suffix: () => [...randomBytes(5)].map((b) => LETTERS[b % 26]).join(""),
  uid: () => randomUUID(),
};

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
}

export interface FullPorts extends CorePorts {
  cloud: Cloud;
  cluster: Cluster;
  /**
   * The container's bound-pod cache (lib/cluster-state/), kept for the container's life so a warm
   * invocation only replays pod changes. Without one, each run starts from the published snapshot.
   */
  clusterState?: ClusterStateKeeper;
}

/** The handler's own logger and metrics (Powertools in Lambda); a test runtime may use its own. */
export interface Telemetry {
  log: Log;
  metrics: MetricsSink;
}

export interface Runtime {
  core(fn: FunctionName, telemetry: Telemetry): Promise<CorePorts>;
  full(fn: FunctionName, telemetry: Telemetry): Promise<FullPorts>;
}

let installed: Runtime | undefined;
let fromEnvironment: Promise<Runtime> | undefined;

/** Use `runtime` for every handler call until the returned function is called. */
export function installRuntime(runtime: Runtime): () => void {
  installed = runtime;
  return () => {
    if (installed === runtime) installed = undefined;
  };
}

/** The installed runtime, else the AWS one from `process.env` (built once per Lambda container). */
export async function currentRuntime(): Promise<Runtime> {
  if (installed) return installed;
  // Imported lazily so tests that install a runtime never load the AWS wiring.
  fromEnvironment ??= import("./aws.ts").then((m) => m.awsRuntime(process.env));
  return fromEnvironment;
}

/** A runtime over fixed ports (tests, the local loop): every function gets the same objects. */
export function fixedRuntime(ports: FullPorts): Runtime {
  return {
    core: async () => ports,
    full: async () => ports,
  };
}
