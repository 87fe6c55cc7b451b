/** The trace's cloud events in a Tenon run: what each makes the real functions do. */
import { describe, expect, it } from "vitest";
import { runTenon } from "../../lib/replay/tenon/run.ts";
import { deployment, H, input, NODE_CLASS, nodePool, traceDoc } from "./support.ts";

describe("a trace's events in a Tenon run", () => {
  it("a NodePool change and an AMI release make the nodes drift: Tenon replaces them, every pod runs at the end", async () => {
    const run = await runTenon(input(1, NODE_CLASS, nodePool("Never"), deployment("web", 6, "1"), traceDoc("drift", 1.5, `events:
  - { at: "20m", kind: nodepool-change, nodePool: default, patch: { template: { metadata: { labels: { team: web } } } } }
  - { at: "50m", kind: ami-release }
`)), { consolidation: true });
    const drifted = run.disruptions.filter((d) => d.reason === "Drifted");
    expect(drifted.filter((d) => d.atMs >= 20 * 60_000 && d.atMs < 50 * 60_000).length).toBeGreaterThan(0);
    expect(drifted.filter((d) => d.atMs >= 50 * 60_000).length).toBeGreaterThan(0);
    expect(run.samples.at(-1)!.pendingPods).toBe(0);
  }, 120_000);

  it("zone outages stop launches in their zones while they last", async () => {
    const zones = "zones: [us-east-1a, us-east-1b]\n";
    const run = await runTenon(input(1, NODE_CLASS, nodePool(), deployment("web", 1, "1"), traceDoc("outage", 1, `${zones}workloads:
  - { workload: web, points: [{ at: "0h", replicas: 0 }, { at: "10m", replicas: 12 }] }
events:
  - { at: "5m", kind: zone-outage, zone: us-east-1a, for: 25m }
  - { at: "5m", kind: zone-outage, zone: us-east-1b, for: 25m }
`)), { consolidation: false });
    const at = (minutes: number) => run.samples.find((s) => s.atMs === minutes * 60_000)!;
    expect(at(29).pendingPods).toBe(12);
    expect(at(29).nodes.spot + at(29).nodes.onDemand).toBe(0);
    expect(at(45).pendingPods).toBe(0);
    expect(Math.min(...run.podPendingSeconds)).toBeGreaterThanOrEqual(20 * 60);
  }, 120_000);
});
