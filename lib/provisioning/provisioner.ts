/**
 * The provisioner's run: wait out the batch window, take the provisioning lease, observe, decide
 * with `schedule()` and `decideProvisioning` (actions, lib/actions/), then let the executor act:
 *  1. records left Pending by a crashed run are launched first (same client token: no second instance);
 *  2. every record in flight counts as capacity in the simulation, so a duplicated or retried run
 *     decides nothing new for pods already covered;
 *  3. the pods of Nodes on their way out (lib/disruption/deleting.ts) are planned again with the
 *     pending ones, and those Nodes offer no capacity: replacement capacity comes up while they
 *     drain (an interruption, `kubectl delete node`); a disruption command's replacements are
 *     records in flight, so they take those pods and nothing is launched twice;
 *  4. each new NodeClaim is written as a Pending record before its launch, then updated to Launched;
 *     the lease is checked before and after the writes, and a run that lost it meanwhile withdraws
 *     its records instead of launching them (its decision may duplicate the new holder's).
 */
import type { Action, ActionOf, Applied, Executor } from "../actions/actions.ts";
import { PortExecutor } from "../actions/executor.ts";
import { newNodeClaimContent } from "../actions/records.ts";
import { LABEL_NODEPOOL } from "../api/labels.ts";
import { clusterObjects, observe, type Leaving, type Observation } from "../observe/observe.ts";
import { leavingNodes, podsGivenBack } from "../disruption/deleting.ts";
import { listAll } from "../ports/cluster.ts";
import type { FullPorts, Ids } from "../observe/ports.ts";
import { failedSchedulingEvent, nominatedEvent } from "../ports/cluster.ts";
import { KARPENTER_METRIC, METRIC } from "../ports/telemetry.ts";
import { schedule } from "../scheduling/scheduler.ts";
import { buildSchedulingInput } from "../scheduling/snapshot.ts";
import type { SchedulingResult } from "../scheduling/types.ts";
import { judgeWindow } from "./batch-window.ts";
import { uniqueNodeClaimName } from "../actions/naming.ts";
import { summarizeScheduling, type SchedulingSummary } from "../journal/entry.ts";

export const PROVISIONER_LEASE = "provisioner";

export type ProvisionerTrigger = "message" | "tick";

export interface ProvisionerReport {
  /** What happened to the batch window: none open, closed by this run, or still open when the wait budget ran out. */
  window: "none" | "closed" | "open";
  lease: "held" | "busy";
  relaunched: number;
  created: string[];
  launched: number;
  failed: number;
  unschedulable: number;
  /** The why, for the journal: where each pod group went or why nowhere, each new NodeClaim's types and price. */
  scheduling?: SchedulingSummary;
}

function emptyReport(window: ProvisionerReport["window"], lease: ProvisionerReport["lease"]): ProvisionerReport {
  return { window, lease, relaunched: 0, created: [], launched: 0, failed: 0, unschedulable: 0 };
}

/** Waits until the window is due and claims it. Returns "open" if `budgetMs` ran out first. */
export async function settleWindow(ports: Pick<FullPorts, "store" | "clock" | "settings" | "log">, budgetMs: number): Promise<ProvisionerReport["window"]> {
  const timing = { idleMs: ports.settings.batchIdleMs, maxMs: ports.settings.batchMaxMs };
  const giveUpAt = ports.clock.now() + budgetMs;
  for (;;) {
    const window = await ports.store.getBatchWindow();
    const verdict = judgeWindow(window, ports.clock.now(), timing);
    if (verdict.kind === "none") return "none";
    if (verdict.kind === "close") {
      if (await ports.store.claimBatchWindow(verdict.version)) return "closed";
      // More pods arrived or another run claimed it: look again.
      continue;
    }
    if (verdict.untilMs > giveUpAt) return "open";
    await ports.clock.sleep(verdict.untilMs - ports.clock.now());
  }
}

/**
 * The Tenon-managed Nodes on their way out (lib/disruption/deleting.ts) and the pods they give
 * back: one pod list per such Node (usually none).
 */
export async function observeLeaving(ports: Pick<FullPorts, "cluster">, observation: Pick<Observation, "nodes" | "records">): Promise<Leaving> {
  const leaving = leavingNodes(observation.nodes, observation.records);
  const pods = await Promise.all(leaving.map(({ node }) => listAll((o) => ports.cluster.listPodsOnNode(node.metadata.name, o))));
  return { nodes: leaving.map(({ node }) => node.metadata.name), pods: podsGivenBack(pods.flat()) };
}

