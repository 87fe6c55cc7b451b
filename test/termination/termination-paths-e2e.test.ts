/**
 * The other ways into termination, end to end through the real lifecycle handler (simulated
 * cluster and cloud, DynamoDB Local for the table): `tenon nodeclaim delete`, a deleted NodePool
 * (cascade), and what termination waits for or reports: a drained node's volume attachments, and
 * drains stuck longer than STUCK_DRAIN_MS (metric DrainsStuck, a warning naming what holds them).
 */
import { describe, expect, it } from "vitest";
import type { Node, Pod } from "../../lib/api/kubernetes.ts";
import { main } from "../../lib/cli/main.ts";
import type { LifecycleReport } from "../../lib/lifecycle/lifecycle.ts";
import { METRIC } from "../../lib/ports/telemetry.ts";
import type { Store } from "../../lib/ports/store.ts";
import { createDynamoDbStore } from "../../lib/store/dynamodb/dynamodb-store.ts";
import { STUCK_DRAIN_MS } from "../../lib/termination/termination.ts";
import type { SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { nodePoolObject } from "../support/builders.ts";
import { useDynamoDbLocalThroughEnv } from "../support/dynamodb-env.ts";
import { recordingIO } from "../support/recording-io.ts";
import { auditPayloadForUnschedulable, callBatcher, callLifecycle, CLUSTER, deliverNextMessages, ON_DEMAND_ONLY, provisionedWorld, runningPods, runWithLifecycleTicks, useInstalledRuntime } from "../support/world.ts";

const install = useInstalledRuntime();
const dynamo = useDynamoDbLocalThroughEnv();

async function dynamoStore(): Promise<{ store: Store; table: string }> {
  const table = await dynamo().createTable();
  return { store: createDynamoDbStore({ client: dynamo().client, tableName: table, clusterName: CLUSTER }), table };
}

const provisioned = (replicas: number, store?: Store) => provisionedWorld(install, replicas, store);

const instanceIdOf = (node: Node) => node.spec.providerID!.split("/").pop()!;
const instanceState = async (w: SimulatedWorld, id: string) => (await w.cloud.list()).find((i) => i.instanceId === id)?.state;

/** Lifecycle ticks (with capacity for evicted pods the usual way) until `done`, at most `ticks`. */
async function tickUntil(w: SimulatedWorld, done: () => boolean | Promise<boolean>, o: { ticks?: number; everyMs?: number; provision?: boolean } = {}): Promise<LifecycleReport[]> {
  const reports: LifecycleReport[] = [];
  for (let tick = 0; tick < (o.ticks ?? 60) && !(await done()); tick++) {
    await w.cluster.advance(o.everyMs ?? 10_000);
    if (o.provision !== false) {
      const unschedulable = auditPayloadForUnschedulable(w);
      if (unschedulable) await callBatcher(unschedulable);
      if (w.queue.pending().length > 0) await deliverNextMessages(w);
    }
    reports.push((await callLifecycle()) as LifecycleReport);
  }
  return reports;
}

describe("tenon nodeclaim delete", () => {
  it("marks the record Terminating; the lifecycle tick deletes the Node, drains it, terminates the instance and removes the record", async () => {
    const { store, table } = await dynamoStore();
    const w = await provisioned(4, store);
    const [record] = await store.listNodeClaims();
    const node = w.cluster.nodes().find((n) => n.spec.providerID === record!.nodeClaim.status?.providerID)!;
    const instanceId = instanceIdOf(node);
    const tenon = async (...args: string[]) => {
      const io = recordingIO(process.cwd(), "", false);
      const code = await main(["node", "tenon", "nodeclaim", ...args, "--cluster", CLUSTER, "--table", table], io);
      return { code, out: io.stdout, err: io.stderr };
    };

    const listed = await tenon("list");
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toContainEqual(expect.objectContaining({ name: record!.name, nodePool: "default", phase: "Initialized", providerID: node.spec.providerID }));
    const deleted = await tenon("delete", record!.name);
    expect(deleted).toMatchObject({ code: 0, err: "" });
    expect(JSON.parse(deleted.out)).toEqual({ name: record!.name, outcome: "marked for deletion", version: record!.version + 1 });
    expect((await store.getNodeClaim(record!.name))?.phase).toBe("Terminating");
    expect(JSON.parse((await tenon("delete", record!.name)).out)).toMatchObject({ outcome: "already being deleted" });

    const reports = await tickUntil(w, async () => !w.cluster.node(node.metadata.name) && !(await store.getNodeClaim(record!.name)));
    expect(w.cluster.node(node.metadata.name)).toBeUndefined();
    expect(await store.getNodeClaim(record!.name)).toBeUndefined();
    expect(["shutting-down", "terminated", undefined]).toContain(await instanceState(w, instanceId));
    expect(reports.flatMap((r) => r.termination?.instancesTerminated ?? [])).toEqual([instanceId]);
    // The drain went through evictions, and the web pods run again elsewhere.
    expect(reports.some((r) => (r.termination?.evictionsRequested ?? 0) > 0)).toBe(true);
    await runWithLifecycleTicks(w, 120_000);
    expect(JSON.parse((await tenon("delete", record!.name)).out)).toEqual({ name: record!.name, outcome: "not found (nothing to delete)" });
  });
});

describe("a deleted NodePool", () => {
  it("takes its NodeClaims through termination, but never on a failed read and never while an invalid NodePool of that name exists", async () => {
    const { store } = await dynamoStore();
    const w = await provisioned(3, store);
    const records = await store.listNodeClaims();
    expect(records.length).toBeGreaterThan(0);
    const nodes = w.cluster.nodes();
    const instanceIds = nodes.map(instanceIdOf);

    // An invalid NodePool still exists: its nodes stay.
    const invalid = nodePoolObject("default", ON_DEMAND_ONLY) as { spec: Record<string, unknown> };
    w.cluster.putCustomObject("NodePool", { ...invalid, metadata: { name: "default" }, spec: { ...invalid.spec, weight: "heavy" } });
    let report = (await callLifecycle()) as LifecycleReport;
    expect(report.nodePoolDeleted).toBeUndefined();
    expect((await store.listNodeClaims()).every((r) => r.phase !== "Terminating")).toBe(true);

    // Deleted, but the NodePools cannot be listed this tick: nothing is marked.
    expect(w.cluster.deleteCustomObject("NodePool", "default")).toBe(true);
    const list = w.cluster.listCustomObjects.bind(w.cluster);
    w.cluster.listCustomObjects = async (kind, options) => {
      if (kind === "NodePool") throw new Error("the API server is unavailable");
      return list(kind, options);
    };
    await w.cluster.advance(10_000);
    report = (await callLifecycle()) as LifecycleReport;
    expect(report.nodePoolDeleted).toBeUndefined();
    expect((await store.listNodeClaims()).every((r) => r.phase !== "Terminating")).toBe(true);
    expect(w.telemetry.logs.some((l) => l.level === "warn" && /could not list NodePools/.test(l.message))).toBe(true);

    // Listed again: every record of the NodePool is marked, then drained and terminated.
    w.cluster.listCustomObjects = list;
    await w.cluster.advance(10_000);
    report = (await callLifecycle()) as LifecycleReport;
    expect(report.nodePoolDeleted?.sort()).toEqual(records.map((r) => r.name).sort());
    expect((await store.listNodeClaims()).every((r) => r.phase === "Terminating")).toBe(true);

    const reports = await tickUntil(w, async () => w.cluster.nodes().length === 0 && (await store.listNodeClaims()).length === 0, { provision: false });
    expect(w.cluster.nodes()).toEqual([]);
    expect(await store.listNodeClaims()).toEqual([]);
    for (const id of instanceIds) expect(["shutting-down", "terminated", undefined]).toContain(await instanceState(w, id));
    expect(reports.flatMap((r) => r.termination?.instancesTerminated ?? []).sort()).toEqual([...instanceIds].sort());
  });
});

describe("volume attachments", () => {
  it("hold the instance after the drain until the volumes are detached", async () => {
    const w = await provisioned(2);
    w.cluster.addStorageClass({ metadata: { name: "gp3" }, provisioner: "ebs.csi.aws.com", volumeBindingMode: "WaitForFirstConsumer" });
    w.cluster.addPersistentVolumeClaim({ metadata: { name: "data", namespace: "default" }, spec: { storageClassName: "gp3", resources: { requests: { storage: "10Gi" } } } });
    const db: Pod = {
      metadata: { name: "db", namespace: "default" },
      spec: { containers: [{ name: "db", resources: { requests: { cpu: "100m", memory: "128Mi" } } }], volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }] },
    };
    w.cluster.addPod(db);
    await w.cluster.advance(5_000);
    const name = w.cluster.pod("default", "db")?.spec.nodeName;
    expect(name).toBeDefined();
    const attachedHere = () => w.cluster.volumeAttachments().filter((a) => a.spec.nodeName === name);
    expect(attachedHere()).toHaveLength(1);
    const instanceId = instanceIdOf(w.cluster.node(name!)!);

    expect(await w.cluster.deleteNode(name!)).toBe("deleted");
    const seen: Array<{ pods: number; attachments: number; terminated: string[] }> = [];
    for (let tick = 0; tick < 30 && w.cluster.node(name!); tick++) {
      await w.cluster.advance(5_000);
      const pods = w.cluster.pods().filter((p) => p.spec.nodeName === name).length;
      const attachments = attachedHere().length;
      const report = (await callLifecycle()) as LifecycleReport;
      seen.push({ pods, attachments, terminated: report.termination?.instancesTerminated ?? [] });
    }
    expect(w.cluster.node(name!)).toBeUndefined();
    // Drained with the volume still attached: the instance waited.
    expect(seen.some((s) => s.pods === 0 && s.attachments > 0 && s.terminated.length === 0)).toBe(true);
    // It was terminated once, on a tick that saw no attachment left.
    const terminatedOn = seen.filter((s) => s.terminated.length > 0);
    expect(terminatedOn).toEqual([{ pods: 0, attachments: 0, terminated: [instanceId] }]);
  });
});

