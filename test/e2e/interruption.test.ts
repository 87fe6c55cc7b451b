/**
 * Interruption end to end through the real handlers (interruption, batcher, provisioner,
 * lifecycle), on a simulated cluster and cloud with state in DynamoDB Local: a Spot interruption
 * starts the termination of a Node running a Deployment's pods, wakes the provisioner at once, and
 * the replacement is launched while the Node still drains (a PodDisruptionBudget paces the drain);
 * the instance is terminated once, the Node and its record go, every pod runs again, and duplicated
 * messages launch nothing twice. The provisioner's own rule (pods of a Node being deleted are
 * planned again) is checked the same way for `kubectl delete node` and a duplicated run.
 */
import { describe, expect, it } from "vitest";
import type { Node } from "../../lib/api/kubernetes.ts";
import { simulatedInterruptionEvent } from "../../lib/cloud/in-memory/events.ts";
import type { LifecycleReport } from "../../lib/lifecycle/lifecycle.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import {
  addWebWorkload, auditPayloadForUnschedulable, callBatcher, callInterruption, callLifecycle, callProvisioner, CLUSTER, deliver, deliverNextMessages, runningPods,
  runWithLifecycleTicks, scheduledTick, useDynamoDbStores, useInstalledRuntime,
} from "../support/world.ts";

const freshStore = useDynamoDbStores();
const install = useInstalledRuntime();
const REPLICAS = 6;
const SPOT_OR_ON_DEMAND = [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] }];

async function provisioned(): Promise<SimulatedWorld> {
  const w = simulatedWorld({ clusterName: CLUSTER, store: await freshStore() });
  addWebWorkload(w, REPLICAS, { nodePoolRequirements: SPOT_OR_ON_DEMAND });
  install(fixedRuntime(w.ports));
  await w.cluster.advance(3_000);
  await callBatcher(auditPayloadForUnschedulable(w));
  await deliverNextMessages(w);
  await runWithLifecycleTicks(w, 120_000);
  expect(runningPods(w)).toHaveLength(REPLICAS);
  // At most one web pod down at a time: the drain takes as long as the pods need to move.
  w.cluster.addPodDisruptionBudget({ metadata: { name: "web", namespace: "default" }, spec: { selector: { matchLabels: { app: "web" } }, maxUnavailable: 1 } });
  return w;
}

const podsOn = (w: SimulatedWorld, node: string) => w.cluster.pods().filter((p) => p.spec.nodeName === node);
const webRunning = (w: SimulatedWorld) => w.cluster.pods().filter((p) => p.metadata.labels?.app === "web" && p.status?.phase === "Running").length;

/** The Node running the most web pods, its instance and its record. */
async function busiest(w: SimulatedWorld) {
  const node = w.cluster.nodes().sort((a, b) => podsOn(w, b.metadata.name).length - podsOn(w, a.metadata.name).length)[0]!;
  const instanceId = node.spec.providerID!.split("/").pop()!;
  const record = (await w.ports.store.listNodeClaims()).find((r) => r.nodeClaim.status?.providerID === node.spec.providerID)!;
  expect(podsOn(w, node.metadata.name).length).toBeGreaterThan(1);
  return { node, name: node.metadata.name, instanceId, record };
}

/** Counts the instances each terminate call was made for. */
function countTerminations(w: SimulatedWorld): string[] {
  const calls: string[] = [];
  const remove = w.cloud.delete.bind(w.cloud);
  w.cloud.delete = async (instanceId: string) => {
    calls.push(instanceId);
    return remove(instanceId);
  };
  return calls;
}

async function liveInstanceIds(w: SimulatedWorld): Promise<string[]> {
  return (await w.cloud.list()).filter((i) => i.state !== "terminated" && i.state !== "shutting-down").map((i) => i.instanceId);
}

/** The world runs with the usual signals: the batcher for pods kube-scheduler gave up on, the provisioner's messages, the lifecycle tick. */
async function tick(w: SimulatedWorld): Promise<LifecycleReport> {
  await w.cluster.advance(10_000);
  const unschedulable = auditPayloadForUnschedulable(w);
  if (unschedulable) await callBatcher(unschedulable);
  while (w.queue.pending().some((m) => m.dueAtMs <= w.ports.clock.now() + 10_000)) await deliverNextMessages(w);
  return (await callLifecycle()) as LifecycleReport;
}

