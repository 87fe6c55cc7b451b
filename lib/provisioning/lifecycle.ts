/**
 * The lifecycle tick: observe records, Nodes and instances, decide (lifecycle-decisions.ts), act.
 * Each action is idempotent and conditional on the record's version, so a tick that races another
 * (or is retried) skips what changed under it and leaves it to the next tick.
 */
import { LABEL_INITIALIZED, LABEL_REGISTERED } from "../api/labels.ts";
import type { CloudInstance } from "../ports/cloud.ts";
import { listAll, updateNodeTaints } from "../ports/cluster.ts";
import { ConflictError, type NodeClaimRecord } from "../ports/store.ts";
import type { FullPorts } from "../runtime/ports.ts";
import { METRIC } from "../runtime/telemetry.ts";
import {
  CLEANUP_INTERVAL_MS,
  CLEANUP_LEASE,
  decideLifecycle,
  planCleanup,
  TERMINATION_FINALIZER,
  UNREGISTERED_TAINT_KEY,
  type LifecycleAction,
} from "./lifecycle-decisions.ts";
import { initializedContent, registeredContent } from "./records.ts";

export interface LifecycleReport {
  registered: string[];
  initialized: string[];
  forgotten: string[];
  terminated: string[];
  /** Instances GC left alone because their Node is Ready. */
  spared?: string[];
  skipped: number;
  /** Present on the ticks that held the clean-up lease. */
  cleanup?: CleanupReport;
}

async function apply(ports: FullPorts, action: LifecycleAction, report: LifecycleReport): Promise<void> {
  const { store, cluster, cloud, clock, log, metrics } = ports;
  switch (action.kind) {
    case "register": {
      const nodeName = action.node.metadata.name;
      await cluster.addNodeFinalizer(nodeName, TERMINATION_FINALIZER);
      const labels: Record<string, string> = { ...(action.record.nodeClaim.metadata.labels ?? {}), [LABEL_REGISTERED]: "true" };
      await cluster.patchNodeMetadata(nodeName, { labels });
      await updateNodeTaints(cluster, nodeName, (taints) => taints.filter((t) => t.key !== UNREGISTERED_TAINT_KEY));
      await store.updateNodeClaim(action.record.name, action.record.version, registeredContent(action.record, nodeName, clock.now()), clock.now());
      metrics.addMetric(METRIC.nodeClaimsRegistered, "Count", 1);
      log.info(`NodeClaim ${action.record.name} registered as Node ${nodeName}`);
      report.registered.push(action.record.name);
      return;
    }
    case "initialize": {
      await cluster.patchNodeMetadata(action.node.metadata.name, { labels: { [LABEL_INITIALIZED]: "true" } });
      await store.updateNodeClaim(action.record.name, action.record.version, initializedContent(action.record, clock.now()), clock.now());
      metrics.addMetric(METRIC.nodeClaimsInitialized, "Count", 1);
      log.info(`NodeClaim ${action.record.name} initialized`);
      report.initialized.push(action.record.name);
      return;
    }
    case "terminate-unregistered": {
      if (action.instanceId) await cloud.delete(action.instanceId);
      await store.deleteNodeClaim(action.record.name, action.record.version);
      metrics.addMetric(METRIC.nodeClaimsDeleted, "Count", 1);
      log.warn(`NodeClaim ${action.record.name} never registered a Node; terminated ${action.instanceId ?? "(no instance)"}`);
      report.terminated.push(action.instanceId ?? action.record.name);
      report.forgotten.push(action.record.name);
      return;
    }
    case "forget": {
      await store.deleteNodeClaim(action.record.name, action.record.version);
      metrics.addMetric(METRIC.nodeClaimsDeleted, "Count", 1);
      log.warn(`NodeClaim ${action.record.name} deleted: ${action.reason}`);
      report.forgotten.push(action.record.name);
      return;
    }
    case "terminate-leaked": {
      await cloud.delete(action.instance.instanceId);
      metrics.addMetric(METRIC.instancesGarbageCollected, "Count", 1);
      log.warn(`terminated instance ${action.instance.instanceId}: launched by Tenon for this cluster but no NodeClaim owns it`, { nodeClaim: action.instance.nodeClaimName });
      report.terminated.push(action.instance.instanceId);
      return;
    }
    case "spare-ready": {
      metrics.addMetric(METRIC.instancesSparedReady, "Count", 1);
      log.warn(`left instance ${action.instance.instanceId} running: ${action.reason}`, { nodeClaim: action.instance.nodeClaimName, node: action.nodeName });
      (report.spared ??= []).push(action.instance.instanceId);
      return;
    }
    case "remove-vanished": {
      if (action.node) {
        await cluster.removeNodeFinalizer(action.node.metadata.name, TERMINATION_FINALIZER);
        await cluster.deleteNode(action.node.metadata.name);
      }
      await store.deleteNodeClaim(action.record.name, action.record.version);
      metrics.addMetric(METRIC.nodeClaimsDeleted, "Count", 1);
      log.warn(`NodeClaim ${action.record.name} deleted: its instance is gone`);
      report.forgotten.push(action.record.name);
      return;
    }
  }
}

