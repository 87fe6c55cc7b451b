/**
 * The consolidator's and drift checker's run: take the disruption lease (one command set at a time
 * per cluster), observe (everything the provisioner observes, plus every pod in full, PDBs and the
 * commands in flight), decide (commands.ts), act through the executor, and wake again in
 * `disruptionCadenceMs` (15 s) while a command is in flight: a delayed message to the disruption
 * queue, sent only by the run a message woke (continuing the chain), by a run that started a
 * command, or when the chain looks dead (the command has not moved for two cadences). An idle
 * cluster costs one tick a minute and nothing more (docs/disruption.md).
 */
import type { Executor } from "../actions/actions.ts";
import { PortExecutor } from "../actions/executor.ts";
import { clusterObjects, isProvisionable, observe } from "../observe/observe.ts";
import type { FullPorts } from "../observe/ports.ts";
import type { EC2NodeClass } from "../api/types.ts";
import type { Cloud } from "../ports/cloud.ts";
import { listAll } from "../ports/cluster.ts";
import { CONTROLLER_METHODS, decideDisruptionTick, DISRUPTION_LEASE, type DisruptionController } from "./commands.ts";
import type { DisruptionObjects, PassResult } from "./decide.ts";
import { buildViews, type NodeView } from "./cluster.ts";
import { decideStatuses } from "./statuses.ts";
import type { Action } from "../actions/actions.ts";
import { incumbentPoints, nodePoolGauges } from "./gauges.ts";
import { passEvents } from "./events.ts";
import { buildSchedulingInput } from "../scheduling/snapshot.ts";
import { emit, type MetricPoint } from "../ports/telemetry.ts";
import type { WakeTrigger } from "./wake.ts";

export type { DisruptionController };

/** Nodes left alone a report names (the journal keeps as many). */
export const LEFT_ALONE_REPORTED = 200;

export interface DisruptionTickReport {
  controller: DisruptionController;
  trigger: WakeTrigger;
  lease: "held" | "busy";
  /** What this run did to the command in flight, or the new one, in words. */
  steps: string[];
  /** The method the pass decided with, when this run ran a pass and it decided something. */
  decided?: string;
  /** Whether this run asked to be woken again (a command is in flight). */
  wakeScheduled: boolean;
  /** When this run ran a pass: why each node was left alone (the first 200, what the journal keeps). */
  leftAlone?: Array<{ node: string; reason: string }>;
}

/**
 * EC2NodeClasses with their `status` as the cloud resolves them now (AMIs, subnets, security
 * groups): what drift compares a NodeClaim's image, subnet and groups against. Tenon keeps no
 * controller that writes this status into the cluster, so it is resolved here (the EC2 adapter
 * caches the lookups for the container). A class that cannot be resolved keeps what it has.
 */
export async function withResolvedStatus(nodeClasses: readonly EC2NodeClass[], cloud: Pick<Cloud, "resolveNodeClass">): Promise<EC2NodeClass[]> {
  return Promise.all(
    nodeClasses.map(async (nodeClass) => {
      try {
        const resolved = await cloud.resolveNodeClass(nodeClass);
        return {
          ...nodeClass,
          status: {
            ...nodeClass.status,
            amis: resolved.amis.map((a) => ({ id: a.id, ...(a.name ? { name: a.name } : {}), requirements: a.requirements })),
            subnets: resolved.subnets.map((s) => ({ id: s.id, zone: s.zone, ...(s.zoneId ? { zoneID: s.zoneId } : {}) })),
            securityGroups: resolved.securityGroups.map((g) => ({ id: g.id, ...(g.name ? { name: g.name } : {}) })),
            ...(resolved.instanceProfile ? { instanceProfile: resolved.instanceProfile } : {}),
            conditions: resolved.conditions,
          },
        };
      } catch {
        return nodeClass;
      }
    }),
  );
}

/** The consolidator's scheduled tick runs every minute: pods that became Ready in the last minute get their startup duration reported once. */
export const CONSOLIDATOR_TICK_MS = 60_000;

/**
 * Karpenter's gauges from what the scheduled tick observed (gauges.ts): the pass's views when it
 * ran one, otherwise (a command in flight) the same views built afresh by the caller. The ticks'
 * one-minute windows do not overlap, so each pod's startup duration is reported once.
 */
function observedGauges(objects: DisruptionObjects, views: readonly NodeView[], pass: PassResult | undefined, nowMs: number): MetricPoint[] {
  // The incumbent's nodes, priced from the catalog of Tenon's EC2NodeClasses (the shadow widget's other side).
  const catalog = new Map(objects.nodePools.flatMap((o) => o.instanceTypes.map((t) => [t.name, t] as const)));
  return [...nodePoolGauges({
    nodePools: objects.nodePools,
    views,
    pendingPods: objects.pods.filter((p) => !p.spec.nodeName),
    nowMs,
    ...(pass ? { eligible: pass.eligible } : {}),
    startupWindowMs: CONSOLIDATOR_TICK_MS,
  }), ...incumbentPoints(views, catalog)];
}

