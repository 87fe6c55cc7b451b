/**
 * The one executor: applies a flow's actions through the ports, in order. Every action is safe to
 * apply twice (conditional writes, "already so" treated as done, client tokens on launches), so a
 * retried invocation re-applies a list without harm. Rules:
 *  - a ConflictError from a conditional record write ends that action's unit (the rest of the unit
 *    is skipped); anything else propagates after the consecutive launches in flight have finished;
 *  - a `renew-lease` that finds the lease gone stops the whole list (fencing); with `withdraw`, the
 *    records this list wrote are deleted again unless someone changed them since;
 *  - consecutive `launch-nodeclaim` actions run at most LAUNCH_CONCURRENCY at a time;
 *  - the clean-up deletions are best effort: a failure is an outcome ("failed"), not an error.
 */
import { updateNodeTaints } from "../ports/cluster.ts";
import { ConflictError, type NodeClaimRecord, type Store } from "../ports/store.ts";
import type { ClusterStateKeeper } from "../cluster-state/keeper.ts";
import type { Settings } from "../ports/settings.ts";
import type { ProvisionerQueue } from "../ports/queue.ts";
import { describe, type Action, type ActionOf, type Applied, type Executor } from "./actions.ts";
import { launchRecord, type LaunchPorts } from "./launch.ts";
import { emit } from "../ports/telemetry.ts";
import { EventRateLimiter, publishEvent, type EventPorts } from "./events.ts";
import { LABEL_MANAGED_BY } from "../api/labels.ts";
import { nodeClaimCreated } from "../metrics/karpenter.ts";

/** Launches in flight at once: enough to launch a large batch quickly, few enough for EC2's API rate. */
export const LAUNCH_CONCURRENCY = 8;

/** What the executor applies actions through: the launch's ports, and the cluster-state keeper. */
export interface ExecutorPorts extends LaunchPorts {
  settings?: Pick<Settings, "clusterStatePublishMs">;
  /** The provisioner queue, for `wake-provisioner`. */
  queue?: ProvisionerQueue;
  clusterState?: ClusterStateKeeper;
  /** The cluster's name: events on NodeClaims find Tenon's NodeClaim objects by it (label tenon.sh/managed-by). */
  clusterName?: string;
}

