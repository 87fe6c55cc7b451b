/**
 * The provisioner's run: wait out the batch window, take the provisioning lease, observe, decide
 * with `schedule()`, then act idempotently:
 *  1. records left Pending by a crashed run are launched first (same client token: no second instance);
 *  2. every record in flight counts as capacity in the simulation, so a duplicated or retried run
 *     decides nothing new for pods already covered;
 *  3. each new NodeClaim is written as a Pending record before its launch, then updated to Launched;
 *     the lease is checked before and after the writes, and a run that lost it meanwhile withdraws
 *     its records instead of launching them (its decision may duplicate the new holder's).
 */
import { failedSchedulingEvent, nominatedEvent } from "../ports/cluster.ts";
import type { Pod } from "../api/kubernetes.ts";
import { ConflictError, type NodeClaimRecord, type Store } from "../ports/store.ts";
import { schedule } from "../scheduling/scheduler.ts";
import { buildSchedulingInput } from "../scheduling/snapshot.ts";
import type { NodePoolOption, SchedulingResult } from "../scheduling/types.ts";
import { clusterObjects, observe, type Observation } from "../observe/observe.ts";
import type { FullPorts } from "../observe/ports.ts";
import { METRIC } from "../ports/telemetry.ts";
import { judgeWindow } from "./batch-window.ts";
import { launchRecord, type LaunchOutcome } from "./launch.ts";
import { uniqueNodeClaimName } from "./naming.ts";
import { newNodeClaimContent } from "./records.ts";

export const PROVISIONER_LEASE = "provisioner";
/** Launches in flight at once: enough to launch a large batch quickly, few enough for EC2's API rate. */
const LAUNCH_CONCURRENCY = 8;

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
 * Runs `fn` over `items`, at most `limit` at a time. Every item is attempted even when one fails
 * (no launch is left running after the invocation returns); the first error is rethrown at the end.
 */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
  return out;
}

function optionFor(observation: Observation, record: NodeClaimRecord): NodePoolOption | undefined {
  const poolName = record.nodeClaim.metadata.labels?.["karpenter.sh/nodepool"];
  return observation.nodePools.find((o) => o.nodePool.metadata.name === poolName);
}

