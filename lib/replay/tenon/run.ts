/**
 * A Tenon run: the real batcher, provisioner, lifecycle, consolidator, drift and interruption
 * handlers (functions/) on the simulated cluster and cloud, on a virtual clock, replaying a
 * trace's demand and events, measured into a RunResult.
 *
 * The functions are woken as deployed (infra/function-specs.ts and infra/constructs/rules.ts):
 * the batcher by each pod kube-scheduler marks Unschedulable (the audit-log signal), the
 * provisioner by the batcher's delayed message and a 1-minute tick, the lifecycle by a 1-minute
 * tick, the consolidator by a 1-minute tick and its own wake-up messages, the drift checker by a
 * 5-minute tick, the interruption handler by each Spot warning. The clock jumps from one thing
 * that can happen to the next (a demand change, a cloud event, a queued message falling due, a
 * timer of the simulated cluster such as a node booting, a tick, a sample); ticks that cannot
 * change anything are skipped (docs/replay.md says which).
 *
 * Demand is applied as a controller would: the pods of a trace's `add` are created, those of a
 * `remove` deleted, and a pod taken off its node while still wanted (evicted by a drain, or gone
 * with its node) is created again at once, its wait starting over.
 */
import type { Context, SQSEvent } from "aws-lambda";
import type { Pod } from "../../api/kubernetes.ts";
import { simulatedInterruptionEvent } from "../../cloud/in-memory/events.ts";
import type { DisruptionTickReport } from "../../disruption/controller.ts";
import type { LifecycleReport } from "../../lifecycle/lifecycle.ts";
import { isMarkedUnschedulable } from "../../ports/cluster.ts";
import type { FeatureGates } from "../../ports/settings.ts";
import { fitsIn, subtractResources, parseResources, type Resources } from "../../quantity/resources.ts";
import { fixedRuntime } from "../../wiring/base.ts";
import { installRuntime } from "../../wiring/runtime.ts";
import { handler as batcher } from "../../../functions/batcher/handler.ts";
import { handler as consolidator } from "../../../functions/consolidator/handler.ts";
import { handler as drift } from "../../../functions/drift/handler.ts";
import { handler as interruption } from "../../../functions/interruption/handler.ts";
import { handler as lifecycle } from "../../../functions/lifecycle/handler.ts";
import { handler as provisioner } from "../../../functions/provisioner/handler.ts";
import { mergePatch } from "../trace/parse.ts";
import { seededRandom, streamSeed } from "../trace/random.ts";
import type { CloudEvent, ReplayInput, RunResult } from "../types.ts";
import { key, RunMeasure } from "./measure.ts";
import { replayWorld, REPLAY_CLUSTER } from "./world.ts";

/** How often each function's scheduled tick comes, as deployed. */
export interface TickPeriods {
  provisionerMs: number;
  lifecycleMs: number;
  consolidatorMs: number;
  driftMs: number;
}

export const DEPLOYED_TICKS: TickPeriods = { provisionerMs: 60_000, lifecycleMs: 60_000, consolidatorMs: 60_000, driftMs: 300_000 };

export interface TenonRunOptions {
  /** False: every NodePool gets `consolidateAfter: Never` (the tenonNoConsolidation run). */
  consolidation: boolean;
  ticks?: Partial<TickPeriods>;
  /** Told the share of the span replayed so far, after each sample. */
  onProgress?: (done: number) => void;
  /** Run every tick, even those that cannot change anything (slower; for checking the skipping). */
  everyTick?: boolean;
  /** The functions' FEATURE_GATES (default all off, as deployed). */
  featureGates?: FeatureGates;
}

export const TENON_RUNS = {
  tenon: { name: "tenon", label: "Tenon" },
  tenonNoConsolidation: { name: "tenonNoConsolidation", label: "Tenon without consolidation" },
} as const;

const TICK = { version: "0", id: "tick", "detail-type": "Scheduled Event", source: "aws.events", account: "000000000000", time: "", region: "us-east-1", resources: [], detail: {} };
const DISRUPTION_STEP = /\((\w+): (?:delete|replace) ([^)]*)\)/;
const INSTANCE_ID = /i-[0-9a-f]+/g;

