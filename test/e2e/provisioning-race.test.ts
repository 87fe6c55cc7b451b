/**
 * The provisioner's concurrency guarantee, through the real handlers on a simulated cluster and
 * cloud with state in DynamoDB Local: invocations racing on one batch, dying mid-way and retried,
 * a lease holder that stalls past its lease, and pods arriving while a run is in progress. Each
 * invocation has ports of its own (race-support.ts). Interleavings that matter are forced with
 * gates; where invocations really run at once, only invariants that must always hold are checked:
 * no more instances than one `schedule()` asks for, one instance per record, no orphan, no lost pod.
 */
import { NOMINATION_RATE_LIMIT } from "../../lib/ports/cluster.ts";
import { describe, expect, it } from "vitest";
import { LEASE_TOKEN_ANNOTATION } from "../../lib/actions/records.ts";
import { PROVISIONER_LEASE } from "../../lib/provisioning/provisioner.ts";
import type { Runtime } from "../../lib/wiring/base.ts";
import type { QueuedMessage } from "../../lib/queue/in-memory/memory-queue.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import type { Settings } from "../../lib/ports/settings.ts";
import { claimsOneScheduleAsksFor, Gate, InvocationKilled, ledger, racingRuntime, type Interceptor, type InvocationPlan, type Ledger } from "./race-support.ts";
import {
  addWebWorkload,
  auditPayloadForUnschedulable,
  callBatcher,
  callProvisioner,
  CLUSTER,
  deliver,
  runningPods,
  runWithLifecycleTicks,
  scheduledTick,
  useDynamoDbStores,
  useInstalledRuntime,
} from "../support/world.ts";

const LEASE_TTL_MS = 150_000;
/** SQS makes a message whose invocation failed visible again after this (6 x the 120 s timeout). */
const VISIBILITY_TIMEOUT_MS = 720_000;
const RACERS = 8;

const freshStore = useDynamoDbStores();
const install = useInstalledRuntime();

/** One NodePool, its EC2NodeClass and `replicas` web pods marked Unschedulable; cloud calls slowed so racing runs interleave. */
async function world(replicas: number, plan?: InvocationPlan, settings: Partial<Settings> = {}): Promise<SimulatedWorld & { runtime: ReturnType<typeof racingRuntime> }> {
  const w = simulatedWorld({ clusterName: CLUSTER, store: await freshStore(), settings: { provisionerLeaseTtlMs: LEASE_TTL_MS, ...settings } });
  addWebWorkload(w, replicas);
  // Slow calls take virtual time (the clock is shared), so every await is a chance for another run to move.
  w.simCloud!.faults.slow("create", 2_000).slow("instanceTypes", 500).slow("list", 200);
  const runtime = racingRuntime(w, plan);
  install(runtime as Runtime);
  await w.cluster.advance(3_000);
  return Object.assign(w, { runtime });
}

/** Settles every promise; returns the rejections (an invocation that died) and the results. */
async function settleAll<T>(calls: ReadonlyArray<Promise<T>>): Promise<{ results: T[]; errors: unknown[] }> {
  const settled = await Promise.allSettled(calls);
  return {
    results: settled.filter((s): s is PromiseFulfilledResult<Awaited<T>> => s.status === "fulfilled").map((s) => s.value as T),
    errors: settled.filter((s): s is PromiseRejectedResult => s.status === "rejected").map((s) => s.reason as unknown),
  };
}

/** The batch-ready message a batcher call queued, taken off the queue once it is due. */
async function takeBatchMessage(w: SimulatedWorld): Promise<QueuedMessage> {
  const [queued] = w.queue.pending();
  expect(queued).toBeDefined();
  await w.cluster.clock.advanceTo(queued!.dueAtMs);
  const [due] = w.queue.takeDue(w.ports.clock.now());
  return due!;
}

/** The same message delivered to `n` invocations at once (SQS delivers at least once; the tick races too). */
function duplicates(message: QueuedMessage, n: number): Array<Promise<unknown>> {
  return Array.from({ length: n }, (_, i) => deliver([{ ...message, id: `${message.id}-copy-${i}` }]));
}