/** The Pending records a crashed run left behind, launched again first (same client token: no second instance). */
export function decideRelaunch(observation: Pick<Observation, "records" | "nodePools">, launchAttempts: number): Action[] {
  const options = new Map(observation.nodePools.map((o) => [o.nodePool.metadata.name, o]));
  return observation.records
    .filter((r) => r.phase === "Pending")
    .map((record) => ({
      kind: "launch-nodeclaim",
      name: record.name,
      record,
      option: options.get(record.nodeClaim.metadata.labels?.[LABEL_NODEPOOL] ?? ""),
      attempts: launchAttempts,
      reason: "a run that crashed left the record Pending: launch it with the same client token",
    }));
}

export interface ProvisioningInput {
  /** Records and NodePool options as observed (records re-read after the relaunches). */
  observation: Pick<Observation, "records" | "nodePools">;
  result: SchedulingResult;
  /** The lease this run holds: every write is fenced by it. */
  lease: { name: string; holder: string; token: number; ttlMs: number };
  /** Draws NodeClaim name suffixes and uids. */
  ids: Ids;
  nowMs: number;
  launchAttempts: number;
}

/**
 * What a scheduling result means, as actions: the lease re-checked, the new NodeClaims written as
 * Pending records, the lease checked again (a run that stalled while writing withdraws its records),
 * Events for the pods, then the launches. Pure: `ids` and `nowMs` come in.
 */
export function decideProvisioning(input: ProvisioningInput): Action[] {
  const { observation, result, lease, ids, nowMs } = input;
  const actions: Action[] = [];
  const launches: Action[] = [];
  if (result.newNodeClaims.length > 0) {
    const fence = { kind: "renew-lease", lease: lease.name, holder: lease.holder, token: lease.token, ttlMs: lease.ttlMs } as const;
    actions.push({ ...fence, withdraw: false, reason: "NodeClaims are written only under the lease: if it was lost, another run decides now" });
    const options = new Map(observation.nodePools.map((o) => [o.nodePool.metadata.name, o]));
    const taken = new Set(observation.records.map((r) => r.name));
    const nominations: Action[] = [];
    for (const claim of result.newNodeClaims) {
      const option = options.get(claim.nodePoolName);
      if (!option) continue;
      const name = uniqueNodeClaimName(claim.nodePoolName, ids.suffix, taken);
      taken.add(name);
      const content = newNodeClaimContent({ claim, nodePool: option.nodePool, name, uid: ids.uid(), nowMs, leaseToken: lease.token });
      actions.push({ kind: "write-nodeclaim", content, reason: `${claim.pods.length} pending pod(s) fit no existing or in-flight capacity` });
      for (const pod of claim.pods) nominations.push({ kind: "record-event", event: nominatedEvent(pod, name), reason: `planned on NodeClaim ${name}` });
      launches.push({ kind: "launch-nodeclaim", name, option, instanceTypes: claim.instanceTypes, attempts: input.launchAttempts, reason: "a NodeClaim this run wrote" });
    }
    // The check above fences nothing written after it: a run that stalled while writing may have
    // lost the lease to a run that decided the same pods without seeing our records. Renewing
    // again proves nobody took the lease before our last write (a later holder sees them all).
    actions.push({ ...fence, withdraw: true, reason: "a run that stalled while writing NodeClaims may have lost the lease to one that decided the same pods" });
    actions.push(...nominations);
  }
  const inFlight = new Set(observation.records.filter((r) => r.phase === "Pending" || r.phase === "Launched").map((r) => r.name));
  for (const placement of result.existingNodes) {
    if (!inFlight.has(placement.name)) continue;
    for (const pod of placement.pods) actions.push({ kind: "record-event", event: nominatedEvent(pod, placement.name), reason: `fits NodeClaim ${placement.name}, already in flight` });
  }
  for (const { pod, reason } of result.unschedulable) actions.push({ kind: "record-event", event: failedSchedulingEvent(pod, reason), reason });
  return [...actions, ...launches];
}