function context(name: string): Context {
  return { functionName: name, awsRequestId: `replay-${name}`, getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
}

function sqs(messages: ReadonlyArray<{ id: string; body: string }>, queue: string, region: string): SQSEvent {
  const attributes = { ApproximateReceiveCount: "1", SentTimestamp: "0", SenderId: "replay", ApproximateFirstReceiveTimestamp: "0" };
  return {
    Records: messages.map((m) => ({
      messageId: m.id, receiptHandle: m.id, body: m.body, attributes, messageAttributes: {}, md5OfBody: "0",
      eventSource: "aws:sqs", eventSourceARN: `arn:aws:sqs:${region}:000000000000:${queue}`, awsRegion: region,
    })),
  };
}

/** The NodePool manifests a run puts in the cluster: as written, or with consolidation turned off. */
export function runNodePools(input: ReplayInput, consolidation: boolean): Record<string, unknown>[] {
  if (!input.manifests) throw new Error(`replay ${input.name}: the Tenon runs need the NodePool and EC2NodeClass manifests (ReplayInput.manifests)`);
  return input.manifests.nodePools.map((np) => (consolidation ? structuredClone(np) : (mergePatch(np, { spec: { disruption: { consolidateAfter: "Never" } } }) as Record<string, unknown>)));
}

function lifecycleIdle(r: LifecycleReport): boolean {
  return r.registered.length === 0 && r.initialized.length === 0 && r.forgotten.length === 0 && r.terminated.length === 0 && !r.termination && !(r.nodePoolDeleted?.length);
}

function disruptionIdle(r: DisruptionTickReport): boolean {
  return r.decided === undefined && !r.wakeScheduled && r.steps.length === 0;
}

export async function runTenon(input: ReplayInput, options: TenonRunOptions): Promise<RunResult> {
  const ticks = { ...DEPLOYED_TICKS, ...options.ticks };
  const nodePools = runNodePools(input, options.consolidation);
  const { world, simCloud, clock } = replayWorld(input, nodePools, input.manifests!.nodeClasses, options.featureGates);
  const { cluster } = world;
  const start = clock.now();
  const end = start + input.hours * 3_600_000;
  const measure = new RunMeasure(input, start);
  const run = options.consolidation ? TENON_RUNS.tenon : TENON_RUNS.tenonNoConsolidation;

  // What changed since each skippable tick last found nothing to do.
  const dirty = { lifecycle: true, consolidator: true, drift: true };
  const touch = (...which: Array<keyof typeof dirty>) => {
    for (const w of which) dirty[w] = true;
  };

  const cloud = world.cloud;
  const create = cloud.create.bind(cloud);
  cloud.create = async (request) => {
    const instance = await create(request);
    if (!measure.instances.has(instance.instanceId)) touch("lifecycle", "consolidator");
    measure.launched(instance.instanceId, instance.instanceType, instance.zone, instance.capacityType, clock.now());
    return instance;
  };
  const remove = cloud.delete.bind(cloud);
  cloud.delete = async (instanceId) => {
    await remove(instanceId);
    measure.terminated(instanceId, clock.now());
    touch("lifecycle", "consolidator");
  };

  // Pods and nodes as they change, from the cluster's watch history.
  let podVersion = (await cluster.listActivePods({ limit: 1 })).resourceVersion ?? "0";
  let nodeVersion = (await cluster.listNodes({ limit: 1 })).resourceVersion ?? "0";
  const signalled = new Set<string>();
  let toSignal: Pod[] = [];
  /** The last pod removal or node change: consolidateAfter counts from there. */
  let lastChangeAt = start;

  const roomFor = (requests: Resources, from: string | undefined): boolean => {
    const used = new Map<string, Record<string, number>>();
    for (const w of measure.wanted.values()) {
      if (w.node === undefined || w.boundAt === undefined) continue;
      const sum = used.get(w.node) ?? { pods: 0 };
      for (const [k, v] of Object.entries(w.requests)) sum[k] = (sum[k] ?? 0) + v;
      sum.pods! += 1;
      used.set(w.node, sum);
    }
    return cluster.nodes().some((n) => {
      if (n.metadata.name === from || n.metadata.deletionTimestamp || n.spec.unschedulable) return false;
      if ((n.spec.taints ?? []).some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute")) return false;
      if (!(n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")) return false;
      const free = subtractResources(parseResources(n.status?.allocatable), used.get(n.metadata.name) ?? {});
      return fitsIn({ ...requests, pods: 1 }, free);
    });
  };

  const observe = async () => {
    const now = clock.now();
    const nodes = await cluster.nodeChangesSince(nodeVersion);
    if (nodes.outcome === "changes") {
      nodeVersion = nodes.resourceVersion;
      for (const { type, node } of nodes.changes) {
        touch("lifecycle");
        const record = measure.instances.get(node.metadata.name);
        const ready = type !== "DELETED" && (node.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
        // A node coming, going or turning Ready changes what consolidation can do; its other
        // changes (taints, labels) are the functions' own steps, which wake them anyway.
        if (type !== "MODIFIED" || ready !== record?.ready) {
          lastChangeAt = now;
          touch("consolidator");
          if (type === "ADDED") touch("drift");
        }
        if (record) {
          record.joined = type !== "DELETED";
          record.ready = ready;
        }
      }
    }
    const pods = await cluster.podChangesSince(podVersion);
    if (pods.outcome !== "changes") throw new Error("replay: the simulated cluster's pod history expired between two looks");
    podVersion = pods.resourceVersion;
    const recreate: Pod[] = [];
    for (const { type, pod } of pods.changes) {
      const k = key(pod);
      const wanted = measure.wanted.get(k);
      if (!wanted) continue;
      if (type === "DELETED") {
        measure.evictedFrom(k, now);
        recreate.push(wanted.pod);
        continue;
      }
      if (pod.spec.nodeName) {
        const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "True")?.lastTransitionTime;
        measure.bound(k, pod.spec.nodeName, scheduled ? Date.parse(scheduled) : now);
      } else if (isMarkedUnschedulable(pod) && !signalled.has(k)) {
        signalled.add(k);
        toSignal.push(pod);
      }
    }
    // Pods added or bound only fill nodes: they never make a node consolidatable. A pod gone does.
    if (pods.changes.some((c) => c.type === "DELETED")) {
      lastChangeAt = now;
      touch("consolidator");
    }
    for (const pod of recreate) {
      signalled.delete(key(pod));
      measure.want(pod, now);
      cluster.addPod(pod);
    }
  };

  const disruptionReport = (report: unknown) => {
    const r = report as DisruptionTickReport;
    for (const step of r.steps ?? []) {
      const m = DISRUPTION_STEP.exec(step);
      if (!m) continue;
      for (const id of m[2]!.split(" with ")[0]!.match(INSTANCE_ID) ?? []) if (!measure.reasons.has(id)) measure.reasons.set(id, m[1]!);
    }
    return r;
  };

  const random = seededRandom(streamSeed(input.seed, `${run.name}/spot-interruption`));
  const applyEvent = async (event: CloudEvent) => {
    touch("lifecycle", "consolidator", "drift");
    const d = event.detail;
    switch (event.kind) {
      case "spot-interruption": {
        const candidates = [...measure.instances.values()].filter((i) => i.terminatedAt === undefined && i.capacityType === "spot" && i.ready && !measure.reasons.has(i.id)).map((i) => i.id).sort();
        for (let n = 0; n < Number(d.count ?? 1) && candidates.length > 0; n++) {
          const id = candidates.splice(Math.floor(random() * candidates.length), 1)[0]!;
          measure.reasons.set(id, "Interrupted");
          await interruption(sqs([{ id: `interruption-${event.atMs}-${n}`, body: simulatedInterruptionEvent("spot-interruption", id, clock, input.region) }], "interruption", input.region), context("interruption"));
          clock.at(clock.now() + input.timing.spotNoticeMs, async () => {
            if (measure.instances.get(id)?.terminatedAt === undefined) await cloud.delete(id);
          });
          await observe();
        }
        return;
      }
      case "ami-release":
        simCloud.releaseImages(d.family === "bottlerocket" ? "/bottlerocket/" : "/amazon-linux-2023/", new Date(clock.now()).toISOString());
        return;
      case "nodepool-change": {
        const current = cluster.getCustomObject("NodePool", String(d.nodePool));
        if (current) cluster.putCustomObject("NodePool", mergePatch(current, { spec: JSON.parse(String(d.patch)) }) as never);
        return;
      }
      case "capacity-error":
      case "zone-outage": {
        const until = start + Number(d.untilMs);
        simCloud.faults.failOfferingsWhere((k) =>
          clock.now() < until &&
          (d.zone === undefined || k.zone === d.zone) &&
          (d.instanceType === undefined || k.instanceType === d.instanceType) &&
          (d.capacityType === undefined || k.capacityType === d.capacityType));
        return;
      }
    }
  };

  const uninstall = installRuntime(fixedRuntime(world.ports));
  try {
    let demandAt = 0;
    let eventAt = 0;
    let nextSample = start;
    const next = { provisioner: start + ticks.provisionerMs, lifecycle: start + ticks.lifecycleMs, consolidator: start + ticks.consolidatorMs, drift: start + ticks.driftMs };
    // Runs a tick only when something it reads changed since it last found nothing to do, or
    // when time alone could change its answer (a node reaching consolidateAfter), and at least
    // every 10 ticks.
    let consolidatorIdleSince = 0;
    let lifecycleIdleTicks = 0;
    let driftIdleTicks = 0;
    const consolidateAfterMs = Math.max(0, ...input.nodePools.map((p) => p.spec.disruption.consolidateAfter ?? 0));

    for (;;) {
      const now = clock.now();
      if (now >= end) break;
      // Demand and cloud events due now.
      while (demandAt < input.demand.length && start + input.demand[demandAt]!.atMs <= now) {
        const e = input.demand[demandAt++]!;
        if (e.kind === "add") {
          measure.want(e.pod, now);
          cluster.addPod(e.pod);
        } else {
          measure.unwant(e.pod, now);
          cluster.deletePod(e.pod.metadata.namespace || "default", e.pod.metadata.name);
        }
      }
      while (eventAt < input.events.length && start + input.events[eventAt]!.atMs <= now) await applyEvent(input.events[eventAt++]!);
      await observe();

      if (toSignal.length > 0) {
        const pods = toSignal.filter((p) => cluster.pod(p.metadata.namespace || "default", p.metadata.name)?.spec.nodeName === undefined);
        toSignal = [];
        if (pods.length > 0) {
          await batcher({
            version: "0", id: `replay-${now}`, source: "tenon.kubernetes", "detail-type": "Pod Unschedulable", time: new Date(now).toISOString(),
            detail: { cluster: REPLAY_CLUSTER, pods: pods.map((p) => ({ namespace: p.metadata.namespace || "default", name: p.metadata.name })) },
          }, context("batcher"));
        }
      }
      while (world.queue.pending().some((m) => m.dueAtMs <= clock.now())) {
        const due = world.queue.takeDue(clock.now());
        await provisioner(sqs(due.map((m) => ({ id: m.id, body: JSON.stringify(m.message) })), "provisioner", input.region), context("provisioner"));
        await observe();
      }
      if (now >= next.provisioner) {
        next.provisioner += ticks.provisionerMs;
        const waiting = [...measure.wanted.values()].some((w) => w.boundAt === undefined);
        if (waiting || options.everyTick) {
          await provisioner({ ...TICK, time: new Date(now).toISOString() }, context("provisioner"));
          await observe();
        }
      }
      if (now >= next.lifecycle) {
        next.lifecycle += ticks.lifecycleMs;
        if (dirty.lifecycle || ++lifecycleIdleTicks >= 10 || options.everyTick) {
          dirty.lifecycle = false;
          lifecycleIdleTicks = 0;
          const report = (await lifecycle({ ...TICK, time: new Date(now).toISOString() }, context("lifecycle"))) as LifecycleReport;
          await observe();
          if (!lifecycleIdle(report)) dirty.lifecycle = true;
        }
      }
      const wake = world.disruptionQueue.takeDue(clock.now());
      if (wake.length > 0) {
        disruptionReport(await consolidator(sqs(wake.map((m) => ({ id: m.id, body: JSON.stringify(m.message) })), "disruption", input.region), context("consolidator")));
        await observe();
        touch("lifecycle");
      }
      if (now >= next.consolidator) {
        next.consolidator += ticks.consolidatorMs;
        const ripe = lastChangeAt + consolidateAfterMs <= now && consolidatorIdleSince < lastChangeAt + consolidateAfterMs;
        if (dirty.consolidator || ripe || options.everyTick || now - consolidatorIdleSince >= 10 * ticks.consolidatorMs) {
          dirty.consolidator = false;
          const report = disruptionReport(await consolidator({ ...TICK, time: new Date(now).toISOString() }, context("consolidator")));
          await observe();
          if (disruptionIdle(report)) consolidatorIdleSince = now;
          else touch("consolidator", "lifecycle");
        }
      }
      if (now >= next.drift) {
        next.drift += ticks.driftMs;
        if (dirty.drift || ++driftIdleTicks >= 6 || options.everyTick) {
          dirty.drift = false;
          driftIdleTicks = 0;
          const report = disruptionReport(await drift({ ...TICK, time: new Date(now).toISOString() }, context("drift")));
          await observe();
          if (!disruptionIdle(report)) touch("drift", "lifecycle");
        }
      }
      if (now >= nextSample) {
        measure.sample(now);
        nextSample += input.timing.sampleEveryMs;
        options.onProgress?.((now - start) / (end - start));
        world.telemetry.logs.length = 0;
        world.telemetry.metrics.length = 0;
      }

      measure.settleEvictions(clock.now(), roomFor);
      // The next moment anything can happen.
      const candidates = [
        end, nextSample, next.provisioner, next.lifecycle, next.consolidator, next.drift,
        ...(demandAt < input.demand.length ? [start + input.demand[demandAt]!.atMs] : []),
        ...(eventAt < input.events.length ? [start + input.events[eventAt]!.atMs] : []),
        ...world.queue.pending().map((m) => m.dueAtMs),
        ...world.disruptionQueue.pending().map((m) => m.dueAtMs),
      ];
      const settle = measure.nextSettleAt();
      if (settle !== undefined) candidates.push(settle);
      const timer = clock.nextTimerAt();
      if (timer !== undefined) candidates.push(timer);
      // Something due now (a message sent with no delay, a timer set for now): go round again.
      await clock.advanceTo(Math.max(now, Math.min(...candidates)));
    }
    return measure.result(run.name, run.label, end);
  } finally {
    uninstall();
  }
}
