/**
 * Shadow mode's comparison with the incumbent, as the dashboard draws it (SHADOW_METRIC): through
 * the real handlers on the simulated cluster and cloud, a shadow provisioner reports what it would
 * launch and at what price, a shadow consolidator what it would remove and save, and every
 * consolidator tick what the nodes Tenon did not launch cost, priced from the catalog by their
 * instance type, zone and capacity type, per NodePool label.
 */
import { describe, expect, it } from "vitest";
import type { Node } from "../../lib/api/kubernetes.ts";
import { offeringPrice } from "../../lib/disruption/gauges.ts";
import type { JournalEntry } from "../../lib/ports/journal.ts";
import { SHADOW_METRIC } from "../../lib/ports/telemetry.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { nodeClass } from "../support/builders.ts";
import { addWebWorkload, auditPayloadForUnschedulable, callBatcher, callConsolidator, CLUSTER, deliverNextMessages, provisionedWorld, useInstalledRuntime } from "../support/world.ts";

async function newestEntry(w: SimulatedWorld, flow: JournalEntry["flow"]): Promise<JournalEntry> {
  const entry = (await w.ports.store.listJournal({ fromMs: 0, toMs: w.ports.clock.now() }, w.ports.clock.now())).find((e) => e.flow === flow);
  if (!entry) throw new Error(`no ${flow} entry`);
  return entry;
}

/** A node someone else launched: Karpenter's (with its NodePool label) or a managed node group's. */
function incumbentNode(name: string, labels: Record<string, string>): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", ...labels } },
    // Tainted for the incumbent's own workloads: the web pods stay pending for Tenon to plan.
    spec: { providerID: `aws:///${labels["topology.kubernetes.io/zone"]}/i-${name}`, taints: [{ key: "dedicated", value: "theirs", effect: "NoSchedule" }] },
    status: { allocatable: { cpu: "2", memory: "8Gi", pods: "29" }, capacity: { cpu: "2", memory: "8Gi", pods: "29" }, conditions: [{ type: "Ready", status: "True" }] },
  } as Node;
}

describe("shadow mode beside the incumbent", () => {
  const install = useInstalledRuntime();

  it("reports what Tenon would launch at what price, and what the incumbent's nodes cost per NodePool label", async () => {
    const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
    addWebWorkload(w, 6);
    const m5 = (await w.ports.cloud.instanceTypes(nodeClass({ subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": CLUSTER } }], securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": CLUSTER } }] }))).find((t) => t.name === "m5.large")!;
    const zone = m5.offerings.find((o) => o.capacityType === "on-demand")!.zone;
    w.cluster.addNode(incumbentNode("karpenter-1", { "karpenter.sh/nodepool": "theirs", "node.kubernetes.io/instance-type": "m5.large", "karpenter.sh/capacity-type": "on-demand", "topology.kubernetes.io/zone": zone }));
    w.cluster.addNode(incumbentNode("karpenter-2", { "karpenter.sh/nodepool": "theirs", "node.kubernetes.io/instance-type": "m5.large", "karpenter.sh/capacity-type": "spot", "topology.kubernetes.io/zone": zone }));
    w.cluster.addNode(incumbentNode("mng-1", { "eks.amazonaws.com/nodegroup": "system", "eks.amazonaws.com/capacityType": "ON_DEMAND", "node.kubernetes.io/instance-type": "m5.large", "topology.kubernetes.io/zone": zone }));
    w.ports.mode = "shadow";
    install(fixedRuntime(w.ports));
    await w.cluster.advance(3_000);
    await callBatcher(auditPayloadForUnschedulable(w));
    await deliverNextMessages(w);

    const run = await newestEntry(w, "provisioner");
    const wouldLaunch = run.nodeClaims ?? [];
    expect(wouldLaunch.length).toBeGreaterThan(0);
    expect(w.telemetry.points(SHADOW_METRIC.launchNodes, { nodepool: "default" }).at(-1)?.value).toBe(wouldLaunch.length);
    const launchCost = w.telemetry.points(SHADOW_METRIC.launchCost, { nodepool: "default" }).at(-1)?.value;
    expect(launchCost).toBeCloseTo(wouldLaunch.reduce((sum, c) => sum + (c.pricePerHour ?? 0), 0), 5);
    expect(launchCost).toBeGreaterThan(0);

    await w.cluster.advance(60_000);
    await callConsolidator();
    const price = (capacityType: string) => offeringPrice(m5, zone, capacityType)!;
    expect(w.telemetry.points(SHADOW_METRIC.incumbentNodes, { nodepool: "theirs" }).at(-1)?.value).toBe(2);
    expect(w.telemetry.points(SHADOW_METRIC.incumbentCost, { nodepool: "theirs" }).at(-1)?.value).toBeCloseTo(price("on-demand") + price("spot"), 5);
    expect(w.telemetry.points(SHADOW_METRIC.incumbentNodes, { nodepool: "none" }).at(-1)?.value).toBe(1);
    expect(w.telemetry.points(SHADOW_METRIC.incumbentCost, { nodepool: "none" }).at(-1)?.value).toBeCloseTo(price("on-demand"), 5);
  }, 60_000);

  it("reports what Tenon would remove and save, and nothing of it in live mode", async () => {
    const w = await provisionedWorld(install, 4);
    w.cluster.scaleWorkload("default", "web", 0);
    await w.cluster.advance(30_000);
    w.ports.mode = "shadow";
    await callConsolidator();
    const command = (await newestEntry(w, "consolidation")).actions.find((a) => a.kind === "write-command");
    expect(command?.outcome).toBe("recorded");
    const nodes = w.telemetry.points(SHADOW_METRIC.removeNodes, { reason: "Empty" }).at(-1)?.value ?? 0;
    expect(nodes).toBeGreaterThan(0);
    expect(command?.detail?.split(" (")[0]!.split(", ").length).toBe(nodes);
    expect(w.telemetry.points(SHADOW_METRIC.removeCost, { reason: "Empty" }).at(-1)?.value).toBeGreaterThan(0);
    expect(w.telemetry.points(SHADOW_METRIC.savings, { reason: "Empty" }).at(-1)?.value).toBeGreaterThan(0);

    const before = w.telemetry.points(SHADOW_METRIC.removeNodes).length;
    w.ports.mode = "live";
    await w.cluster.advance(1_000);
    await callConsolidator();
    expect(w.telemetry.points(SHADOW_METRIC.removeNodes)).toHaveLength(before);
    // Tenon launched every node here: the incumbent has none.
    expect(w.telemetry.points(SHADOW_METRIC.incumbentNodes)).toEqual([]);
  }, 60_000);
});