describe("stuck drains", () => {
  it("are counted in DrainsStuck after STUCK_DRAIN_MS and logged with what holds them", async () => {
    const w = await provisioned(2);
    const [pinned] = runningPods(w);
    w.cluster.addPod({ ...pinned!, metadata: { ...pinned!.metadata, annotations: { ...pinned!.metadata.annotations, "karpenter.sh/do-not-disrupt": "true" } } });
    const name = pinned!.spec.nodeName!;
    expect(await w.cluster.deleteNode(name)).toBe("deleted");
    const deletedAt = w.cluster.clock.now();
    const counts: Array<{ afterMs: number; stuck: number }> = [];
    for (let tick = 0; tick < 18; tick++) {
      await w.cluster.advance(60_000);
      const before = w.telemetry.metrics.length;
      await callLifecycle();
      const emitted = w.telemetry.metrics.slice(before).filter((m) => m.name === METRIC.drainsStuck);
      expect(emitted).toHaveLength(1);
      counts.push({ afterMs: w.cluster.clock.now() - deletedAt, stuck: emitted[0]!.value });
    }
    expect(counts.filter((c) => c.afterMs <= STUCK_DRAIN_MS).every((c) => c.stuck === 0)).toBe(true);
    expect(counts.filter((c) => c.afterMs > STUCK_DRAIN_MS).map((c) => c.stuck)).toEqual([1, 1, 1]);
    const warning = w.telemetry.logs.filter((l) => l.level === "warn" && l.message.startsWith(`drain of Node ${name}`)).at(-1);
    expect(warning?.message).toMatch(new RegExp(`karpenter.sh/do-not-disrupt pods: default/${pinned!.metadata.name}`));
    expect(warning?.attributes).toMatchObject({ node: name });
  });
});
