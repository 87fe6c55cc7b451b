/**
 * Launching one NodeClaim record, idempotently: the cloud derives the client token from the
 * record's name and uid, so launching a record again (a retried or crashed invocation) never makes
 * a second instance. Capacity errors have already marked their offerings unavailable, so each
 * retry plans around them (other types, zones, or the next capacity type). When every attempt
 * fails the record is deleted: its pods are released to the next batch.
 */
import { LABEL_NODEPOOL } from "../api/labels.ts";
import type { EC2NodeClass } from "../api/types.ts";
import type { InstanceType } from "../ports/instance-type.ts";
import { InsufficientCapacityError, NodeClassNotReadyError, type Cloud, type LaunchRequest } from "../ports/cloud.ts";
import { nodeClaimEvent, type Cluster } from "../ports/cluster.ts";
import { publishEvent, type EventPorts } from "./events.ts";
import type { Clock } from "../ports/clock.ts";
import { ConflictError, type NodeClaimRecord, type Store } from "../ports/store.ts";
import type { NodePoolOption } from "../scheduling/types.ts";
import type { Log, MetricsSink } from "../ports/telemetry.ts";
import { emit, METRIC } from "../ports/telemetry.ts";
import { cloudProviderError, instanceLaunchFailure } from "../metrics/karpenter.ts";
import type { LaunchResult } from "./actions.ts";
import { failedAttemptContent, instanceTypeNames, launchedContent } from "./records.ts";

export interface LaunchPorts {
  store: Store;
  cloud: Cloud;
  cluster: Cluster;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
  /** How the executor publishes events (dedupe, NodeClaim objects); absent: no event goes to the NodeClaim. */
  events?: EventPorts;
}

/**
 * A failed attempt told on the NodeClaim, as Karpenter does (InsufficientCapacityError,
 * NodeClassNotReady), when its object exists (lib/lifecycle/nodeclaim-mirror.ts). Never fails the launch.
 */
async function tellNodeClaim(ports: LaunchPorts, record: NodeClaimRecord, reason: string, message: string): Promise<void> {
  if (!ports.events) return;
  try {
    await publishEvent(ports.events, nodeClaimEvent(record.name, record.nodeClaim.metadata.uid ?? record.name, "Warning", reason, message.slice(0, 1000)));
  } catch (error) {
    ports.log.warn(`could not record ${reason} on NodeClaim ${record.name}: ${(error as Error).message}`);
  }
}

export type LaunchOutcome = LaunchResult;

/**
 * The launch request for a record: its NodeClass and its instance types in preference order: the
 * objects the decision carried, or for a record an earlier run wrote, looked up by the names it keeps.
 */
export function launchRequestFor(record: NodeClaimRecord, option: NodePoolOption, nodeClass: EC2NodeClass, carried?: readonly InstanceType[]): LaunchRequest {
  const claim = record.nodeClaim;
  let instanceTypes: InstanceType[];
  if (carried) instanceTypes = [...carried];
  else {
    const byName = new Map(option.instanceTypes.map((t) => [t.name, t]));
    instanceTypes = instanceTypeNames(claim).map((n) => byName.get(n)).filter((t): t is InstanceType => t !== undefined);
  }
  return {
    nodeClaimName: record.name,
    nodeClaimUid: claim.metadata.uid ?? record.name,
    nodePoolName: option.nodePool.metadata.name,
    nodeClass,
    requirements: claim.spec.requirements,
    instanceTypes,
    labels: claim.metadata.labels ?? {},
    taints: claim.spec.taints,
    startupTaints: claim.spec.startupTaints,
    ...(claim.spec.resources?.requests ? { requests: claim.spec.resources.requests } : {}),
  };
}