/** One observe-decide-act pass under the lease whose fencing token is `leaseToken`. */
export async function provisionOnce(ports: FullPorts, leaseToken: number, leaseHolder: string): Promise<Omit<ProvisionerReport, "window" | "lease">> {
  const { store, cluster, clock, log, metrics, settings } = ports;
  const observation = await observe(ports, clock.now());
  metrics.addMetric(METRIC.podsPending, "Count", observation.provisionablePods.length);
  log.info("bound pods brought up to date", { ...observation.clusterState });

  // 1. Finish launches a crashed run left behind, before deciding anything new.
  const leftPending = observation.records.filter((r) => r.phase === "Pending");
  const relaunched = await mapLimit(leftPending, LAUNCH_CONCURRENCY, (r) => launchRecord(ports, r, optionFor(observation, r), settings.launchAttempts));
  observation.records = await store.listNodeClaims();

  // 2. Decide.
  if (observation.provisionablePods.length === 0) {
    return { relaunched: leftPending.length, created: [], ...countOutcomes(relaunched), unschedulable: 0 };
  }
  const input = buildSchedulingInput(clusterObjects(observation), { note: (message) => log.debug(message) });
  const started = performance.now();
  const result: SchedulingResult = schedule(input);
  metrics.addMetric(METRIC.schedulingDurationMs, "Milliseconds", Math.round(performance.now() - started));
  log.info("scheduled pending pods", {
    pods: input.pods.length, newNodeClaims: result.newNodeClaims.length, onExisting: result.existingNodes.reduce((n, p) => n + p.pods.length, 0), unschedulable: result.unschedulable.length,
  });

  // 3. Act: records first, then launches. A lost lease means another run decides now; stop before writing.
  const created: NodeClaimRecord[] = [];
  const nominations: Array<{ name: string; pods: readonly Pod[] }> = [];
  if (result.newNodeClaims.length > 0) {
    const lease = await store.renewLease(PROVISIONER_LEASE, leaseHolder, settings.provisionerLeaseTtlMs, clock.now());
    if (!lease || lease.token !== leaseToken) {
      log.warn("lost the provisioning lease before writing NodeClaims; leaving the decision to its new holder");
      return { relaunched: leftPending.length, created: [], ...countOutcomes(relaunched), unschedulable: result.unschedulable.length };
    }
    const taken = new Set(observation.records.map((r) => r.name));
    for (const claim of result.newNodeClaims) {
      const option = observation.nodePools.find((o) => o.nodePool.metadata.name === claim.nodePoolName);
      if (!option) continue;
      const name = uniqueNodeClaimName(claim.nodePoolName, ports.ids.suffix, taken);
      taken.add(name);
      const content = newNodeClaimContent({ claim, nodePool: option.nodePool, name, uid: ports.ids.uid(), nowMs: clock.now(), leaseToken });
      const { record } = await store.createNodeClaim(content, clock.now());
      created.push(record);
      nominations.push({ name, pods: claim.pods });
    }
    // The check above fences nothing written after it: a run that stalled while writing may have
    // lost the lease to a run that decided the same pods without seeing our records. Renewing
    // again proves nobody took the lease before our last write (a later holder sees them all).
    const kept = await store.renewLease(PROVISIONER_LEASE, leaseHolder, settings.provisionerLeaseTtlMs, clock.now());
    if (!kept || kept.token !== leaseToken) {
      const withdrawn = await withdrawRecords(store, created);
      log.warn("lost the provisioning lease while writing NodeClaims; withdrew the ones nobody took over", { written: created.length, withdrawn });
      return { relaunched: leftPending.length, created: [], ...countOutcomes(relaunched), unschedulable: result.unschedulable.length };
    }
    for (const { name, pods } of nominations) for (const pod of pods) await cluster.recordEvent(nominatedEvent(pod, name));
  }
  const inFlight = new Set(observation.records.filter((r) => r.phase === "Pending" || r.phase === "Launched").map((r) => r.name));
  for (const placement of result.existingNodes) {
    if (!inFlight.has(placement.name)) continue;
    for (const pod of placement.pods) await cluster.recordEvent(nominatedEvent(pod, placement.name));
  }
  for (const { pod, reason } of result.unschedulable) await cluster.recordEvent(failedSchedulingEvent(pod, reason));

  const launched = await mapLimit(created, LAUNCH_CONCURRENCY, (r) => launchRecord(ports, r, optionFor(observation, r), settings.launchAttempts));
  const counts = countOutcomes([...relaunched, ...launched]);
  return { relaunched: leftPending.length, created: created.map((r) => r.name), ...counts, unschedulable: result.unschedulable.length };
}

/**
 * Deletes the records a run wrote under a lease it has lost, unless one changed since (the new
 * holder launched it: it is theirs now). Returns how many were deleted.
 */
async function withdrawRecords(store: Store, records: readonly NodeClaimRecord[]): Promise<number> {
  let withdrawn = 0;
  for (const record of records) {
    try {
      if (await store.deleteNodeClaim(record.name, record.version)) withdrawn++;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  return withdrawn;
}

function countOutcomes(outcomes: readonly LaunchOutcome[]): { launched: number; failed: number } {
  return { launched: outcomes.filter((o) => o.kind === "launched").length, failed: outcomes.filter((o) => o.kind === "failed").length };
}

/**
 * A whole provisioner invocation. A message whose run finds the lease taken is sent again (after
 * the idle window), so its pods are not left to the next tick; a tick just skips.
 */
export async function runProvisioner(ports: FullPorts, trigger: ProvisionerTrigger, waitBudgetMs?: number): Promise<ProvisionerReport> {
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
    const pass = await provisionOnce(ports, lease.token, holder);
    log.info("provisioner run done", { trigger, window, ...pass, created: pass.created.length });
    return { window, lease: "held", ...pass };
  } finally {
    await store.releaseLease(PROVISIONER_LEASE, holder);
  }
}