/** Delivers every re-queued message (lease-busy, window-open) until the queue is empty, each batch as racing invocations. */
async function drainQueue(w: SimulatedWorld): Promise<void> {
  for (let round = 0; round < 50 && w.queue.pending().length > 0; round++) {
    await w.cluster.clock.advanceTo(Math.min(...w.queue.pending().map((m) => m.dueAtMs)));
    const due = w.queue.takeDue(w.ports.clock.now());
    const { errors } = await settleAll(due.map((m) => deliver([m])));
    expect(errors).toEqual([]);
  }
  expect(w.queue.pending()).toEqual([]);
}

function expectClean(l: Ledger): void {
  expect(l.orphans.map((i) => i.instanceId)).toEqual([]);
  expect(l.doubled).toEqual([]);
  expect(l.missing.map((r) => r.name)).toEqual([]);
  expect(l.records.filter((r) => r.phase === "Pending").map((r) => r.name)).toEqual([]);
  expect(l.instances).toHaveLength(l.records.length);
}

/** Holds the invocation's `nth` (1-based) or every call of `method` at `gate` until the test opens it. */
function stallAt(method: string, gate: Gate, nth: number | "every"): Interceptor {
  let calls = 0;
  return {
    before: async (call) => {
      if (call !== method) return;
      calls++;
      if (nth === "every" || calls === nth) await gate.pass();
    },
  };
}

/** Faults the invocation right after its `n`-th successful call of each listed method. */
function faultAfter(fault: "throw" | "die", calls: Record<string, number>): Interceptor {
  const seen = new Map<string, number>();
  return {
    after: (call) => {
      if (calls[call] === undefined) return undefined;
      const n = (seen.get(call) ?? 0) + 1;
      seen.set(call, n);
      return n === calls[call] ? fault : undefined;
    },
  };
}

/** Lets `ms` pass as in production: a lifecycle tick every minute registers and initializes what joined. */
async function waitWithLifecycle(w: SimulatedWorld, ms: number): Promise<void> {
  await runWithLifecycleTicks(w, ms, 60_000);
}

/**
 * Queues the batch for the pending pods and delivers its message to RACERS invocations at once, of
 * which exactly one is killed by its fault. Returns what one schedule() asks for (more than two
 * claims, so a fault can fall between them) and the message, for SQS to redeliver.
 */
async function raceWithOneKilled(w: SimulatedWorld): Promise<{ expected: number; message: QueuedMessage }> {
  const expected = await claimsOneScheduleAsksFor(w);
  expect(expected).toBeGreaterThan(2);
  await callBatcher(auditPayloadForUnschedulable(w));
  const message = await takeBatchMessage(w);
  const first = await settleAll(duplicates(message, RACERS));
  expect(first.errors).toHaveLength(1);
  expect(first.errors[0]).toBeInstanceOf(InvocationKilled);
  return { expected, message };
}

/** After the retries: exactly `expected` instances, none leaked or doubled; once the nodes join, every pod runs and nothing more is launched. */
async function expectFinishedClean(w: SimulatedWorld, expected: number): Promise<void> {
  const final = await ledger(w);
  expect(final.instances).toHaveLength(expected);
  expectClean(final);
  await waitWithLifecycle(w, 120_000);
  expect(runningPods(w)).toHaveLength(50);
  expect(await w.cloud.list()).toHaveLength(expected);
  expectClean(await ledger(w));
}

