/**
 * Disruption benchmark (part of `npm run bench`): one disruption pass over N nodes of mixed types
 * with 10 pods each, a third of them consolidatable (the others had a pod event inside their
 * consolidateAfter window), and `--plan` to completion. Each size runs in its own child process so
 * its peak RSS is its own. Only the decision is timed, not building the synthetic cluster.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { NodeClaim } from "../lib/api/types.ts";
import { disruptionPass, type DisruptionObjects } from "../lib/disruption/decide.ts";
import { passOutput } from "../lib/disruption/output.ts";
import { disruptionPlan } from "../lib/disruption/plan.ts";
import { decideDisruptionTick } from "../lib/disruption/commands.ts";
import type { NodeClaimRecord } from "../lib/ports/store.ts";
import type { Node, Pod } from "../lib/api/kubernetes.ts";
import { formatResources } from "../lib/quantity/resources.ts";
import { benchNodePool, prng, syntheticInstanceTypes, ZONES } from "./workload.ts";

const AT = Date.parse("2026-12-03T10:00:00Z");
const NODE_TYPES = ["bench-c4-m16", "bench-c8-m32", "bench-c16-m64", "bench-c8-m16"];

export function disruptionCluster(nodeCount: number, seed = 3): DisruptionObjects {
  const random = prng(seed);
  const types = syntheticInstanceTypes();
  const pool = benchNodePool();
  pool.spec.disruption = { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: 10 * 60_000, budgets: [{ nodes: "10%" }] };
  const nodes: Node[] = [];
  const nodeClaims: NodeClaim[] = [];
  const pods: Pod[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const type = types.find((t) => t.name === NODE_TYPES[i % NODE_TYPES.length])!;
    const zone = ZONES[i % ZONES.length]!;
    const name = `node-${i}`;
    const providerID = `aws:///${zone}/i-${i}`;
    const consolidatable = i % 3 === 0;
    nodes.push({
      metadata: { name, labels: { "karpenter.sh/nodepool": "default", "karpenter.sh/initialized": "true", "node.kubernetes.io/instance-type": type.name, "topology.kubernetes.io/zone": zone, "karpenter.sh/capacity-type": "on-demand", "kubernetes.io/hostname": name, "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux" } },
      spec: { providerID },
      status: { allocatable: formatResources(type.allocatable), conditions: [{ type: "Ready", status: "True" }] },
    });
    nodeClaims.push({
      apiVersion: "karpenter.sh/v1",
      kind: "NodeClaim",
      metadata: { name: `claim-${i}`, labels: { "karpenter.sh/nodepool": "default" }, creationTimestamp: "2026-11-25T00:00:00Z" },
      spec: { nodeClassRef: pool.spec.template.spec.nodeClassRef, requirements: [], taints: [], startupTaints: [], expireAfter: 720 * 3_600_000 },
      status: { providerID, conditions: [{ type: "Initialized", status: "True", reason: "", message: "", lastTransitionTime: "2026-11-25T00:01:00Z" }], lastPodEventTime: consolidatable ? "2026-12-03T08:00:00Z" : "2026-12-03T09:58:00Z" },
    });
    // Consolidatable nodes are lightly used (about a fifth); the others about two thirds.
    const share = consolidatable ? 0.2 : 0.65;
    const cpuEach = Math.floor(((type.allocatable.cpu ?? 0) * share) / 10 / 50) * 50;
    const memEach = Math.floor(((type.allocatable.memory ?? 0) * share) / 10 / 2 ** 20);
    for (let j = 0; j < 10; j++) {
      const app = `app-${Math.floor(random() * 50)}`;
      pods.push({
        metadata: { name: `${name}-p${j}`, namespace: "default", labels: { app }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: app }] },
        spec: { nodeName: name, containers: [{ name: "c", resources: { requests: { cpu: `${cpuEach}m`, memory: `${memEach}Mi` } } }] },
        status: { phase: "Running" },
      });
    }
  }
  return {
    pods,
    nodes,
    nodeClaims,
    nodePools: [{ nodePool: pool, instanceTypes: types }],
    daemonSets: [],
    persistentVolumeClaims: [],
    persistentVolumes: [],
    storageClasses: [],
    nodeClasses: [],
    podDisruptionBudgets: [],
  };
}

interface Measurement {
  nodes: number;
  pods: number;
  mode: Mode;
  ms: number;
  cpuMs: number;
  passes: number;
  disrupted: number;
  method: string;
  savingsPerHour: number;
  peakRssMiB: number;
}

/**
 * `pass`: one disruption pass; `plan`: `--plan` to completion; `tick`: the consolidator's whole
 * decision for one run (lib/disruption/commands.ts: pod events and marks for every record, the
 * pass, the command written), from records as the table holds them.
 */
