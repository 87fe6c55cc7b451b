/**
 * Quick timing of `schedule()` on a synthetic cluster like the benchmark's: one NodePool, 400
 * instance types (cpu x memory grid, 3 zones, spot and on-demand) and a mix of generic, zonal
 * spread, hostname spread, zonal self-affinity and hostname anti-affinity pods.
 * Usage: npx tsx bench/scheduler-smoke.ts [--own] [podCounts...]
 */
import type { InstanceType } from "../lib/ports/instance-type.ts";
import type { Pod } from "../lib/api/kubernetes.ts";
import { parseResources } from "../lib/quantity/resources.ts";
import { resolveLaunch } from "../lib/scheduling/launch.ts";
import { schedule } from "../lib/scheduling/scheduler.ts";
import type { SchedulingInput } from "../lib/scheduling/types.ts";
import { benchmarkInput, syntheticInstanceTypes } from "./workload.ts";

const ZONES = ["bench-1a", "bench-1b", "bench-1c"];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function types(): InstanceType[] {
  const out: InstanceType[] = [];
  const cpus = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 72, 96, 128, 160, 192, 224, 256, 320, 384, 448];
  const ratios = [1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 24, 32];
  for (const cpu of cpus) {
    for (const ratio of ratios) {
      const name = `c${cpu}-r${ratio}`;
      const memGi = Math.round(cpu * ratio);
      const capacity = parseResources({ cpu: String(cpu), memory: `${memGi}Gi`, pods: "110" });
      const price = cpu * 0.02 + memGi * 0.004;
      out.push({
        name,
        capacity,
        overhead: { kubeReserved: {}, systemReserved: {}, evictionThreshold: {} },
        allocatable: capacity,
        requirements: [
          { key: "node.kubernetes.io/instance-type", operator: "In", values: [name] },
          { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
          { key: "topology.kubernetes.io/zone", operator: "In", values: ZONES },
          { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] },
        ],
        labels: {},
        offerings: ZONES.flatMap((zone) => [
          { zone, capacityType: "spot" as const, price: price * 0.4, available: true },
          { zone, capacityType: "on-demand" as const, price, available: true },
        ]),
      });
    }
  }
  return out;
}

function makePods(n: number): Pod[] {
  const rand = rng(42);
  const out: Pod[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 5;
    const app = `app-${kind}-${Math.floor(i / 50)}`;
    const labels = { app };
    const sel = { matchLabels: labels };
    const cpu = kind === 0 ? `${Math.ceil(rand() * 4000)}m` : "500m";
    const memory = kind === 0 ? `${Math.ceil(rand() * 8000)}Mi` : "1Gi";
    const spec: Pod["spec"] = { containers: [{ name: "c", resources: { requests: { cpu, memory } } }] };
    if (kind === 1) spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: sel }];
    if (kind === 2) spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: sel }];
    if (kind === 3) spec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "topology.kubernetes.io/zone", labelSelector: sel }] } };
    if (kind === 4) spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: sel }] } };
    out.push({ metadata: { name: `p-${i}`, namespace: "default", labels }, spec });
  }
  return out;
}

function input(n: number, catalog: InstanceType[]): SchedulingInput {
  return {
    pods: makePods(n),
    nodePools: [
      {
        nodePool: {
          apiVersion: "karpenter.sh/v1",
          kind: "NodePool",
          metadata: { name: "default" },
          spec: {
            template: { metadata: { labels: {}, annotations: {} }, spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [], taints: [], startupTaints: [], expireAfter: null } },
            disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: 0, budgets: [{ nodes: "10%" }] },
            limits: {},
          },
        },
        instanceTypes: catalog,
      },
    ],
    existingNodes: [],
    daemonSets: [],
    volumes: { claims: [], volumes: [], storageClasses: [] },
  };
}

const args = process.argv.slice(2);
const useOwn = args.includes("--own");
const counts = args.map(Number).filter((n) => n > 0);
const catalog = useOwn ? types() : syntheticInstanceTypes();
for (const n of counts.length ? counts : [1000, 5000, 20000]) {
  // Default: the benchmark's own workload (bench/workload.ts); --own: this script's variant.
  const inp = useOwn ? input(n, catalog) : benchmarkInput(n, catalog);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const result = schedule(inp);
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  // What launching the claims would cost, as `tenon simulate` resolves it.
  const price = result.newNodeClaims.reduce((sum, c) => sum + (resolveLaunch(c)?.price ?? 0), 0);
  console.log(
    `${n} pods: ${ms.toFixed(0)} ms wall (${cpuMs.toFixed(0)} ms cpu), ${Math.round((n / ms) * 1000)} pods/s wall, ${Math.round((n / cpuMs) * 1000)} pods/s cpu, ${result.newNodeClaims.length} claims, ${result.unschedulable.length} unschedulable, ~$${price.toFixed(2)}/h`,
  );
}