describe("a Spot interruption on a simulated cluster and cloud, state in DynamoDB Local", () => {
  it("launches the replacement before the drain ends, terminates the instance once, and a duplicated message launches nothing twice", async () => {
    const w = await provisioned();
    const target = await busiest(w);
    expect(target.node.metadata.labels?.["karpenter.sh/capacity-type"]).toBe("spot");
    const before = new Set(await liveInstanceIds(w));
    const terminations = countTerminations(w);
    const body = simulatedInterruptionEvent("spot-interruption", target.instanceId, w.ports.clock);

    // SQS delivers the warning twice in one batch (at-least-once): one termination starts.
    expect(await callInterruption([{ id: "m-1", body }, { id: "m-2", body }])).toEqual({ batchItemFailures: [] });
    const node = w.cluster.node(target.name) as Node;
    expect(node.metadata.deletionTimestamp).toBeDefined();
    expect(node.spec.taints).toContainEqual(expect.objectContaining({ key: "karpenter.sh/disrupted", effect: "NoSchedule" }));
    expect((await w.ports.store.getNodeClaim(target.record.name))?.phase).toBe("Terminating");
    expect(w.cluster.events({ source: "tenon", reason: "SpotInterrupted" }).map((e) => e.involvedObject.name)).toEqual([target.name]);
    expect(w.cluster.events({ source: "tenon", reason: "TerminatingOnInterruption" })[0]?.message).toContain(target.record.name);
    // The drain started at once (the PDB lets one pod go), and the provisioner is woken with no delay.
    expect(webRunning(w)).toBe(REPLICAS - 1);
    expect(w.queue.pending().map((m) => [m.message.reason, m.dueAtMs])).toEqual([["interruption", w.ports.clock.now()]]);
    expect((await w.ports.store.listUnavailable(w.ports.clock.now())).map((u) => `${u.capacityType}:${u.instanceType}:${u.zone}`)).toEqual([
      `spot:${target.node.metadata.labels?.["node.kubernetes.io/instance-type"]}:${target.node.metadata.labels?.["topology.kubernetes.io/zone"]}`,
    ]);

    // Redelivered later: nothing more.
    const events = w.cluster.events({ source: "tenon" }).length;
    const version = (await w.ports.store.getNodeClaim(target.record.name))!.version;
    await callInterruption([{ id: "m-3", body }]);
    expect(w.cluster.events({ source: "tenon" }).length).toBe(events);
    expect((await w.ports.store.getNodeClaim(target.record.name))!.version).toBe(version);
    expect(w.queue.pending()).toHaveLength(1);

    // The wake-up arrives a second later: the replacement is launched while the Node still has pods.
    await w.cluster.advance(1_000);
    const wakeUp = await deliverNextMessages(w);
    const replacements = (await liveInstanceIds(w)).filter((id) => !before.has(id));
    expect(replacements.length).toBeGreaterThan(0);
    expect(podsOn(w, target.name).length).toBeGreaterThan(0);
    await deliver(wakeUp); // delivered twice: nothing launched twice
    expect((await liveInstanceIds(w)).filter((id) => !before.has(id))).toEqual(replacements);

    let emptiedAtMs: number | undefined;
    for (let i = 0; i < 60 && w.cluster.node(target.name); i++) {
      await tick(w);
      if (emptiedAtMs === undefined && podsOn(w, target.name).length === 0) emptiedAtMs = w.ports.clock.now();
      expect(webRunning(w)).toBeGreaterThanOrEqual(REPLICAS - 1);
    }
    const launched = (await w.cloud.list()).filter((i) => replacements.includes(i.instanceId));
    expect(emptiedAtMs).toBeDefined();
    expect(Math.max(...launched.map((i) => i.launchTimeMs))).toBeLessThan(emptiedAtMs!);
    expect(w.cluster.node(target.name)).toBeUndefined();
    expect(await w.ports.store.getNodeClaim(target.record.name)).toBeUndefined();
    expect(terminations.filter((id) => id === target.instanceId)).toHaveLength(1);
    await runWithLifecycleTicks(w, 60_000);
    expect(runningPods(w)).toHaveLength(REPLICAS);
    expect(w.cluster.events({ source: "tenon", reason: "FailedScheduling" })).toEqual([]);
    // Nothing launched beyond the replacement the interruption's wake-up planned.
    expect((await liveInstanceIds(w)).filter((id) => !before.has(id))).toEqual(replacements);
  });
});

describe("the provisioner plans the pods of a Node being deleted", () => {
  it("launches capacity for them once: a duplicated run (tick or message) launches nothing twice, and the drain ends with every pod running", async () => {
    const w = await provisioned();
    const target = await busiest(w);
    const before = new Set(await liveInstanceIds(w));
    expect(await w.cluster.deleteNode(target.name)).toBe("deleted"); // kubectl delete node

    await callProvisioner(scheduledTick);
    const replacements = (await liveInstanceIds(w)).filter((id) => !before.has(id));
    expect(replacements.length).toBeGreaterThan(0);
    await callProvisioner(scheduledTick);
    await deliver([{ id: "again", dueAtMs: w.ports.clock.now(), message: { kind: "batch-ready", firstSeenAtMs: 0, reason: "window-opened" } }]);
    expect((await liveInstanceIds(w)).filter((id) => !before.has(id))).toEqual(replacements);

    for (let i = 0; i < 60 && w.cluster.node(target.name); i++) {
      await tick(w);
      expect(webRunning(w)).toBeGreaterThanOrEqual(REPLICAS - 1);
    }
    expect(w.cluster.node(target.name)).toBeUndefined();
    await runWithLifecycleTicks(w, 60_000);
    expect(runningPods(w)).toHaveLength(REPLICAS);
    expect((await liveInstanceIds(w)).filter((id) => !before.has(id))).toEqual(replacements);
  });
});