async function releaseRecord(ports: LaunchPorts, record: NodeClaimRecord, poolName: string, reason: string): Promise<LaunchOutcome> {
  try {
    await ports.store.deleteNodeClaim(record.name, record.version);
  } catch (error) {
    if (error instanceof ConflictError) return { kind: "superseded", name: record.name };
    throw error;
  }
  ports.metrics.addMetric(METRIC.launchFailures, "Count", 1);
  emit(ports.metrics, [instanceLaunchFailure(poolName)]);
  ports.log.warn(`NodeClaim ${record.name} could not be launched and was deleted; its pods go to the next batch`, { nodeClaim: record.name, reason });
  await ports.cluster.recordEvent({
    involvedObject: { apiVersion: "karpenter.sh/v1", kind: "NodePool", name: poolName },
    type: "Warning",
    reason: "LaunchFailed",
    message: `NodeClaim ${record.name}: ${reason}`.slice(0, 1000),
  });
  return { kind: "failed", name: record.name, reason };
}

/**
 * Launches `record` (phase Pending) and moves it to Launched. `attempts` bounds the calls made in
 * this invocation; errors that are not about capacity or the NodeClass propagate (the record stays
 * Pending and the next run launches it again with the same client token).
 */
export async function launchRecord(ports: LaunchPorts, initial: NodeClaimRecord, option: NodePoolOption | undefined, attempts: number, instanceTypes?: readonly InstanceType[]): Promise<LaunchOutcome> {
  const poolName = option?.nodePool.metadata.name ?? initial.nodeClaim.metadata.labels?.[LABEL_NODEPOOL] ?? "unknown";
  if (!option?.nodeClass) return releaseRecord(ports, initial, poolName, `NodePool ${poolName} or its EC2NodeClass is no longer usable`);
  const request = launchRequestFor(initial, option, option.nodeClass, instanceTypes);
  if (request.instanceTypes.length === 0) return releaseRecord(ports, initial, poolName, "none of its instance types is offered any more");
  let record = initial;
  let lastReason = "";
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const instance = await ports.cloud.create(request);
      const type = request.instanceTypes.find((t) => t.name === instance.instanceType);
      const updated = await ports.store.updateNodeClaim(record.name, record.version, launchedContent(record, instance, type, ports.clock.now(), request.nodeClass), ports.clock.now());
      ports.metrics.addMetric(METRIC.nodeClaimsLaunched, "Count", 1);
      ports.log.info(`launched NodeClaim ${record.name}`, { nodeClaim: record.name, instanceId: instance.instanceId, instanceType: instance.instanceType, zone: instance.zone, capacityType: instance.capacityType });
      return { kind: "launched", record: updated };
    } catch (error) {
      if (error instanceof ConflictError) return { kind: "superseded", name: record.name };
      emit(ports.metrics, [cloudProviderError("create", error instanceof InsufficientCapacityError ? "InsufficientCapacityError" : (error as Error).name || "Error")]);
      if (error instanceof NodeClassNotReadyError) {
        await tellNodeClaim(ports, record, "NodeClassNotReady", `Failed to launch NodeClaim ${record.name}: ${error.message}`);
        return releaseRecord(ports, record, poolName, error.message);
      }
      if (!(error instanceof InsufficientCapacityError)) throw error;
      lastReason = error.message;
      await tellNodeClaim(ports, record, "InsufficientCapacityError", `NodeClaim ${record.name} could not launch: ${error.message}`);
      ports.metrics.addMetric(METRIC.insufficientCapacityErrors, "Count", 1);
      ports.log.warn(`insufficient capacity launching NodeClaim ${record.name} (attempt ${attempt + 1} of ${attempts})`, { nodeClaim: record.name, failures: error.failures });
      try {
        record = await ports.store.updateNodeClaim(record.name, record.version, failedAttemptContent(record, error.message, ports.clock.now()), ports.clock.now());
      } catch (updateError) {
        if (updateError instanceof ConflictError) return { kind: "superseded", name: record.name };
        throw updateError;
      }
    }
  }
  return releaseRecord(ports, record, poolName, lastReason);
}
