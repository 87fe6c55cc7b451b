/**
 * NodePool and EC2NodeClass statuses written back by the consolidator's tick through the real
 * handlers: on the CRDs' status subresource when the objects come from the cluster, in STATUS items
 * (shown by `tenon nodepool list`) when they come from the table; written only when they change.
 */
import { describe, expect, it } from "vitest";
import type { Condition } from "../../lib/api/types.ts";
import type { CustomObjectKind } from "../../lib/ports/cluster.ts";
import { runList } from "../../lib/cli/commands/nodepool.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";
import { recordingIO } from "../support/recording-io.ts";
import { callConsolidator, CLUSTER, ON_DEMAND_ONLY, useInstalledRuntime } from "../support/world.ts";
import { deployment, settle } from "./disruption-support.ts";

const install = useInstalledRuntime();

/** Counts the status writes that reach the simulated API server. */
function countStatusWrites(w: SimulatedWorld): Array<{ kind: CustomObjectKind; name: string; status: Record<string, unknown> }> {
  const writes: Array<{ kind: CustomObjectKind; name: string; status: Record<string, unknown> }> = [];
  const patch = w.cluster.patchCustomObjectStatus.bind(w.cluster);
  w.cluster.patchCustomObjectStatus = async (kind, name, status) => {
    writes.push({ kind, name, status });
    return patch(kind, name, status);
  };
  return writes;
}

function condition(conditions: unknown, type: string): Condition | undefined {
  return (conditions as Condition[] | undefined)?.find((c) => c.type === type);
}

describe("statuses written back", () => {
  it("writes a cluster NodePool's resources, nodes and conditions and its EC2NodeClass's resolved status to the status subresource, and nothing when nothing changed", async () => {
    const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
    w.cluster.putCustomObject("NodePool", nodePoolObject("default", ON_DEMAND_ONLY));
    w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(CLUSTER));
    install(fixedRuntime(w.ports));
    w.cluster.addWorkload(deployment("web", 3, "1", ["web"]));
    await settle(w);
    const nodes = w.cluster.nodes();
    expect(nodes).toHaveLength(3);
    const writes = countStatusWrites(w);

    await w.cluster.advance(60_000);
    await callConsolidator();
    const pool = w.cluster.getCustomObject("NodePool", "default")!;
    const status = pool["status"] as { resources: Record<string, string>; nodes: number; conditions: Condition[] };
    const cores = nodes.reduce((n, node) => n + Number(node.status?.capacity?.["cpu"] ?? 0), 0);
    expect(status.nodes).toBe(3);
    expect(status.resources).toMatchObject({ cpu: String(cores), nodes: "3" });
    expect(status.resources["memory"]).toMatch(/^\d+(Ki|Mi|Gi)?$/);
    for (const type of ["ValidationSucceeded", "NodeClassReady", "Ready"]) expect(condition(status.conditions, type)).toMatchObject({ status: "True", reason: type });
    const nodeClass = w.cluster.getCustomObject("EC2NodeClass", "default")!;
    const classStatus = nodeClass["status"] as { subnets: unknown[]; securityGroups: unknown[]; amis: unknown[]; conditions: Condition[] };
    expect(classStatus.subnets.length).toBeGreaterThan(0);
    expect(classStatus.securityGroups.length).toBeGreaterThan(0);
    expect(classStatus.amis.length).toBeGreaterThan(0);
    expect(condition(classStatus.conditions, "Ready")).toMatchObject({ status: "True" });
    expect(writes.map((x) => `${x.kind}/${x.name}`).sort()).toEqual(["EC2NodeClass/default", "NodePool/default"]);

    // Nothing changed: no write; the transition times stand.
    await w.cluster.advance(60_000);
    await callConsolidator();
    expect(writes).toHaveLength(2);
  });

  it("keeps the status of a table NodePool in a STATUS item beside it, shown by tenon nodepool list", async () => {
    const store = createMemoryStore({ clusterName: CLUSTER });
    const w = simulatedWorld({ clusterName: CLUSTER, store });
    await store.putConfigObject("NodePool", "default", nodePoolObject("default", ON_DEMAND_ONLY), 0);
    await store.putConfigObject("EC2NodeClass", "default", nodeClassObject(CLUSTER), 0);
    install(fixedRuntime(w.ports));
    w.cluster.addWorkload(deployment("web", 2, "1", ["web"]));
    await settle(w);
    const writes = countStatusWrites(w);

    await w.cluster.advance(60_000);
    await callConsolidator();
    expect(writes).toEqual([]);
    const statuses = await store.listObjectStatuses();
    expect(statuses.map((s) => `${s.kind}/${s.name}`)).toEqual(["EC2NodeClass/default", "NodePool/default"]);
    const pool = statuses.find((s) => s.kind === "NodePool")!;
    expect(pool.status).toMatchObject({ nodes: 2 });
    expect(condition(pool.status["conditions"], "Ready")).toMatchObject({ status: "True" });
    // The applied object and its version are untouched (the drift checker watches them).
    expect((await store.getConfigObject("NodePool", "default"))?.version).toBe(1);
    const written = statuses.map((s) => s.updatedAtMs);

    await w.cluster.advance(60_000);
    await callConsolidator();
    expect((await store.listObjectStatuses()).map((s) => s.updatedAtMs)).toEqual(written);

    const io = recordingIO(process.cwd(), "", true);
    await runList({ cluster: CLUSTER, output: "table" }, io, () => store);
    expect(io.stdout).toMatch(/NodePool default .*valid.*Ready True, 2 nodes/);
    expect(io.stdout).toMatch(/EC2NodeClass default .*valid.*Ready True/);
  });
});
