/**
 * Disruption end to end through the real handlers (batcher, provisioner, lifecycle, consolidator,
 * drift), on the simulated cluster and cloud with the state in DynamoDB Local: an emptied node is
 * removed; an under-used node is replaced by a cheaper one and its pods always have somewhere to
 * go; a drifted NodePool is rolled one node at a time under its budget; the consolidator wakes
 * itself while a command is in flight.
 */
import { describe, expect, it } from "vitest";
import type { Node } from "../../lib/api/kubernetes.ts";
import { DEFAULT_SETTINGS, type Settings } from "../../lib/ports/settings.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";
import { CLUSTER, ON_DEMAND_ONLY, runningPods, useDynamoDbStores, useInstalledRuntime } from "../support/world.ts";
import { type CrashPoint, deployment, ROLLING, run, runningInstances, settle, tainted, underUsedLater, withCrash } from "./disruption-support.ts";

const SPOT_ONLY = [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }];
const newStore = useDynamoDbStores();
const install = useInstalledRuntime();

async function world(nodePoolExtra: Record<string, unknown> = {}, options: { spot?: boolean; settings?: Partial<Settings> } = {}): Promise<SimulatedWorld> {
  const w = simulatedWorld({ clusterName: CLUSTER, store: await newStore(), ...(options.settings ? { settings: options.settings } : {}) });
  w.cluster.putCustomObject("NodePool", nodePoolObject("default", options.spot ? SPOT_ONLY : ON_DEMAND_ONLY, nodePoolExtra));
  w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(CLUSTER));
  install(fixedRuntime(w.ports));
  return w;
}

