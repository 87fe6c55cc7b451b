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
import type { CustomObjectKind } from "../ports/cluster.ts";
import { decideNodePoolCascade } from "./cascade.ts";
import { mirrorNodeClaims, type MirrorReport } from "./nodeclaim-mirror.ts";
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
  /** Records marked Terminating this tick because their NodePool is gone. */
  nodePoolDeleted?: string[];
  /** The NodeClaim objects mirrored this tick, or why none were (nodeclaim-mirror.ts). */
  mirror?: MirrorReport;
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
  const cascaded = await cascadeDeletedNodePools(ports, records, executor);
  if (cascaded.length > 0) report.nodePoolDeleted = cascaded;
  // Termination decides from the same observation; its steps read back what the steps above did next tick.
  const termination = await runTermination(ports, { records, nodes, instances }, executor);
  if (termination) report.termination = termination;
  reportStuckDrains(ports, termination);
  const cleanup = await cleanUp(ports, { records, instances }, executor);
  if (cleanup) report.cleanup = cleanup;
  report.mirror = await mirrorNodeClaims(ports, executor);
  await executor.execute([{ kind: "publish-cluster-state", reason: "cold provisioner runs start from a snapshot at most a tick old" }]);
  return report;
}

export interface CleanupReport {
  launchTemplates: string[];
  instanceProfiles: string[];
  /** One line per step that failed; the other step still ran. */
  failures: string[];
}

/** Every NodePool or EC2NodeClass that exists, valid or not, as a CRD or a table item: an invalid object is still there. */
async function existingConfigNames(ports: FullPorts, kind: CustomObjectKind): Promise<string[]> {
  const fromCluster = await listAll((o) => ports.cluster.listCustomObjects(kind, o));
  const fromTable = await ports.store.listConfigObjects(kind);
  return [...fromCluster.map((o) => o.metadata?.name), ...fromTable.map((r) => r.name)].filter((n): n is string => typeof n === "string" && n !== "");
}

/**
 * Marks the records of NodePools that no longer exist Terminating (lib/lifecycle/cascade.ts);
 * termination takes them from the next tick. When the NodePools cannot be listed, nothing is marked.
 */
async function cascadeDeletedNodePools(ports: FullPorts, records: readonly NodeClaimRecord[], executor: Executor): Promise<string[]> {
  if (records.every((r) => r.phase === "Terminating")) return [];
  let existing: Set<string> | undefined;
  try {
    existing = new Set(await existingConfigNames(ports, "NodePool"));
  } catch (error) {
    ports.log.warn(`could not list NodePools, so no NodeClaim is cascaded this tick: ${(error as Error).message}`);
  }
  const applied = await executor.execute(decideNodePoolCascade(records, existing, ports.clock.now()));
  return applied.flatMap(({ action, outcome }) => (action.kind === "update-nodeclaim" && outcome.status === "done" ? [action.record.name] : []));
}

/** Metric DrainsStuck every tick (0 included, so an alarm sees data), and one warning per stuck drain. */
function reportStuckDrains(ports: FullPorts, termination: TerminationReport | undefined): void {
  const stuck = termination?.stuck ?? [];
  ports.metrics.addMetric(METRIC.drainsStuck, "Count", stuck.length);
  for (const drain of stuck) {
    ports.log.warn(`drain of Node ${drain.node} has lasted ${Math.round(drain.deletingForMs / 60_000)} min; held by ${drain.heldBy.join("; ")}`, {
      node: drain.node,
      deletingForMs: drain.deletingForMs,
      heldBy: drain.heldBy,
    });
  }
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
    nodeClasses = await existingConfigNames(ports, "EC2NodeClass");
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