describe("provisioner invocations racing on one batch", () => {
  it(`${RACERS} invocations of the same batch message and a tick launch exactly what one schedule() asks for, one instance per record`, async () => {
    const w = await world(50);
    const expected = await claimsOneScheduleAsksFor(w);
    expect(expected).toBeGreaterThan(1);
    await callBatcher(auditPayloadForUnschedulable(w));
    const message = await takeBatchMessage(w);

    const { errors } = await settleAll([...duplicates(message, RACERS), callProvisioner(scheduledTick)]);
    expect(errors).toEqual([]);
    // They did race: runs that met the lease held re-queued their message.
    expect(w.queue.history().filter((m) => m.message.reason === "lease-busy").length).toBeGreaterThan(0);
    await drainQueue(w);

    const after = await ledger(w);
    expect(after.instances).toHaveLength(expected);
    expectClean(after);
    expect(w.runtime.invocations("provisioner")).toBeGreaterThan(RACERS);

    await runWithLifecycleTicks(w, 120_000);
    expect(runningPods(w)).toHaveLength(50);
    expect(await w.cloud.list()).toHaveLength(expected);
  });

  it("racing invocations whose launch or launch record fails after taking effect are finished by a retry: no double launch, no leak", async () => {
    let round = 1;
    // The holder's first cloud.create makes an instance and then fails (a timeout on the reply);
    // its second Launched update is written and then fails. Its `finally` still releases the lease.
    const w = await world(50, (_i, fn) => (fn === "provisioner" && round === 1 ? faultAfter("throw", { create: 1, updateNodeClaim: 2 }) : undefined));
    const { expected, message } = await raceWithOneKilled(w);
    const afterFirst = await ledger(w);
    expect(afterFirst.doubled).toEqual([]);
    expect(afterFirst.records.filter((r) => r.phase === "Pending").length).toBeGreaterThan(0);

    // The racers re-queued themselves (lease busy); their messages and the redelivered one race again.
    round = 2;
    const retry = await settleAll([deliver([message]), callProvisioner(scheduledTick)]);
    expect(retry.errors).toEqual([]);
    await drainQueue(w);

    await expectFinishedClean(w, expected);
  });

  it("invocations that die mid-way (after a launch, then after recording a launch) and are retried by SQS never launch twice or leak", async () => {
    // Round 1: whichever invocation gets to act dies right after its first instance is created
    // (record still Pending), holding the lease. Round 2: the retry dies after recording its second launch.
    let round = 1;
    const w = await world(50, (_i, fn) => {
      if (fn !== "provisioner") return undefined;
      if (round === 1) return faultAfter("die", { create: 1 });
      if (round === 2) return faultAfter("die", { updateNodeClaim: 2 });
      return undefined;
    });
    const { expected, message } = await raceWithOneKilled(w);
    // Launches run in parallel: the ones already under way when it died made their instances too.
    const afterFirst = await ledger(w);
    expect(afterFirst.instances.length).toBeGreaterThanOrEqual(1);
    expect(afterFirst.doubled).toEqual([]);
    expect(afterFirst.records.every((r) => r.phase === "Pending")).toBe(true);
    // The dead run never released its lease: every racer found it busy and re-queued itself.
    expect((await w.ports.store.getLease(PROVISIONER_LEASE))?.holder).not.toBe("");

    // SQS redelivers the failed message after the visibility timeout, alongside the re-queued ones.
    round = 2;
    const requeued = w.queue.takeDue(Number.MAX_SAFE_INTEGER);
    await waitWithLifecycle(w, VISIBILITY_TIMEOUT_MS);
    const second = await settleAll([deliver([message]), ...requeued.map((m) => deliver([m]))]);
    expect(second.errors).toHaveLength(1);
    const afterSecond = await ledger(w);
    expect(afterSecond.doubled).toEqual([]);
    expect(afterSecond.instances.length).toBeLessThanOrEqual(expected);

    round = 3;
    const requeuedAgain = w.queue.takeDue(Number.MAX_SAFE_INTEGER);
    await waitWithLifecycle(w, VISIBILITY_TIMEOUT_MS);
    const third = await settleAll([deliver([message]), callProvisioner(scheduledTick), ...requeuedAgain.map((m) => deliver([m]))]);
    expect(third.errors).toEqual([]);
    await drainQueue(w);

    await expectFinishedClean(w, expected);
  });

  it("an invocation that dies between writing some records and launching them leaves nothing its retry launches twice", async () => {
    let round = 1;
    const w = await world(50, (_i, fn) => (fn === "provisioner" && round === 1 ? faultAfter("die", { createNodeClaim: 2 }) : undefined));
    const { expected, message } = await raceWithOneKilled(w);
    expect((await w.ports.store.listNodeClaims()).map((r) => r.phase)).toEqual(["Pending", "Pending"]);
    expect(await w.cloud.list()).toEqual([]);

    round = 2;
    const requeued = w.queue.takeDue(Number.MAX_SAFE_INTEGER);
    await waitWithLifecycle(w, VISIBILITY_TIMEOUT_MS);
    const retry = await settleAll([deliver([message]), ...requeued.map((m) => deliver([m]))]);
    expect(retry.errors).toEqual([]);
    await drainQueue(w);

    const final = await ledger(w);
    expectClean(final);
    expect(final.instances.length).toBeLessThanOrEqual(expected);
    await waitWithLifecycle(w, 120_000);
    expect(runningPods(w)).toHaveLength(50);
    expect((await ledger(w)).instances).toHaveLength(final.instances.length);
  });
});