/**
 * Runs `fn` over `items`, at most `limit` at a time. Every item is attempted even when one fails
 * (no launch is left running after the invocation returns); the first error is rethrown at the end.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
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

/** Deletes `records` unless one changed since (its new owner keeps it). Returns how many were deleted. */
async function withdraw(store: Store, records: Iterable<NodeClaimRecord>): Promise<number> {
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

export class PortExecutor implements Executor {
  /** Rate limits events (Nominated) for this executor's run. */
  private readonly limiter = new EventRateLimiter();
  /** Tenon's NodeClaim objects by name (their uids), read once per run when an event on a NodeClaim asks. */
  private nodeClaimUids: Promise<Map<string, string>> | undefined;

  constructor(private readonly ports: ExecutorPorts) {}

  /** What publishing an event needs: the store's dedupe claims, the run's limiter, and NodeClaim objects' uids. */
  private eventPorts(): EventPorts {
    return { ...this.ports, limiter: this.limiter, nodeClaimUid: (name) => this.nodeClaimUid(name) };
  }

  private async nodeClaimUid(name: string): Promise<string | undefined> {
    const { cluster, clusterName } = this.ports;
    if (!clusterName) return undefined;
    this.nodeClaimUids ??= (async () => {
      const uids = new Map<string, string>();
      const selector = { labelSelector: `${LABEL_MANAGED_BY}=${clusterName}` };
      let page = await cluster.listNodeClaimObjects(selector);
      while (page !== "not-served") {
        for (const o of page.items) {
          const meta = o.metadata as { name?: string; uid?: string } | undefined;
          if (meta?.name && meta.uid) uids.set(meta.name, meta.uid);
        }
        if (!page.continue) break;
        page = await cluster.listNodeClaimObjects({ ...selector, continue: page.continue });
      }
      return uids;
    })().catch((error: unknown) => {
      this.ports.log.warn(`could not list NodeClaim objects, so no event goes to a NodeClaim this run: ${(error as Error).message}`);
      return new Map<string, string>();
    });
    return (await this.nodeClaimUids).get(name);
  }

  async execute(actions: readonly Action[]): Promise<Applied[]> {
    const applied: Applied[] = [];
    /** Records this list wrote, by name: launches and withdrawals refer to them. */
    const written = new Map<string, NodeClaimRecord>();
    const conflicted = new Set<string>();
    /** Versions this list left commands at, by id: a later action on the same command expects them. */
    const commandVersions = new Map<string, number>();
    let stopped: string | undefined;
    for (let i = 0; i < actions.length; ) {
      const action = actions[i]!;
      if (stopped !== undefined || (action.unit !== undefined && conflicted.has(action.unit))) {
        applied.push({ action, outcome: { status: "skipped", detail: stopped ?? `an earlier action of ${action.unit} conflicted` } });
        i++;
        continue;
      }
      if (action.kind === "launch-nodeclaim") {
        let end = i;
        while (end < actions.length && actions[end]!.kind === "launch-nodeclaim") end++;
        const launches = actions.slice(i, end) as Array<ActionOf<"launch-nodeclaim">>;
        const results = await mapLimit(launches, LAUNCH_CONCURRENCY, (a) => this.launch(a, written));
        launches.forEach((a, k) => {
          const result = results[k]!;
          applied.push({ action: a, outcome: { status: "done", detail: result.kind }, launch: result });
          if (result.kind === "launched") emit(this.ports.metrics, [nodeClaimCreated(result.record.nodeClaim, a.createdFor ?? "provisioning")]);
        });
        i = end;
        continue;
      }
      if (action.kind === "renew-lease") {
        const { store, clock, log } = this.ports;
        const lease = await store.renewLease(action.lease, action.holder, action.ttlMs, clock.now());
        if (!lease || lease.token !== action.token) {
          stopped = `lease ${action.lease} was lost: ${action.reason}`;
          const withdrawn = action.withdraw ? await withdraw(store, written.values()) : 0;
          log.warn(action.withdraw ? `lost the ${action.lease} lease; withdrew the records nobody took over` : `lost the ${action.lease} lease; stopped`, { reason: action.reason, written: written.size, withdrawn });
          applied.push({ action, outcome: { status: "skipped", detail: stopped } });
        } else applied.push({ action, outcome: { status: "done" } });
        i++;
        continue;
      }
      if (action.kind === "delete-launch-templates" || action.kind === "delete-instance-profiles") {
        try {
          const { cloud } = this.ports;
          const deleted =
            action.kind === "delete-launch-templates"
              ? ((await cloud.cleanupLaunchTemplates?.(new Set(action.inUse), action.graceMs)) ?? [])
              : ((await cloud.cleanupInstanceProfiles?.(new Set(action.keep))) ?? []);
          applied.push({ action, outcome: { status: "done" }, deleted });
        } catch (error) {
          // Best effort: a failed clean-up is reported and never fails the tick.
          applied.push({ action, outcome: { status: "failed", detail: (error as Error).message } });
        }
        i++;
        continue;
      }
      try {
        const detail = await this.apply(action, written, commandVersions);
        if (action.metric) this.ports.metrics.addMetric(action.metric, "Count", 1);
        if (action.metrics) emit(this.ports.metrics, action.metrics);
        applied.push({ action, outcome: detail === undefined ? { status: "done" } : { status: "done", detail } });
      } catch (error) {
        const conditional = action.kind === "update-nodeclaim" || action.kind === "delete-nodeclaim" || action.kind === "write-command" || action.kind === "update-command" || action.kind === "delete-command";
        if (!(conditional && error instanceof ConflictError)) throw error;
        if (action.unit !== undefined) conflicted.add(action.unit);
        this.ports.log.info(`skipped ${describe(action)}: the record changed meanwhile`, { error: error.message, unit: action.unit });
        applied.push({ action, outcome: { status: "conflict", detail: error.message } });
      }
      i++;
    }
    return applied;
  }

  private async launch(action: ActionOf<"launch-nodeclaim">, written: ReadonlyMap<string, NodeClaimRecord>) {
    const record = action.record ?? written.get(action.name);
    if (!record) return { kind: "superseded" as const, name: action.name };
    return launchRecord({ ...this.ports, events: this.eventPorts() }, record, action.option, action.attempts, action.instanceTypes);
  }

  /** Applies one action; returns a detail worth reporting (an eviction a PDB refused: "blocked"). */
  private async apply(action: Action, written: Map<string, NodeClaimRecord>, commandVersions: Map<string, number>): Promise<string | undefined> {
    const { store, cluster, cloud, clock, log } = this.ports;
    switch (action.kind) {
      case "write-command": {
        const record = await store.createDisruptionCommand(action.id, action.content, clock.now());
        commandVersions.set(action.id, record.version);
        return;
      }
      case "update-command": {
        const id = action.record.id;
        const record = await store.updateDisruptionCommand(id, commandVersions.get(id) ?? action.record.version, action.content, clock.now());
        commandVersions.set(id, record.version);
        return;
      }
      case "delete-command": {
        const id = action.record.id;
        const deleted = await store.deleteDisruptionCommand(id, commandVersions.get(id) ?? action.record.version);
        commandVersions.delete(id);
        return deleted ? undefined : "already gone";
      }
      case "write-nodeclaim": {
        const { record } = await store.createNodeClaim(action.content, clock.now());
        written.set(record.name, record);
        return;
      }
      case "update-nodeclaim":
        await store.updateNodeClaim(action.record.name, action.record.version, action.content, clock.now());
        log.info(`NodeClaim ${action.record.name}: ${action.reason}`);
        return;
      case "delete-nodeclaim":
        await store.deleteNodeClaim(action.record.name, action.record.version);
        log.warn(`NodeClaim ${action.record.name} deleted: ${action.reason}`);
        return;
      case "record-event": {
        // "deduplicated": a run published the same event within its dedupe timeout; "rate-limited",
        // "no NodeClaim object": not published either (events.ts).
        const outcome = await publishEvent(this.eventPorts(), action.event);
        return outcome === "published" ? undefined : outcome;
      }
      case "write-status": {
        const { kind, name, source } = action.object;
        if (source === "table") {
          await store.putObjectStatus(kind, name, action.status, clock.now());
          return;
        }
        return (await cluster.patchCustomObjectStatus(kind, name, action.status)) === "not-found" ? "not-found" : undefined;
      }
      case "create-nodeclaim-object": {
        const { name } = action.object.metadata;
        // "exists": an object of that name that is not Tenon's mirror (the mirror lists only its own): left alone.
        if ((await cluster.createNodeClaimObject(action.object)) === "exists") return "exists";
        const status = action.object["status"] as Record<string, unknown> | undefined;
        if (status) await cluster.patchNodeClaimObjectStatus(name, status);
        return;
      }
      case "update-nodeclaim-object": {
        if (action.metadata && (await cluster.patchNodeClaimObjectMetadata(action.name, action.metadata)) === "not-found") return "not-found";
        if (action.status && (await cluster.patchNodeClaimObjectStatus(action.name, action.status)) === "not-found") return "not-found";
        return;
      }
      case "delete-nodeclaim-object":
        return (await cluster.deleteNodeClaimObject(action.name, action.uid)) === "not-found" ? "already gone" : undefined;
      case "cordon-node":
        await cluster.setNodeUnschedulable(action.node, true);
        return;
      case "taint-node": {
        const { taint } = action;
        await updateNodeTaints(cluster, action.node, (taints) => (taints.some((t) => t.key === taint.key) ? taints : [...taints, taint]));
        return;
      }
      case "untaint-node":
        await updateNodeTaints(cluster, action.node, (taints) => taints.filter((t) => t.key !== action.key));
        return;
      case "label-node":
        await cluster.patchNodeMetadata(action.node, { labels: action.labels });
        return;
      case "add-node-finalizer":
        await cluster.addNodeFinalizer(action.node, action.finalizer);
        return;
      case "remove-node-finalizer":
        await cluster.removeNodeFinalizer(action.node, action.finalizer);
        return;
      case "delete-node":
        await cluster.deleteNode(action.node);
        return;
      case "evict-pod": {
        // A PDB's refusal (429) is not an error: the eviction is asked again next tick.
        const result = await cluster.evictPod(action.namespace, action.pod);
        if (result.outcome === "blocked") log.info(`eviction of ${action.namespace}/${action.pod} refused: ${result.message}`);
        return result.outcome;
      }
      case "delete-pod": {
        const result = await cluster.deletePodGracefully(action.namespace, action.pod);
        log.warn(`deleted pod ${action.namespace}/${action.pod}: ${action.reason}`);
        return result;
      }
      case "terminate-instance":
        await cloud.delete(action.instanceId);
        log.warn(`terminated instance ${action.instanceId}: ${action.reason}`);
        return;
      case "spare-instance":
        log.warn(`left instance ${action.instanceId} running: ${action.reason}`, { node: action.node });
        return;
      case "mark-offering-unavailable":
        await store.markUnavailable(action.offering, action.cause, action.expiresAtMs);
        return;
      case "wake-provisioner":
        if (!this.ports.queue) throw new Error(`cannot ${describe(action)}: this function has no provisioner queue`);
        await this.ports.queue.send({ kind: "batch-ready", firstSeenAtMs: clock.now(), reason: action.cause }, 0);
        return;
      case "publish-cluster-state":
        await this.publishClusterState();
        return;
      case "launch-nodeclaim":
      case "renew-lease":
      case "delete-launch-templates":
      case "delete-instance-profiles":
        throw new Error(`${action.kind} is applied by execute()`);
    }
  }

  /**
   * Brings the container's bound-pod cache current and publishes it, so cold provisioner runs start
   * from a snapshot at most a tick old (docs/kubernetes.md, "Keeping cluster state current"). Never
   * lists every pod (the tick's timeout is too short at 50,000 pods); a failure never fails the tick.
   */
  private async publishClusterState(): Promise<void> {
    const ports = this.ports;
    if (!ports.clusterState || !ports.settings || !ports.clusterState.publishDue(ports.clock.now(), ports.settings.clusterStatePublishMs)) return;
    try {
      const { published, report } = await ports.clusterState.publish(ports, ports.clock.now(), { allowList: false });
      if (report) ports.log.info("cluster state brought up to date", { published, ...report });
      else ports.log.info("cluster state not published: it needs a full pod list, which the provisioner's next run makes");
    } catch (error) {
      ports.log.warn("could not bring the cluster state up to date", { error: (error as Error).message });
    }
  }
}

/** Records the actions instead of applying them: shadow mode, the decision journal, tests. */
export class RecordingExecutor implements Executor {
  readonly recorded: Action[] = [];

  async execute(actions: readonly Action[]): Promise<Applied[]> {
    this.recorded.push(...actions);
    return actions.map((action) => ({ action, outcome: { status: "recorded" } }));
  }
}