/** One observe-decide-act pass under the lease whose fencing token is `leaseToken`. */
export async function provisionOnce(ports: FullPorts, leaseToken: number, leaseHolder: string, executor: Executor = new PortExecutor(ports)): Promise<Omit<ProvisionerReport, "window" | "lease">> {
  const { store, clock, log, metrics, settings } = ports;
  const observation = await observe(ports, clock.now());
  metrics.addMetric(METRIC.podsPending, "Count", observation.provisionablePods.length);
  metrics.addMetric(KARPENTER_METRIC.schedulerQueueDepth, "Count", observation.provisionablePods.length);
  log.info("bound pods brought up to date", { ...observation.clusterState });

  // 1. Finish launches a crashed run left behind, before deciding anything new.
  const relaunch = decideRelaunch(observation, settings.launchAttempts);
  const relaunched = await executor.execute(relaunch);
  observation.records = await store.listNodeClaims();
  const leaving = await observeLeaving(ports, observation);

  // 2. Decide: pending pods, and the pods leaving Nodes give back.
  if (observation.provisionablePods.length === 0 && leaving.pods.length === 0) {
    return { relaunched: relaunch.length, created: [], ...countLaunches(relaunched), unschedulable: 0 };
  }
  const scheduling = { preferencePolicy: settings.preferencePolicy, minValuesPolicy: settings.minValuesPolicy };
  const input = buildSchedulingInput(clusterObjects(observation, leaving), { note: (message) => log.debug(message), scheduling });
  const started = performance.now();
  const result: SchedulingResult = schedule(input);
  const tookMs = performance.now() - started;
  metrics.addMetric(METRIC.schedulingDurationMs, "Milliseconds", Math.round(tookMs));
  metrics.addMetric(KARPENTER_METRIC.schedulingDuration, "Seconds", tookMs / 1000);
  log.info("scheduled pending pods", {
    pods: input.pods.length, givenBack: leaving.pods.length, leavingNodes: leaving.nodes.length, newNodeClaims: result.newNodeClaims.length, onExisting: result.existingNodes.reduce((n, p) => n + p.pods.length, 0), unschedulable: result.unschedulable.length,
  });
  const actions = decideProvisioning({
    observation, result, ids: ports.ids, nowMs: clock.now(), launchAttempts: settings.launchAttempts,
    lease: { name: PROVISIONER_LEASE, holder: leaseHolder, token: leaseToken, ttlMs: settings.provisionerLeaseTtlMs },
  });

  // 3. Act: records first, then launches; a lost lease stops the list (and withdraws what it wrote).
  const applied = await executor.execute(actions);
  const leaseLost = applied.some((a) => a.action.kind === "renew-lease" && a.outcome.status === "skipped");
  const created = leaseLost ? [] : applied.filter((a) => a.action.kind === "write-nodeclaim" && a.outcome.status === "done").map((a) => (a.action as ActionOf<"write-nodeclaim">).content.nodeClaim.metadata.name);
  return { relaunched: relaunch.length, created, ...countLaunches([...relaunched, ...applied]), unschedulable: result.unschedulable.length, scheduling: summarizeScheduling(result, decidedNames(result, actions)) };
}

/** The name this decision gave each new NodeClaim of `result` (undefined where its NodePool was gone). */
function decidedNames(result: SchedulingResult, actions: readonly Action[]): Array<string | undefined> {
  const written = actions.filter((a): a is ActionOf<"write-nodeclaim"> => a.kind === "write-nodeclaim");
  const pools = new Set(written.map((a) => a.content.nodeClaim.metadata.labels?.[LABEL_NODEPOOL]));
  let next = 0;
  return result.newNodeClaims.map((claim) => (pools.has(claim.nodePoolName) ? written[next++]?.content.nodeClaim.metadata.name : undefined));
}

function countLaunches(applied: readonly Applied[]): { launched: number; failed: number } {
  const results = applied.flatMap((a) => (a.launch ? [a.launch] : []));
  return { launched: results.filter((o) => o.kind === "launched").length, failed: results.filter((o) => o.kind === "failed").length };
}

/**
 * A whole provisioner invocation. A message whose run finds the lease taken is sent again (after
 * the idle window), so its pods are not left to the next tick; a tick just skips.
 */
export async function runProvisioner(ports: FullPorts, trigger: ProvisionerTrigger, waitBudgetMs?: number, executor?: Executor): Promise<ProvisionerReport> {
  const { store, clock, settings, log } = ports;
  const window = await settleWindow(ports, waitBudgetMs ?? settings.batchMaxMs + settings.batchIdleMs);
  if (window === "open") {
    // Still open when our budget ran out (a flood of signals): a later message or tick closes it.
    await ports.queue.send({ kind: "batch-ready", firstSeenAtMs: clock.now(), reason: "window-still-open" }, settings.batchIdleMs);
  }
  const holder = `provisioner-${ports.ids.uid()}`;
  const lease = await store.acquireLease(PROVISIONER_LEASE, holder, settings.provisionerLeaseTtlMs, clock.now());
  if (!lease) {
    log.info("another provisioner run holds the lease", { trigger });
    if (trigger === "message") await ports.queue.send({ kind: "batch-ready", firstSeenAtMs: clock.now(), reason: "lease-busy" }, settings.batchIdleMs);
    return emptyReport(window, "busy");
  }
  try {
    const pass = await provisionOnce(ports, lease.token, holder, executor);
    log.info("provisioner run done", { trigger, window, ...pass, created: pass.created.length });
    return { window, lease: "held", ...pass };
  } finally {
    await store.releaseLease(PROVISIONER_LEASE, holder);
  }
}
