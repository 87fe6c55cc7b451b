/**
 * The Tenon runs of a replay: Tenon's real functions on the simulated cluster and cloud, replaying
 * a small trace (a scale-up, a scale-down, a Spot interruption), measured. Consolidation is what
 * the tenonNoConsolidation run lacks, and a run is the same every time for the same input.
 */
import { describe, expect, it } from "vitest";
import { runTenon } from "../../lib/replay/tenon/run.ts";
import type { ReplayInput, RunResult } from "../../lib/replay/types.ts";
import { deployment, H, input, NODE_CLASS, nodePool, traceDoc } from "./support.ts";

const TRACE = traceDoc("small", 2.5, `workloads:
  - { workload: web, points: [{ at: "0h", replicas: 24 }, { at: "1h", replicas: 4 }] }
events:
  - { at: "1h45m", kind: spot-interruption }
`);

const SMALL: ReplayInput = input(1, NODE_CLASS, nodePool("1m", ["spot"]), deployment("web", 1, "1"), TRACE);
const nodes = (r: RunResult, atMs: number) => {
  const s = r.samples.findLast((x) => x.atMs <= atMs)!;
  return s.nodes.spot + s.nodes.onDemand;
};

describe("a Tenon run", () => {
  let tenon: RunResult;

  it("launches for a scale-up, consolidates after the scale-down, and replaces an interrupted Spot node with no pod left without a place", async () => {
    tenon = await runTenon(SMALL, { consolidation: true });
    // Scale-up: nodes launched for the 24 one-cpu pods, which all ran, each waiting about a node's start.
    const peak = nodes(tenon, 0.9 * H);
    expect(peak).toBeGreaterThan(0);
    expect(tenon.samples.find((s) => s.atMs === 0.9 * H)!.pendingPods).toBe(0);
    expect(tenon.podPendingSeconds.length).toBeGreaterThanOrEqual(24);
    expect(Math.max(...tenon.podPendingSeconds.slice(0, 24))).toBeLessThan(180);
    // Scale-down: consolidation leaves fewer nodes than at the peak, for the reasons it gave.
    expect(nodes(tenon, 1.7 * H)).toBeLessThan(peak);
    expect(tenon.disruptions.some((d) => d.reason === "Empty" || d.reason === "Underutilized")).toBe(true);
    // The interruption: Tenon drains and removes the node itself inside the two-minute notice
    // (EC2 would reclaim it at the end), its pods run again within minutes, and none was evicted
    // with nowhere to go.
    const interrupted = tenon.disruptions.filter((d) => d.reason === "Interrupted");
    expect(interrupted).toHaveLength(1);
    expect(interrupted[0]!.atMs).toBeGreaterThanOrEqual(1.75 * H);
    expect(interrupted[0]!.atMs).toBeLessThan(1.75 * H + SMALL.timing.spotNoticeMs);
    expect(tenon.samples.find((s) => s.atMs === 1.75 * H + 3 * 60_000)!.pendingPods).toBe(0);
    expect(tenon.podsEvicted).toBeGreaterThan(0);
    expect(tenon.podsEvictedWithoutPlace).toBe(0);
    expect(tenon.samples.at(-1)!.pendingPods).toBe(0);
    // Launches and removals add up, and cost is each node's price over its lifetime.
    expect(tenon.nodesLaunched - tenon.nodesRemoved).toBe(nodes(tenon, 2.5 * H));
    expect(tenon.totalCost).toBeGreaterThan(0);
    expect(tenon.samples).toHaveLength(150);
  }, 120_000);

  it("without consolidation keeps more nodes on the same trace", async () => {
    const without = await runTenon(SMALL, { consolidation: false });
    expect(without.name).toBe("tenonNoConsolidation");
    expect(nodes(without, 1.7 * H)).toBeGreaterThan(nodes(tenon, 1.7 * H));
    expect(without.disruptions.filter((d) => d.reason === "Empty" || d.reason === "Underutilized")).toEqual([]);
    expect(without.totalCost).toBeGreaterThan(tenon.totalCost);
  }, 120_000);

  it("is the same for the same input", async () => {
    expect(await runTenon(SMALL, { consolidation: true })).toEqual(tenon);
  }, 120_000);
});

describe("a trace's DaemonSets", () => {
  const agent = (cpu: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: kube-system }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec:
      containers: [{ name: agent, resources: { requests: { cpu: "${cpu}", memory: 128Mi } } }]
`;
  const trace = traceDoc("agent", 0.5, `workloads:\n  - { workload: web, points: [{ at: "0h", replicas: 6 }] }\n`);

  it("run on every node Tenon launches, so their requests take room: 6 one-cpu pods beside a 2-cpu agent need more than one m6i.2xlarge", async () => {
    const alone = await runTenon(input(1, NODE_CLASS, nodePool("Never", ["on-demand"]), deployment("web", 6, "1"), trace), { consolidation: false });
    const withAgent = input(1, NODE_CLASS, nodePool("Never", ["on-demand"]), deployment("web", 6, "1"), agent("2"), trace);
    expect(withAgent.daemonSets?.map((d) => d.metadata.name)).toEqual(["agent"]);
    const run = await runTenon(withAgent, { consolidation: false });
    const last = (r: typeof run) => r.samples.at(-1)!;
    expect(last(alone).pendingPods).toBe(0);
    expect(last(run).pendingPods).toBe(0);
    // The agent's 2 cpu are on the nodes: more allocatable bought for the same six pods.
    expect(last(run).allocatable.cpuMillis).toBeGreaterThan(last(alone).allocatable.cpuMillis);
    expect(run.totalCost).toBeGreaterThan(alone.totalCost);
  }, 120_000);
});
