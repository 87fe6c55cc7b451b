/**
 * Properties of disruption passes over random clusters, checked without the engine's code:
 *   - every command's moved pods fit where the pass says (the independent scheduling checker,
 *     over the cluster without the candidates plus the replacements), and only onto initialized
 *     nodes that are not themselves going;
 *   - a consolidation replacement is strictly cheaper: every offering it may launch on costs less
 *     than the candidates together;
 *   - no NodePool's budget is exceeded;
 *   - a node with a do-not-disrupt pod is never gracefully disrupted;
 *   - the output is the same bytes whatever the order of the input documents.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LoadedDocument } from "../../lib/simulate/objects.ts";
import type { InstanceType } from "../../lib/ports/instance-type.ts";
import { runDisruption } from "../../lib/disruption/run.ts";
import type { PassOutput } from "../../lib/disruption/output.ts";
import { renderJson } from "../../lib/disruption/output.ts";
import { buildSchedulingInput } from "../../lib/scheduling/snapshot.ts";
import type { Pod } from "../../lib/api/kubernetes.ts";
import { podKey } from "../../lib/api/kubernetes.ts";
import { checkSchedule } from "../support/scheduling-properties/checker.ts";
import { instanceType } from "../support/builders.ts";

const AT = "2026-12-03T10:00:00Z";
const AT_MS = Date.parse(AT);
const ZONES = ["zone-a", "zone-b"];

interface Gen {
  prices: number[];
  pools: Array<{ name: string; budget: string; policy: string; after: string; spotOk: boolean }>;
  nodes: Array<{ type: number; zone: number; spot: boolean; pool: number; recent: boolean; ssd: boolean; pods: Array<{ cpu: number; spread: boolean; dnd: boolean; zonePin: boolean; ssd: boolean }> }>;
}

const SIZES = [2, 4, 4, 8, 16];
const genArb: fc.Arbitrary<Gen> = fc.record({
  prices: fc.array(fc.integer({ min: 5, max: 100 }), { minLength: SIZES.length, maxLength: SIZES.length }).map((xs) => xs.map((x, i) => (x / 100) * SIZES[i]!)),
  pools: fc.array(
    fc.record({
      name: fc.constant(""),
      budget: fc.constantFrom("0", "1", "2", "10%", "50%", "100%"),
      policy: fc.constantFrom("WhenEmpty", "WhenEmptyOrUnderutilized", "WhenEmptyOrUnderutilized", "Balanced"),
      after: fc.constantFrom("0s", "30m", "Never"),
      spotOk: fc.boolean(),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  nodes: fc.array(
    fc.record({
      type: fc.integer({ min: 0, max: SIZES.length - 1 }),
      zone: fc.integer({ min: 0, max: 1 }),
      spot: fc.boolean(),
      pool: fc.integer({ min: 0, max: 1 }),
      recent: fc.boolean(),
      ssd: fc.boolean(),
      pods: fc.array(fc.record({ cpu: fc.constantFrom(100, 250, 500, 1000, 1500), spread: fc.boolean(), dnd: fc.boolean(), zonePin: fc.boolean(), ssd: fc.boolean() }), { maxLength: 6 }),
    }),
    { minLength: 1, maxLength: 8 },
  ),
});

function catalogOf(g: Gen): InstanceType[] {
  return SIZES.map((cpu, i) => instanceType(`t${i}.${cpu}x`, { cpu: String(cpu), memory: `${cpu * 4}Gi`, price: Math.round(g.prices[i]! * 1000) / 1000, zones: ZONES }));
}

function documents(g: Gen, types: InstanceType[]): LoadedDocument[] {
  const docs: unknown[] = [];
  g.pools.forEach((p, i) => {
    docs.push({
      apiVersion: "karpenter.sh/v1",
      kind: "NodePool",
      metadata: { name: `pool-${i}` },
      spec: {
        template: { spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: p.spotOk ? [] : [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }] } },
        disruption: { consolidationPolicy: p.policy, consolidateAfter: p.after, budgets: [{ nodes: p.budget }] },
      },
    });
  });
  g.nodes.forEach((n, i) => {
    const pool = `pool-${Math.min(n.pool, g.pools.length - 1)}`;
    const type = types[n.type]!;
    const name = `node-${i}`;
    const zone = ZONES[n.zone]!;
    const spot = n.spot && g.pools[Math.min(n.pool, g.pools.length - 1)]!.spotOk;
    const providerID = `aws:///${zone}/i-${i}`;
    docs.push({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels: { "karpenter.sh/nodepool": pool, "karpenter.sh/initialized": "true", "node.kubernetes.io/instance-type": type.name, "topology.kubernetes.io/zone": zone, "karpenter.sh/capacity-type": spot ? "spot" : "on-demand", "kubernetes.io/hostname": name, "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux", ...(n.ssd ? { "example.com/disk": "ssd" } : {}) } },
      spec: { providerID },
      status: { allocatable: { cpu: String(type.capacity.cpu! / 1000), memory: `${type.capacity.memory! / 2 ** 30}Gi`, pods: "110" } },
    });
    docs.push({
      apiVersion: "karpenter.sh/v1",
      kind: "NodeClaim",
      metadata: { name: `claim-${i}`, creationTimestamp: "2026-11-30T00:00:00Z", labels: { "karpenter.sh/nodepool": pool } },
      spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
      status: { providerID, conditions: [{ type: "Initialized", status: "True", lastTransitionTime: "2026-11-30T00:01:00Z" }], lastPodEventTime: n.recent ? "2026-12-03T09:55:00Z" : "2026-12-01T00:00:00Z" },
    });
    let used = 0;
    n.pods.forEach((p, j) => {
      if (used + p.cpu > type.capacity.cpu!) return;
      used += p.cpu;
      const pod: Record<string, unknown> = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `p-${i}-${j}`, namespace: "default", labels: { app: p.spread ? "spread" : "plain" }, ...(p.dnd ? { annotations: { "karpenter.sh/do-not-disrupt": "true" } } : {}) },
        spec: {
          nodeName: name,
          containers: [{ name: "c", resources: { requests: { cpu: `${p.cpu}m`, memory: "256Mi" } } }],
          // A pod that needs a label only some existing nodes carry (no NodePool offers it) can only move to them.
          ...(p.zonePin || (p.ssd && n.ssd) ? { nodeSelector: { ...(p.zonePin ? { "topology.kubernetes.io/zone": zone } : {}), ...(p.ssd && n.ssd ? { "example.com/disk": "ssd" } : {}) } } : {}),
          ...(p.spread ? { topologySpreadConstraints: [{ maxSkew: 2, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "spread" } } }] } : {}),
        },
        status: { phase: "Running" },
      };
      docs.push(pod);
    });
  });
  return docs.map((doc, i) => ({ source: `doc ${i}`, doc }));
}

const STATS: Record<string, number> = {};

function check(g: Gen): void {
  const types = catalogOf(g);
  const docs = documents(g, types);
  const source = { kind: "catalog" as const, instanceTypes: types };
  const run = runDisruption(docs, source, AT_MS, false);
  const out = run.output as PassOutput;
  const objects = run.objects;

  // Determinism: the same bytes from the documents in reverse order.
  const again = runDisruption([...docs].reverse(), source, AT_MS, false);
  expect(renderJson(again.output)).toBe(renderJson(out));

  const nodes = new Map(objects.nodes.map((n) => [n.metadata.name, n]));
  const podsOn = (node: string) => objects.pods.filter((p) => p.spec.nodeName === node);
  const dnd = (p: Pod) => p.metadata.annotations?.["karpenter.sh/do-not-disrupt"] === "true";

  STATS[out.method ?? "none"] = (STATS[out.method ?? "none"] ?? 0) + 1;
  for (const command of out.commands) {
    STATS[`${command.reason}-${command.decision}`] = (STATS[`${command.reason}-${command.decision}`] ?? 0) + 1;
    const gone = new Set(command.candidates.map((c) => c.node));
    // A blocked node is never gracefully disrupted (no terminationGracePeriod in these clusters).
    for (const node of gone) expect(podsOn(node).some(dnd), `${node} has a do-not-disrupt pod`).toBe(false);

    // Budgets: candidates per NodePool within what its budget allows (count, or percent rounded up).
    const perPool = new Map<string, number>();
    for (const c of command.candidates) perPool.set(c.nodePool!, (perPool.get(c.nodePool!) ?? 0) + 1);
    for (const [pool, n] of perPool) {
      const spec = g.pools[Number(pool.split("-")[1])]!;
      const total = objects.nodes.filter((x) => x.metadata.labels?.["karpenter.sh/nodepool"] === pool).length;
      const allowed = spec.budget.endsWith("%") ? Math.ceil((Number(spec.budget.slice(0, -1)) * total) / 100) : Number(spec.budget);
      expect(n, `${pool} budget ${spec.budget} of ${total}`).toBeLessThanOrEqual(allowed);
    }

    // Strictly cheaper replacements for consolidation.
    if (command.reason === "Underutilized" && command.decision === "replace") {
      const total = command.candidates.reduce((s, c) => s + c.price!, 0);
      for (const r of command.replacements) {
        const zones = r.requirements.find((q) => q.key === "topology.kubernetes.io/zone")?.values;
        const cts = r.requirements.find((q) => q.key === "karpenter.sh/capacity-type")?.values;
        for (const name of r.instanceTypes) {
          const t = types.find((x) => x.name === name)!;
          for (const o of t.offerings) {
            if (!o.available || (zones && !zones.includes(o.zone)) || (cts && !cts.includes(o.capacityType))) continue;
            expect(o.price, `${name} ${o.zone} ${o.capacityType} vs ${total}`).toBeLessThan(total);
          }
        }
      }
    }

    // Moved pods fit: the checker over the cluster without the candidates, the pods placed where the command says.
    const movedKeys = new Set(command.pods);
    const without = {
      ...objects,
      nodes: objects.nodes.filter((n) => !gone.has(n.metadata.name)),
      pods: objects.pods.filter((p) => !(p.spec.nodeName && gone.has(p.spec.nodeName))),
    };
    const input = buildSchedulingInput(without);
    input.pods = objects.pods.filter((p) => movedKeys.has(podKey(p))).map((p) => ({ ...p, spec: { ...p.spec, nodeName: undefined } }) as Pod);
    const byKey = new Map(input.pods.map((p) => [podKey(p), p]));
    const result = {
      newNodeClaims: command.replacements.map((r) => ({
        nodePoolName: r.nodePool,
        requirements: r.requirements as never,
        labels: r.labels,
        taints: r.taints as never,
        startupTaints: [],
        instanceTypes: r.instanceTypes.map((n) => types.find((t) => t.name === n)!),
        pods: r.pods.map((k) => byKey.get(k)!),
        requests: {},
        daemonSetRequests: {},
      })),
      existingNodes: command.existingNodes.map((e) => ({ name: e.name, pods: e.pods.map((k) => byKey.get(k)!) })),
      unschedulable: [],
    };
    expect(checkSchedule(input, result)).toEqual([]);
    for (const e of command.existingNodes) {
      expect(gone.has(e.name)).toBe(false);
      expect(nodes.get(e.name)?.metadata.labels?.["karpenter.sh/initialized"]).toBe("true");
      // Not onto a node still inside its own consolidateAfter window (a recent pod event, 30m to wait).
      const i = Number(e.name.split("-")[1]);
      const spec = g.pools[Math.min(g.nodes[i]!.pool, g.pools.length - 1)]!;
      expect(g.nodes[i]!.recent && spec.after === "30m", `${e.name} is inside its consolidateAfter window`).toBe(false);
    }
  }
}

describe("disruption passes over random clusters", () => {
  it("move pods only where they fit, replace only with cheaper, keep budgets and blockers, and are deterministic", () => {
    fc.assert(fc.property(genArb, (g) => check(g)), { numRuns: 150, seed: 20261203 });
    // The random clusters exercise every kind of decision, or the properties above prove little.
    for (const kind of ["emptiness", "single-node-consolidation", "multi-node-consolidation", "Underutilized-replace", "Underutilized-delete", "none"]) expect(STATS[kind] ?? 0, kind).toBeGreaterThan(0);
  });
});