describe("disruption through the real handlers", () => {
  it("removes a node its pods left, after the validation delay, and nothing else", async () => {
    const w = await world();
    w.cluster.addWorkload(deployment("web", 4, "500m"));
    await settle(w);
    w.cluster.addWorkload(deployment("batch", 3, "1", ["web"]));
    await settle(w);
    const batchNodes = new Set(runningPods(w).filter((p) => p.metadata.labels?.app === "batch").map((p) => p.spec.nodeName!));
    const webPods = runningPods(w).filter((p) => p.metadata.labels?.app === "web").map((p) => `${p.metadata.name}@${p.spec.nodeName}`).sort();
    const webNodes = new Set(runningPods(w).filter((p) => p.metadata.labels?.app === "web").map((p) => p.spec.nodeName));
    expect(batchNodes.size).toBe(1);
    const [batchNode] = [...batchNodes];
    expect(webNodes.has(batchNode)).toBe(false);

    w.cluster.scaleWorkload("default", "batch", 0);
    const loop = await run(w, 150_000);

    expect(w.cluster.node(batchNode!)).toBeUndefined();
    expect(w.cluster.nodes().map((n) => n.metadata.name).sort()).toEqual([...webNodes].sort());
    // The web pods were not touched: same pods on the same nodes.
    expect(runningPods(w).filter((p) => p.metadata.labels?.app === "web").map((p) => `${p.metadata.name}@${p.spec.nodeName}`).sort()).toEqual(webPods);
    expect(await runningInstances(w)).toHaveLength(webNodes.size);
    expect(await w.ports.store.listDisruptionCommands()).toEqual([]);
    expect(loop.consolidator.find((r) => r.decided)?.decided).toBe("emptiness");
    // Decided, then validated on a wake-up 15 s later rather than at the next minute's tick.
    expect(loop.consolidator.some((r) => r.trigger === "message" && r.steps.some((s) => s.includes("carried out")))).toBe(true);
    expect(tainted(w)).toEqual([]);
  });

  it("replaces an under-used node with a cheaper one, launching the replacement before its pods are evicted", async () => {
    const w = await world();
    const { original, originalType } = await underUsedLater(w);
    const launched = new Set((await w.cloud.list()).map((i) => i.instanceId));

    w.cluster.scaleWorkload("default", "big", 0);
    let replacementSeenBeforeEviction = false;
    const loop = await run(w, 600_000, {
      check: async () => {
        for (const i of await w.cloud.list()) launched.add(i.instanceId);
        const others = w.cluster.nodes().filter((n) => n.metadata.name !== original.metadata.name);
        const onOriginal = runningPods(w).filter((p) => p.spec.nodeName === original.metadata.name && p.metadata.labels?.app === "small");
        if (others.length > 0 && onOriginal.length === 2) replacementSeenBeforeEviction = true;
        // A small pod is never pending for want of a node: it is either running, or a Ready untainted node has room.
        const pending = w.cluster.pods().filter((p) => p.metadata.labels?.app === "small" && !p.spec.nodeName);
        if (pending.length > 0) expect(others.some((n) => n.metadata.labels?.["karpenter.sh/initialized"] === "true")).toBe(true);
      },
    });

    expect(replacementSeenBeforeEviction).toBe(true);
    expect(w.cluster.node(original.metadata.name)).toBeUndefined();
    const nodes = w.cluster.nodes();
    expect(nodes).toHaveLength(1);
    const newType = nodes[0]!.metadata.labels!["node.kubernetes.io/instance-type"]!;
    expect(newType).not.toBe(originalType);
    expect(runningPods(w).filter((p) => p.metadata.labels?.app === "small").map((p) => p.spec.nodeName)).toEqual([nodes[0]!.metadata.name, nodes[0]!.metadata.name]);
    // Exactly one instance launched for the replacement, none for the evicted pods.
    expect(launched.size).toBe(2);
    expect(await runningInstances(w)).toHaveLength(1);
    expect(loop.consolidator.find((r) => r.decided)?.decided).toBe("single-node-consolidation");
    expect(await w.ports.store.listDisruptionCommands()).toEqual([]);
    expect(tainted(w)).toEqual([]);
  });

  it("leaves an under-used spot node alone unless FEATURE_GATES turns SpotToSpotConsolidation on, as Karpenter", async () => {
    const outcome = async (settings: Partial<Settings>) => {
      const w = await world({}, { spot: true, settings });
      const { original } = await underUsedLater(w);
      w.cluster.scaleWorkload("default", "big", 0);
      const loop = await run(w, 600_000);
      return { kept: w.cluster.node(original.metadata.name) !== undefined, decided: loop.consolidator.map((r) => r.decided).filter(Boolean), nodes: w.cluster.nodes().length };
    };
    expect(await outcome({})).toEqual({ kept: true, decided: [], nodes: 1 });
    const on = await outcome({ featureGates: { ...DEFAULT_SETTINGS.featureGates, spotToSpotConsolidation: true } });
    expect(on).toMatchObject({ kept: false, nodes: 1 });
    expect(on.decided).toContain("single-node-consolidation");
  });

  const released = new Set<string>();
  const ROLLOUTS: Array<{ name: string; change: (w: SimulatedWorld) => void; changed: (w: SimulatedWorld, node: Node) => Promise<boolean> }> = [
    {
      name: "a label added to the NodePool's template",
      change: (w) => {
        const pool = nodePoolObject("default", ON_DEMAND_ONLY, { disruption: ROLLING });
        pool.spec.template.metadata.labels = { team: "api" };
        w.cluster.putCustomObject("NodePool", pool);
      },
      changed: async (_w, node) => node.metadata.labels?.team === "api",
    },
    {
      name: "a new AMI release behind the EC2NodeClass's al2023@latest alias",
      change: (w) => {
        for (const id of w.simCloud!.releaseImages("/amazon-linux-2023/", "2026-12-01T00:00:00.000Z")) released.add(id);
      },
      changed: async (w, node) => released.has((await w.cloud.list()).find((i) => i.providerId === node.spec.providerID)?.imageId ?? ""),
    },
  ];

  it.each(ROLLOUTS)("rolls out $name one node at a time under a budget of one", async (rollout) => {
    const w = await world({ disruption: ROLLING });
    w.cluster.addWorkload(deployment("web", 3, "1", ["web"]));
    await settle(w);
    const before = w.cluster.nodes().map((n) => n.metadata.name);
    expect(before.length).toBe(3);

    rollout.change(w);
    let mostAtOnce = 0;
    const loop = await run(w, 1_500_000, {
      drift: true,
      check: () => {
        const old = before.filter((name) => w.cluster.node(name));
        const going = old.filter((name) => tainted(w).includes(name) || w.cluster.node(name)?.metadata.deletionTimestamp);
        mostAtOnce = Math.max(mostAtOnce, going.length);
      },
    });

    expect(before.filter((name) => w.cluster.node(name))).toEqual([]);
    for (const node of w.cluster.nodes()) expect(await rollout.changed(w, node), node.metadata.name).toBe(true);
    expect(mostAtOnce).toBe(1);
    expect(runningPods(w).filter((p) => p.metadata.labels?.app === "web")).toHaveLength(3);
    expect(loop.drift.some((r) => r.decided === "drift")).toBe(true);
    expect(tainted(w)).toEqual([]);
  });

  it("drains a drifted node around a do-not-disrupt pod until the NodeClaim's terminationGracePeriod, then deletes that pod in time", async () => {
    const w = await world({ disruption: ROLLING });
    const pool = nodePoolObject("default", ON_DEMAND_ONLY, { disruption: ROLLING });
    (pool.spec.template.spec as Record<string, unknown>).terminationGracePeriod = "3m";
    w.cluster.putCustomObject("NodePool", pool);
    const keep = deployment("keep", 1, "500m");
    keep.spec.template.metadata = { ...keep.spec.template.metadata, annotations: { "karpenter.sh/do-not-disrupt": "true" } };
    w.cluster.addWorkload(keep);
    await settle(w);
    const [node] = w.cluster.nodes();
    const keeper = runningPods(w).find((p) => p.metadata.labels?.app === "keep")!;

    const changed = nodePoolObject("default", ON_DEMAND_ONLY, { disruption: ROLLING });
    (changed.spec.template.spec as Record<string, unknown>).terminationGracePeriod = "3m";
    changed.spec.template.metadata.labels = { team: "api" };
    w.cluster.putCustomObject("NodePool", changed);
    let deletedAt: number | undefined;
    let podGoneAt: number | undefined;
    await run(w, 900_000, {
      drift: true,
      check: () => {
        const now = w.cluster.clock.now();
        if (deletedAt === undefined && w.cluster.node(node!.metadata.name)?.metadata.deletionTimestamp) deletedAt = now;
        if (podGoneAt === undefined && !w.cluster.pod("default", keeper.metadata.name)) podGoneAt = now;
      },
    });

    expect(deletedAt).toBeDefined();
    expect(podGoneAt).toBeDefined();
    // Held by do-not-disrupt for the grace period, less the pod's own 30 s to stop.
    expect(podGoneAt! - deletedAt!).toBeGreaterThanOrEqual(150_000 - 10_000);
    expect(podGoneAt! - deletedAt!).toBeLessThanOrEqual(180_000);
    expect(w.cluster.node(node!.metadata.name)).toBeUndefined();
    expect(runningPods(w).filter((p) => p.metadata.labels?.app === "keep")).toHaveLength(1);
    expect(w.telemetry.logs.some((l) => l.message.includes(`deleted pod default/${keeper.metadata.name}`))).toBe(true);
  });
});