describe("a lease holder that stalls past its lease", () => {
  it("its late NodeClaim writes are fenced off once another run took the lease: it launches nothing", async () => {
    const stall = new Gate();
    const w = await world(50, (i, fn) =>
      fn === "provisioner" && i === 0 ? stallAt("createNodeClaim", stall, 1) : undefined,
    );
    const expected = await claimsOneScheduleAsksFor(w);

    // A decides, renews its lease, and stalls on its first record write (a frozen container, a long GC).
    const a = callProvisioner(scheduledTick);
    await stall.reached;
    const aToken = (await w.ports.store.getLease(PROVISIONER_LEASE))!.token;
    await w.cluster.advance(LEASE_TTL_MS + 1_000);

    // B takes the expired lease, decides the same pods and launches them.
    const b = await callProvisioner(scheduledTick);
    expect(b).toMatchObject({ lease: "held", created: expect.any(Array) });
    expect((b as { created: string[] }).created).toHaveLength(expected);
    const bToken = (await w.ports.store.getLease(PROVISIONER_LEASE))!.token;
    expect(bToken).toBeGreaterThan(aToken);

    // A wakes up with its old token: it must not add NodeClaims or instances.
    stall.open();
    const lateReport = await a;
    expect(lateReport).toMatchObject({ lease: "held", launched: 0 });

    const after = await ledger(w);
    expect(after.instances).toHaveLength(expected);
    expect(after.records.map((r) => r.nodeClaim.metadata.annotations?.[LEASE_TOKEN_ANNOTATION])).toEqual(after.records.map(() => String(bToken)));
    expectClean(after);
    await runWithLifecycleTicks(w, 120_000);
    expect(runningPods(w)).toHaveLength(50);
    expect(await w.cloud.list()).toHaveLength(expected);
  });

  it("when it stalls between two record writes, the new holder keeps the record it took over and the stale holder withdraws the rest", async () => {
    const stall = new Gate();
    const w = await world(50, (i, fn) => (fn === "provisioner" && i === 0 ? stallAt("createNodeClaim", stall, 2) : undefined));
    const expected = await claimsOneScheduleAsksFor(w);
    expect(expected).toBeGreaterThan(2);

    const a = callProvisioner(scheduledTick);
    await stall.reached;
    const [adopted, ...others] = await w.ports.store.listNodeClaims();
    expect(others).toEqual([]);
    await w.cluster.advance(LEASE_TTL_MS + 1_000);

    // B launches A's one record as left over by a crashed run, and decides the rest itself.
    const b = await callProvisioner(scheduledTick);
    expect(b).toMatchObject({ lease: "held", relaunched: 1 });
    stall.open();
    expect(await a).toMatchObject({ lease: "held", created: [], launched: 0 });

    const after = await ledger(w);
    // B packed the pods around the claim it adopted, so the count may differ from one schedule(), never exceed it.
    expect(after.records.map((r) => r.name)).toContain(adopted!.name);
    expect(after.instances.length).toBeLessThanOrEqual(expected);
    expectClean(after);
    await waitWithLifecycle(w, 120_000);
    expect(runningPods(w)).toHaveLength(50);
    expect(await w.cloud.list()).toHaveLength(after.instances.length);
  });

  it("when it stalls after writing its records, the next holder launches them and the stale holder's launch finds the same instances", async () => {
    const stall = new Gate();
    const w = await world(50, (i, fn) => (fn === "provisioner" && i === 0 ? stallAt("create", stall, "every") : undefined));
    const expected = await claimsOneScheduleAsksFor(w);

    const a = callProvisioner(scheduledTick);
    await stall.reached;
    const written = await w.ports.store.listNodeClaims();
    expect(written).toHaveLength(expected);
    await w.cluster.advance(LEASE_TTL_MS + 1_000);

    const b = await callProvisioner(scheduledTick);
    expect(b).toMatchObject({ lease: "held", relaunched: expected, created: [] });
    stall.open();
    await a;

    const after = await ledger(w);
    expect(after.records.map((r) => r.name)).toEqual(written.map((r) => r.name));
    expect(after.instances).toHaveLength(expected);
    expectClean(after);
  });
});