export async function runDisruptionTick(
  ports: FullPorts,
  controller: DisruptionController,
  trigger: WakeTrigger,
  executor: Executor = new PortExecutor(ports),
): Promise<DisruptionTickReport> {
  const { store, clock, settings, log, cluster } = ports;
  const holder = `${controller}-${ports.ids.uid()}`;
  const lease = await store.acquireLease(DISRUPTION_LEASE, holder, settings.disruptionLeaseTtlMs, clock.now());
  if (!lease) {
    log.info("another disruption run holds the lease", { controller, trigger });
    return { controller, trigger, lease: "busy", steps: [], wakeScheduled: false };
  }
  try {
    const nowMs = clock.now();
    const [observation, pods, podDisruptionBudgets, commands] = await Promise.all([
      observe(ports, nowMs),
      // Moving a pod needs all of it (selectors, affinity, tolerations, annotations), not the summary the provisioner keeps.
      listAll((o) => cluster.listActivePods(o)),
      listAll((o) => cluster.listPodDisruptionBudgets(o)),
      store.listDisruptionCommands(),
    ]);
    const nodeClasses = await withResolvedStatus(observation.nodeClasses, ports.cloud);
    const byName = new Map(nodeClasses.map((c) => [c.metadata.name, c]));
    const base = clusterObjects(observation);
    const objects: DisruptionObjects = {
      ...base,
      pods: pods.filter((p) => (p.spec.nodeName ? true : isProvisionable(p))),
      // Drift reads each NodePool's own EC2NodeClass: give it the resolved status too.
      nodePools: base.nodePools.map((o) => (o.nodeClass && byName.has(o.nodeClass.metadata.name) ? { ...o, nodeClass: byName.get(o.nodeClass.metadata.name)! } : o)),
      nodeClasses,
      podDisruptionBudgets,
      scheduling: { preferencePolicy: settings.preferencePolicy, minValuesPolicy: settings.minValuesPolicy },
      featureGates: settings.featureGates,
    };
    const decision = decideDisruptionTick({
      controller, nowMs, objects, records: observation.records, commands, ids: ports.ids, launchAttempts: settings.launchAttempts,
      lease: { name: DISRUPTION_LEASE, holder, token: lease.token, ttlMs: settings.disruptionLeaseTtlMs },
      timing: { validationMs: settings.disruptionValidationMs, replacementTimeoutMs: settings.replacementTimeoutMs },
    });
    // The consolidator's scheduled tick (once a minute; not its 15 s wake-ups while a command is in
    // flight) also reports what it observed: why nodes stay (Unconsolidatable, DisruptionBlocked,
    // deduplicated across ticks), the NodePools' and EC2NodeClasses' statuses (written only when
    // changed), and Karpenter's gauges.
    const reports: Action[] = [];
    let views: NodeView[] | undefined;
    if (controller === "consolidation" && trigger === "tick") {
      views = decision.pass?.views ?? buildViews(buildSchedulingInput(objects).existingNodes, objects.nodePools);
      if (decision.pass) reports.push(...passEvents(decision.pass));
      const tableStatuses = [...(observation.sources?.values() ?? [])].includes("table") ? await store.listObjectStatuses() : [];
      reports.push(...decideStatuses({ nodePools: objects.nodePools, nodeClasses, observedNodeClasses: observation.nodeClasses, sources: observation.sources ?? new Map(), views, tableStatuses, nowMs }));
    }
    await executor.execute([...decision.actions, ...reports]);
    if (views) emit(ports.metrics, observedGauges(objects, views, decision.pass, nowMs));
    for (const step of decision.steps) log.info(step, { controller });
    const stale = commands.some((c) => nowMs - c.updatedAtMs >= 2 * settings.disruptionCadenceMs);
    const wake = decision.inFlight && ports.disruptionQueue !== undefined && (trigger === "message" || decision.started !== undefined || stale);
    if (wake) await ports.disruptionQueue!.send({ kind: "disruption-wake", sentAtMs: nowMs, reason: "command-in-flight" }, settings.disruptionCadenceMs);
    const decided = decision.started && decision.pass?.method ? { decided: decision.pass.method } : {};
    const leftAlone = decision.pass ? { leftAlone: decision.pass.notDisrupted.slice(0, LEFT_ALONE_REPORTED).map((n) => ({ node: n.view.name, reason: n.reason })) } : {};
    log.info(`${controller} run done`, { trigger, methods: CONTROLLER_METHODS[controller], steps: decision.steps.length, inFlight: decision.inFlight });
    return { controller, trigger, lease: "held", steps: decision.steps, ...decided, wakeScheduled: wake, ...leftAlone };
  } finally {
    await store.releaseLease(DISRUPTION_LEASE, holder);
  }
}