export async function runLifecycle(ports: FullPorts): Promise<LifecycleReport> {
  const { store, cluster, cloud, clock, settings, log } = ports;
  const [records, nodes, instances] = await Promise.all([store.listNodeClaims(), listAll((o) => cluster.listNodes(o)), cloud.list()]);
  const actions = decideLifecycle({
    records, nodes, instances, nowMs: clock.now(),
    timing: { registrationTtlMs: settings.registrationTtlMs, pendingRecordTtlMs: settings.pendingRecordTtlMs, gcGraceMs: settings.gcGraceMs, launchAttempts: settings.launchAttempts },
  });
  const report: LifecycleReport = { registered: [], initialized: [], forgotten: [], terminated: [], skipped: 0 };
  for (const action of actions) {
    try {
      await apply(ports, action, report);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      report.skipped++;
      log.info(`skipped ${action.kind}: the record changed meanwhile`, { error: error.message });
    }
  }
  const cleanup = await cleanUp(ports, { records, instances });
  if (cleanup) report.cleanup = cleanup;
  await publishClusterState(ports);
  return report;
}

export interface CleanupReport {
  launchTemplates: string[];
  instanceProfiles: string[];
  /** One line per step that failed; the other step still ran. */
  failures: string[];
}

/** Every EC2NodeClass that exists, valid or not: an invalid NodeClass is still there, and so is its profile. */
async function existingNodeClassNames(ports: FullPorts): Promise<string[]> {
  const fromCluster = await listAll((o) => ports.cluster.listCustomObjects("EC2NodeClass", o));
  const fromTable = await ports.store.listConfigObjects("EC2NodeClass");
  return [...fromCluster.map((o) => o.metadata?.name), ...fromTable.map((r) => r.name)].filter((n): n is string => typeof n === "string" && n !== "");
}

/**
 * Deletes launch templates and instance profiles nothing needs any more (as Karpenter does), at most
 * once per CLEANUP_INTERVAL_MS across all ticks: only the tick that acquires the "cleanup" lease runs
 * it, and the lease is left to expire. Failures are logged and counted; they never fail the tick.
 * Returns undefined when this tick did not hold the lease or the cloud has nothing to clean.
 */
export async function cleanUp(
  ports: FullPorts,
  observed: { records: readonly NodeClaimRecord[]; instances: readonly CloudInstance[] },
): Promise<CleanupReport | undefined> {
  const { cloud, store, clock, ids, log, metrics } = ports;
  if (!cloud.cleanupLaunchTemplates && !cloud.cleanupInstanceProfiles) return undefined;
  const report: CleanupReport = { launchTemplates: [], instanceProfiles: [], failures: [] };
  const fail = (step: string, error: unknown): void => {
    const message = `${step}: ${(error as Error).message}`;
    report.failures.push(message);
    metrics.addMetric(METRIC.cleanupFailures, "Count", 1);
    log.warn(`clean-up failed: ${message}`);
  };
  try {
    if (!(await store.acquireLease(CLEANUP_LEASE, ids.uid(), CLEANUP_INTERVAL_MS, clock.now()))) return undefined;
  } catch (error) {
    fail("acquiring the clean-up lease", error);
    return report;
  }
  let nodeClasses: string[] | undefined;
  try {
    nodeClasses = await existingNodeClassNames(ports);
  } catch (error) {
    // Without the NodeClass list every profile would look orphaned: skip profiles this time.
    fail("listing EC2NodeClasses", error);
  }
  const plan = planCleanup({ ...observed, nodeClasses: nodeClasses ?? [] });
  if (cloud.cleanupLaunchTemplates) {
    try {
      report.launchTemplates = await cloud.cleanupLaunchTemplates(plan.templatesInUse, plan.templateGraceMs);
    } catch (error) {
      fail("deleting unused launch templates", error);
    }
  }
  if (cloud.cleanupInstanceProfiles && nodeClasses) {
    try {
      report.instanceProfiles = await cloud.cleanupInstanceProfiles(plan.keepNodeClasses);
    } catch (error) {
      fail("deleting orphaned instance profiles", error);
    }
  }
  if (report.launchTemplates.length > 0) {
    metrics.addMetric(METRIC.launchTemplatesDeleted, "Count", report.launchTemplates.length);
    log.info(`deleted ${report.launchTemplates.length} unused launch template(s)`, { launchTemplates: report.launchTemplates });
  }
  if (report.instanceProfiles.length > 0) {
    metrics.addMetric(METRIC.instanceProfilesDeleted, "Count", report.instanceProfiles.length);
    log.info(`deleted ${report.instanceProfiles.length} instance profile(s) whose EC2NodeClass is gone`, { instanceProfiles: report.instanceProfiles });
  }
  return report;
}

/**
 * Brings the container's bound-pod cache current and publishes it, so cold provisioner runs start
 * from a snapshot at most a tick old (docs/kubernetes.md, "Keeping cluster state current"). Never
 * lists every pod (the tick's timeout is too short at 50,000 pods); a failure never fails the tick.
 */
async function publishClusterState(ports: FullPorts): Promise<void> {
  if (!ports.clusterState || !ports.clusterState.publishDue(ports.clock.now(), ports.settings.clusterStatePublishMs)) return;
  try {
    const { published, report } = await ports.clusterState.publish(ports, ports.clock.now(), { allowList: false });
    if (report) ports.log.info("cluster state brought up to date", { published, ...report });
    else ports.log.info("cluster state not published: it needs a full pod list, which the provisioner's next run makes");
  } catch (error) {
    ports.log.warn("could not bring the cluster state up to date", { error: (error as Error).message });
  }
}