const CRASH_POINTS: CrashPoint[] = [
  { name: "after the command is written", port: "store", method: "createDisruptionCommand", after: true },
  { name: "after the command names its replacement, before the record is written", port: "store", method: "createNodeClaim", after: false },
  { name: "after the taint, before the launch", port: "cluster", method: "replaceNodeTaints", after: true },
  { name: "after the replacement launch, before its record says so", port: "cloud", method: "create", after: true },
  { name: "before the candidate's record is marked Terminating", port: "store", method: "updateNodeClaim", after: false, when: (args) => (args[2] as { phase?: string })?.phase === "Terminating" },
  { name: "mid-drain", port: "cluster", method: "evictPod", after: false },
  { name: "after the terminate call", port: "cloud", method: "delete", after: true },
  { name: "before the command is deleted", port: "store", method: "deleteDisruptionCommand", after: false },
];

describe("crash and retry at every step of a replacement, with duplicated invocations", () => {
  it.each(CRASH_POINTS)("$name: no instance leaked, no double launch, no pod without a place, no node left tainted", async (point) => {
    const w = await world();
    let armed = false;
    const hits = { n: 0, crashed: false };
    const ports = { ...w.ports };
    if (point.port === "store") ports.store = withCrash(w.ports.store, point, () => armed, hits);
    if (point.port === "cloud") ports.cloud = withCrash(w.ports.cloud, point, () => armed, hits);
    if (point.port === "cluster") ports.cluster = withCrash(w.ports.cluster, point, () => armed, hits);
    install(fixedRuntime(ports));
    const { original } = await underUsedLater(w);
    const launched = new Set((await w.cloud.list()).map((i) => i.instanceId));

    w.cluster.scaleWorkload("default", "big", 0);
    armed = true;
    const crashes = { count: 0 };
    await run(w, 900_000, {
      crashes,
      duplicate: true,
      check: async () => {
        for (const i of await w.cloud.list()) launched.add(i.instanceId);
        const pending = w.cluster.pods().filter((p) => p.metadata.labels?.app === "small" && !p.spec.nodeName);
        const ready = w.cluster.nodes().filter((n) => n.metadata.name !== original.metadata.name && n.metadata.labels?.["karpenter.sh/initialized"] === "true");
        if (pending.length > 0) expect(ready.length).toBeGreaterThan(0);
        // With no command in flight, a node carries the disrupted taint only while it is being removed.
        if ((await w.ports.store.listDisruptionCommands()).length === 0) {
          const terminating = new Set((await w.ports.store.listNodeClaims()).filter((r) => r.phase === "Terminating").map((r) => r.nodeClaim.status?.providerID));
          for (const name of tainted(w)) {
            const node = w.cluster.node(name)!;
            expect(Boolean(node.metadata.deletionTimestamp) || terminating.has(node.spec.providerID), `${name} tainted with no command`).toBe(true);
          }
        }
      },
    });

    expect(hits.crashed).toBe(true);
    expect(crashes.count).toBeGreaterThan(0);
    expect(w.cluster.node(original.metadata.name)).toBeUndefined();
    const nodes = w.cluster.nodes();
    expect(nodes).toHaveLength(1);
    expect(runningPods(w).filter((p) => p.metadata.labels?.app === "small").every((p) => p.spec.nodeName === nodes[0]!.metadata.name)).toBe(true);
    expect(runningPods(w).filter((p) => p.metadata.labels?.app === "small")).toHaveLength(2);
    // One replacement instance, whatever was retried or duplicated; nothing left running but it.
    expect(launched.size).toBe(2);
    expect((await runningInstances(w)).map((i) => i.providerId)).toEqual([nodes[0]!.spec.providerID]);
    expect(tainted(w)).toEqual([]);
    expect(await w.ports.store.listDisruptionCommands()).toEqual([]);
    expect((await w.ports.store.listNodeClaims()).map((r) => r.nodeClaim.status?.providerID)).toEqual([nodes[0]!.spec.providerID]);
  });
});
