/**
 * The lifecycle tick: observe records, Nodes (the shared node view, lib/observe/nodes.ts) and
 * instances, decide (decisions.ts: actions), and let the executor act. Each action is idempotent and
 * record writes are conditional on the record's version, so a tick that races another (or is
 * retried) skips what changed under it and leaves it to the next tick.
 */
import type { CloudInstance } from "../ports/cloud.ts";
import { listAll } from "../ports/cluster.ts";
import type { NodeClaimRecord } from "../ports/store.ts";
import type { FullPorts } from "../observe/ports.ts";
import { METRIC } from "../ports/telemetry.ts";
import type { Action, Applied, Executor } from "../actions/actions.ts";
import { PortExecutor } from "../actions/executor.ts";
import { observeNodes } from "../observe/nodes.ts";
import { runTermination, type TerminationReport } from "../termination/termination.ts";
import { CLEANUP_INTERVAL_MS, CLEANUP_LEASE, decideLifecycle, planCleanup, stepOf } from "./decisions.ts";

export interface LifecycleReport {
  registered: string[];
  initialized: string[];
  forgotten: string[];
  terminated: string[];
  /** Instances garbage collection would terminate but left running because their Node is Ready. */
  spared?: string[];
  skipped: number;
  /** Present on the ticks that held the clean-up lease. */
  cleanup?: CleanupReport;
  /** Present when a Node or NodeClaim was on the termination path (lib/termination). */
  termination?: TerminationReport;
}

/** What the executor did, step by step: a unit counts when every action of it was applied. */
export function lifecycleReport(applied: readonly Applied[]): LifecycleReport {
  const report: LifecycleReport = { registered: [], initialized: [], forgotten: [], terminated: [], skipped: 0 };
  const units = new Map<string, Applied[]>();
  for (const a of applied) {
    if (a.action.unit === undefined) continue;
    units.set(a.action.unit, [...(units.get(a.action.unit) ?? []), a]);
  }
  for (const [unit, steps] of units) {
    if (steps.some((s) => s.outcome.status === "conflict")) {
      report.skipped++;
      continue;
    }
    if (!steps.every((s) => s.outcome.status === "done")) continue;
    const subject = unit.slice(unit.indexOf(":") + 1);
    const instance = steps.find((s) => s.action.kind === "terminate-instance")?.action as { instanceId: string } | undefined;
    switch (stepOf(unit)) {
      case "register":
        report.registered.push(subject);
        break;
      case "initialize":
        report.initialized.push(subject);
        break;
      case "terminate-unregistered":
        report.terminated.push(instance?.instanceId ?? subject);
        report.forgotten.push(subject);
        break;
      case "forget":
      case "remove-vanished":
        report.forgotten.push(subject);
        break;
      case "terminate-leaked":
        report.terminated.push(subject);
        break;
      case "spare-ready":
        (report.spared ??= []).push(subject);
        break;
    }
  }
  return report;
}

export async function runLifecycle(ports: FullPorts, executor: Executor = new PortExecutor(ports)): Promise<LifecycleReport> {
  const { store, cloud, clock, settings } = ports;
  const [records, nodes, instances] = await Promise.all([store.listNodeClaims(), observeNodes(ports), cloud.list()]);
  const actions = decideLifecycle({
    records, nodes, instances, nowMs: clock.now(),
    timing: { registrationTtlMs: settings.registrationTtlMs, pendingRecordTtlMs: settings.pendingRecordTtlMs, gcGraceMs: settings.gcGraceMs, launchAttempts: settings.launchAttempts },
  });
  const report = lifecycleReport(await executor.execute(actions));
  // Termination decides from the same observation; its steps read back what the steps above did next tick.
  const termination = await runTermination(ports, { records, nodes, instances }, executor);
  if (termination) report.termination = termination;
  const cleanup = await cleanUp(ports, { records, instances }, executor);
  if (cleanup) report.cleanup = cleanup;
  await executor.execute([{ kind: "publish-cluster-state", reason: "cold provisioner runs start from a snapshot at most a tick old" }]);
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
 * it, and the lease is left to expire. The deletions are actions (best effort): failures are logged
 * and counted, they never fail the tick. Returns undefined when this tick did not hold the lease or
 * the cloud has nothing to clean.
 */
export async function cleanUp(
  ports: FullPorts,
  observed: { records: readonly NodeClaimRecord[]; instances: readonly CloudInstance[] },
  executor: Executor = new PortExecutor(ports),
): Promise<CleanupReport | undefined> {
  const { cloud, store, clock, ids, log, metrics } = ports;
  if (!cloud.cleanupLaunchTemplates && !cloud.cleanupInstanceProfiles) return undefined;
  const report: CleanupReport = { launchTemplates: [], instanceProfiles: [], failures: [] };
  const fail = (step: string, message: string): void => {
    const line = `${step}: ${message}`;
    report.failures.push(line);
    metrics.addMetric(METRIC.cleanupFailures, "Count", 1);
    log.warn(`clean-up failed: ${line}`);
  };
  try {
    if (!(await store.acquireLease(CLEANUP_LEASE, ids.uid(), CLEANUP_INTERVAL_MS, clock.now()))) return undefined;
  } catch (error) {
    fail("acquiring the clean-up lease", (error as Error).message);
    return report;
  }
  let nodeClasses: string[] | undefined;
  try {
    nodeClasses = await existingNodeClassNames(ports);
  } catch (error) {
    // Without the NodeClass list every profile would look orphaned: skip profiles this time.
    fail("listing EC2NodeClasses", (error as Error).message);
  }
  const plan = planCleanup({ ...observed, nodeClasses: nodeClasses ?? [] });
  const actions: Action[] = [];
  if (cloud.cleanupLaunchTemplates) {
    actions.push({ kind: "delete-launch-templates", inUse: [...plan.templatesInUse], graceMs: plan.templateGraceMs, reason: "no live instance was launched from them and they are past the grace period" });
  }
  if (cloud.cleanupInstanceProfiles && nodeClasses) {
    actions.push({ kind: "delete-instance-profiles", keep: [...plan.keepNodeClasses], reason: "their EC2NodeClass is gone and no instance or NodeClaim uses them" });
  }
  for (const { action, outcome, deleted } of await executor.execute(actions)) {
    const templates = action.kind === "delete-launch-templates";
    if (outcome.status === "failed") fail(templates ? "deleting unused launch templates" : "deleting orphaned instance profiles", outcome.detail);
    else if (outcome.status === "done" && templates) report.launchTemplates = deleted ?? [];
    else if (outcome.status === "done") report.instanceProfiles = deleted ?? [];
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