type Mode = "pass" | "plan" | "tick";

function records(objects: DisruptionObjects): NodeClaimRecord[] {
  return objects.nodeClaims.map((nodeClaim) => ({ nodeClaim, name: nodeClaim.metadata.name, phase: "Initialized", launch: { attempts: 1 }, createdAtMs: AT, updatedAtMs: AT, version: 1 }));
}

function tick(objects: DisruptionObjects) {
  let n = 0;
  const decision = decideDisruptionTick({
    controller: "consolidation", nowMs: AT, objects, records: records(objects), commands: [], launchAttempts: 3,
    lease: { name: "disruption", holder: "bench", token: 1, ttlMs: 150_000 },
    ids: { suffix: () => "bench", uid: () => `uid-${n++}` },
    timing: { validationMs: 15_000, replacementTimeoutMs: 600_000 },
  });
  return decision.pass!;
}

function measure(nodeCount: number, mode: Mode): Measurement {
  disruptionPass(disruptionCluster(30), AT);
  const objects = disruptionCluster(nodeCount);
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const passes = mode === "plan" ? disruptionPlan(objects, AT) : mode === "tick" ? [tick(objects)] : [disruptionPass(objects, AT)];
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  const outputs = passes.map(passOutput);
  return {
    nodes: nodeCount,
    pods: objects.pods.length,
    mode,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    passes: passes.length,
    disrupted: outputs.reduce((n, o) => n + o.summary.disrupted, 0),
    method: outputs[0]!.method ?? "none",
    savingsPerHour: Math.round((outputs[0]!.summary.pricePerHourBefore - outputs[outputs.length - 1]!.summary.pricePerHourAfter) * 1e4) / 1e4,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

function runChild(nodes: number, mode: Mode): Measurement {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [...process.execArgv, self, "--child", String(nodes), mode], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`disruption benchmark for ${nodes} nodes (${mode}) failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").pop()!) as Measurement;
}

const row = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;

export function runDisruptionBench(quick: boolean): void {
  const runs: Array<[number, Mode]> = quick
    ? [[100, "pass"], [1000, "pass"], [100, "plan"], [1000, "tick"]]
    : [[100, "pass"], [1000, "pass"], [5000, "pass"], [100, "plan"], [1000, "plan"], [1000, "tick"], [5000, "tick"]];
  console.log("\nDisruption (one pass, --plan to completion, or the consolidator's whole tick decision)\n");
  console.log(row(["nodes", "pods", "mode", "wall ms", "cpu ms", "passes", "disrupted", "first method", "$/hour saved", "peak RSS MiB"]));
  console.log(row(["---:", "---:", "---", "---:", "---:", "---:", "---:", "---", "---:", "---:"]));
  for (const [nodes, mode] of runs) {
    const m = runChild(nodes, mode);
    console.log(row([m.nodes, m.pods, m.mode, m.ms.toFixed(0), m.cpuMs.toFixed(0), m.passes, m.disrupted, m.method, m.savingsPerHour.toFixed(4), m.peakRssMiB]));
  }
}

// Run directly (a child measuring one size, or on its own); imported by bench/run.ts, it does nothing.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const childAt = argv.indexOf("--child");
  if (childAt >= 0) process.stdout.write(`${JSON.stringify(measure(Number(argv[childAt + 1]), argv[childAt + 2] as Mode))}\n`);
  else runDisruptionBench(argv.includes("--quick"));
}