describe("pods arriving while a run is in progress", () => {
  it("are recorded in a new window and provisioned by a later run, even when that run first finds the lease busy", async () => {
    const stall = new Gate();
    const w = await world(20, (i, fn) => (fn === "provisioner" && i === 0 ? stallAt("create", stall, "every") : undefined));
    await callBatcher(auditPayloadForUnschedulable(w));
    const message = await takeBatchMessage(w);

    // Run A claims the window, writes its records and stalls before launching.
    const a = deliver([message]);
    await stall.reached;
    const aRecords = await w.ports.store.listNodeClaims();
    expect(aRecords.length).toBeGreaterThan(0);

    // Meanwhile the Deployment grows: kube-scheduler marks the new pods Unschedulable and the
    // audit log reaches the batcher, which opens a new window (A claimed the old one).
    w.cluster.scaleWorkload("default", "web", 40);
    await w.cluster.advance(3_000);
    const batch = await callBatcher(auditPayloadForUnschedulable(w));
    expect(batch).toMatchObject({ kind: "recorded", opened: true });
    const second = await takeBatchMessage(w);

    // Its run races A: the lease is busy, so it re-queues itself rather than dropping the pods.
    const busy = await deliver([second]);
    expect(busy).toEqual({ batchItemFailures: [] });
    expect(w.queue.pending().map((m) => m.message.reason)).toEqual(["lease-busy"]);

    stall.open();
    expect(await a).toEqual({ batchItemFailures: [] });
    await drainQueue(w);

    const after = await ledger(w);
    expectClean(after);
    expect(after.records.length).toBeGreaterThan(aRecords.length);
    // Nominated goes through Karpenter's limiter and its dedupe: some pods of each run told, none twice.
    const nominated = w.cluster.events({ source: "tenon", reason: "Nominated" }).map((e) => e.involvedObject.name);
    expect(nominated.length).toBeGreaterThanOrEqual(NOMINATION_RATE_LIMIT.burst);
    expect(new Set(nominated).size).toBe(nominated.length);
    await runWithLifecycleTicks(w, 120_000);
    expect(runningPods(w)).toHaveLength(40);
    expectClean(await ledger(w));
  });
});

describe("a provisioner run racing the lifecycle tick", () => {
  // A Node that joined carries karpenter.sh/unregistered until the lifecycle tick registers it;
  // the snapshot must still count it as the capacity its NodeClaim was launched for.
  it("launches nothing more when the Nodes joined and the lifecycle tick has not registered them yet", async () => {
    const w = await world(50);
    const expected = await claimsOneScheduleAsksFor(w);
    const first = await callProvisioner(scheduledTick);
    expect(first).toMatchObject({ lease: "held", launched: expected });
    await w.cluster.advance(45_000);
    expect(w.cluster.nodes()).toHaveLength(expected);

    const duplicate = await callProvisioner(scheduledTick);
    expect(duplicate).toMatchObject({ lease: "held", created: [] });
    expect(await w.cloud.list()).toHaveLength(expected);
  });
});
