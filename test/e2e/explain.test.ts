/**
 * `tenon explain` end to end: the real handlers (batcher, provisioner, lifecycle, consolidator) run
 * on the simulated cluster and cloud with the state in DynamoDB Local, write their journal entries,
 * and `tenon explain` reads them back from the same table to answer the three questions people
 * ask: why is this pod pending, why was this node removed, why is this node not consolidated.
 */
import { describe, expect, it } from "vitest";
import type { Workload } from "../../lib/api/kubernetes.ts";
import { runExplain } from "../../lib/cli/commands/explain.ts";
import type { Store } from "../../lib/ports/store.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";
import { recordingIO } from "../support/recording-io.ts";
import {
  auditPayloadForUnschedulable,
  callBatcher,
  callConsolidator,
  callLifecycle,
  CLUSTER,
  deliverDisruptionMessages,
  deliverNextMessages,
  ON_DEMAND_ONLY,
  runningPods,
  runWithLifecycleTicks,
  useDynamoDbStores,
  useInstalledRuntime,
} from "../support/world.ts";
import { deployment } from "./disruption-support.ts";

const newStore = useDynamoDbStores();
const install = useInstalledRuntime();


/** A world whose workloads were provisioned through the real handlers, the store on DynamoDB Local. */
async function world(...workloads: Workload[]): Promise<{ w: SimulatedWorld; store: Store }> {
  const store = await newStore();
  // DynamoDB Local sweeps expired items on the real clock, while this world's clock starts at
  // 2026-01-01: with the default 14 days the entries would already be past their TTL in real time
  // and vanish whenever the sweeper runs. A TTL beyond today keeps them for the test.
  const w = simulatedWorld({ clusterName: CLUSTER, store, settings: { journalTtlDays: 3650 } });
  w.cluster.putCustomObject("NodePool", nodePoolObject("default", ON_DEMAND_ONLY));
  w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(CLUSTER));
  for (const workload of workloads) w.cluster.addWorkload(workload);
  install(fixedRuntime(w.ports));
  await w.cluster.advance(3_000);
  await callBatcher(auditPayloadForUnschedulable(w));
  await deliverNextMessages(w);
  await runWithLifecycleTicks(w, 120_000);
  return { w, store };
}

/** `tenon explain KIND NAME --since 1h` against the world's table, as printed. */
async function explain(w: SimulatedWorld, store: Store, kind: string, name: string, output = "table"): Promise<string> {
  const io = recordingIO(process.cwd(), "", true);
  await runExplain(kind, name, { cluster: CLUSTER, table: "tenon-e2e", since: "1h", output }, io, () => store, w.ports.clock.now());
  return io.stdout;
}

/** The consolidator's minute tick, then `totalMs` of its wake-ups and 10 s lifecycle ticks. */
async function consolidate(w: SimulatedWorld, totalMs: number): Promise<void> {
  await callConsolidator();
  for (let elapsed = 0; elapsed < totalMs; elapsed += 5_000) {
    await w.cluster.advance(5_000);
    await deliverDisruptionMessages(w);
    if (elapsed % 10_000 === 0) await callLifecycle();
  }
}

describe("tenon explain, end to end", () => {
  it("why is this pod pending: names the NodePool and the constraint that refused it", async () => {
    const { w, store } = await world(deployment("web", 2, "500m"), deployment("spot-only", 1, "500m", [], { nodeSelector: { "karpenter.sh/capacity-type": "spot" } }));
    const pending = w.cluster.pods().find((p) => p.metadata.labels?.app === "spot-only")!;
    expect(pending.spec.nodeName).toBeUndefined();

    const story = await explain(w, store, "pod", `default/${pending.metadata.name}`);
    expect(story).toContain(`Pod default/${pending.metadata.name} could not be placed: incompatible with NodePool default: key karpenter.sh/capacity-type: pod wants In [spot], NodePool default allows In [on-demand]`);
    // A placed pod's story names its NodeClaim, the NodePool and the price.
    const placed = runningPods(w).find((p) => p.metadata.labels?.app === "web")!;
    expect(await explain(w, store, "pod", `default/${placed.metadata.name}`)).toMatch(/was planned on new NodeClaim default-[a-z]{5}: NodePool default, \S+ \$\d+\.\d{4}\/hour/);
    const json = JSON.parse(await explain(w, store, "pod", `default/${pending.metadata.name}`, "json")) as { subject: unknown; lines: Array<{ flow: string; text: string }> };
    expect(json.subject).toEqual({ kind: "pod", name: `default/${pending.metadata.name}` });
    expect(json.lines[0]).toMatchObject({ flow: "provisioner", text: expect.stringContaining("NodePool default") });
  });

  it("why was this node removed: names the disruption command and its reason", async () => {
    const { w, store } = await world(deployment("web", 3, "500m"));
    const nodes = w.cluster.nodes().map((n) => n.metadata.name);
    expect(nodes.length).toBeGreaterThan(0);
    w.cluster.scaleWorkload("default", "web", 0);
    await w.cluster.advance(10_000);
    await consolidate(w, 120_000);
    const removed = nodes.find((n) => !w.cluster.node(n))!;
    expect(removed).toBeDefined();

    const story = await explain(w, store, "node", removed);
    expect(story).toMatch(new RegExp(`consolidation: write disruption command \\S+ \\(Empty, Validating\\): delete [^\\n]*${removed}[^\\n]*\\(Empty, emptiness, saves \\$\\d+\\.\\d{4}\\/hour\\), because emptiness: it has no pods to move`));
    expect(story).toMatch(new RegExp(`lifecycle: delete Node ${removed}, because`));
    // Newest first: the Node's deletion comes before the decision that led to it.
    expect(story.indexOf(`delete Node ${removed}`)).toBeLessThan(story.indexOf("write disruption command"));
  });

  it("why is this node not consolidated: names the pod that blocks it", async () => {
    const { w, store } = await world(deployment("pinned", 1, "500m", [], { annotations: { "karpenter.sh/do-not-disrupt": "true" } }));
    const [node] = w.cluster.nodes();
    const pod = runningPods(w)[0]!;
    await w.cluster.advance(60_000);
    await callConsolidator();

    const story = await explain(w, store, "node", node!.metadata.name);
    expect(story).toContain(`consolidation: Consolidation left Node ${node!.metadata.name} alone:`);
    expect(story).toContain(pod.metadata.name);
    expect(story).toContain("do-not-disrupt");
  });

  it("says so when the journal has nothing on the subject, and refuses a bad subject", async () => {
    const { w, store } = await world();
    expect(await explain(w, store, "node", "ip-10-9-9-9.ec2.internal")).toBe("Nothing in the journal about node ip-10-9-9-9.ec2.internal in the last 1h.\n");
    await expect(explain(w, store, "pod", "no-namespace")).rejects.toThrow(/explain pod: "no-namespace" is not NAMESPACE\/NAME/);
    await expect(explain(w, store, "deployment", "web")).rejects.toThrow(/"deployment" is not one of pod, node, nodeclaim, nodepool/);
  });
});
