/**
 * Packing quality (issue 12): Tenon's price for a set of pending pods against a lower bound, an
 * integer program solved with HiGHS (`highs`, HiGHS compiled to WebAssembly). The program buys a
 * whole number of nodes of each instance type the NodePool allows so that their summed allocatable
 * (less each type's DaemonSet overhead, as the scheduler counts it) covers the pods' summed cpu,
 * memory and pod count, at the least $/hour, each node priced at the cheapest offering the NodePool
 * allows for its type. It ignores that a pod can't be split across nodes and every topology
 * constraint, so no real placement can cost less: the ratio Tenon / bound is how far Tenon can be
 * from the best packing at most.
 *
 * `npm run bench -- --packing` runs this part alone; the full bench includes it. Instances:
 * (a) 1,000 pods with only cpu and memory requests on the bundled AWS catalog (us-east-1)
 *     restricted to the c, m and r families, amd64, on-demand, as `tenon simulate` prices it;
 * (b) the same pods on the bench's 400 synthetic instance types (bench/workload.ts);
 * (c) the bench's synthetic workload at 1,000 and 5,000 pods, and the Karpenter-shaped pods at 1,000.
 * Every input is seeded, so every run sees the same pods.
 */
import highsLoader, { type Highs } from "highs";
import type { Pod } from "../lib/api/kubernetes.ts";
import type { NodePool } from "../lib/api/types.ts";
import { nodePoolOptions } from "../lib/simulate/instance-types.ts";
import { resolveLaunch } from "../lib/scheduling/launch.ts";
import { podRequests } from "../lib/scheduling/pod-requests.ts";
import { schedule } from "../lib/scheduling/scheduler.ts";
import { buildTemplates } from "../lib/scheduling/templates.ts";
import type { SchedulingInput } from "../lib/scheduling/types.ts";
import { karpenterShapedInput } from "./karpenter-shaped.ts";
import { benchmarkInput, benchNodePool, inputFor, prng, syntheticInstanceTypes } from "./workload.ts";

/** The resources the bound covers: what every pod asks for, summed. */
const RESOURCES = ["cpu", "memory", "pods"] as const;
const MiB = 1024 ** 2;

/** Pods with only cpu (100m..2) and memory (128Mi..4Gi) requests, seeded as the synthetic workload's plain pods. */
export function genericPods(count: number, seed = 2): Pod[] {
  const random = prng(seed);
  const pods: Pod[] = [];
  for (let i = 0; i < count; i++) {
    const cpu = 100 * (1 + Math.floor(random() * 20));
    const memoryMi = 128 * (1 + Math.floor(random() * 32));
    pods.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `generic-${i}`, namespace: "bench", labels: { app: `generic-${Math.floor(i / 50)}` } },
      spec: { containers: [{ name: "app", resources: { requests: { cpu: `${cpu}m`, memory: `${memoryMi}Mi` } } }] },
    });
  }
  return pods;
}

/** The bench NodePool limited to the c, m and r families, amd64, on-demand, over the bundled AWS catalog. */
export function awsCmrInput(pods: Pod[]): SchedulingInput {
  const base = benchNodePool();
  const nodePool: NodePool = {
    ...base,
    spec: {
      ...base.spec,
      template: {
        ...base.spec.template,
        spec: {
          ...base.spec.template.spec,
          requirements: [
            { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
            { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
            { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
          ],
        },
      },
    },
  };
  const [option] = nodePoolOptions([nodePool], [], { kind: "aws", region: "us-east-1" }, () => {});
  return { ...inputFor(pods, []), nodePools: [option!] };
}

export interface Bound {
  /** $/hour of the cheapest whole nodes whose allocatable covers the summed requests. */
  price: number;
  /** The nodes it buys, by type. */
  nodes: Record<string, number>;
  /** "Optimal", or the solver's status with `price` its proven lower bound. */
  status: string;
}

/** The package ships CommonJS-style types for its ES module: its default export is the loader. */
const loadHighs = highsLoader as unknown as () => Promise<Highs>;

/** The integer program's optimum for a single-NodePool input (see the file comment). */
export function packingBound(highs: Highs, input: SchedulingInput): Bound {
  if (input.nodePools.length !== 1) throw new Error(`packing bound: wants one NodePool, got ${input.nodePools.length}`);
  const [template] = buildTemplates(input.nodePools, input.daemonSets);
  const { types, prices } = template!.catalog.compatible(template!.reqs);
  const need: Record<string, number> = { cpu: 0, memory: 0, pods: 0 };
  for (const pod of input.pods) {
    const r = podRequests(pod);
    need.cpu! += r.cpu ?? 0;
    need.memory! += r.memory ?? 0;
    need.pods! += 1;
  }
  // Memory in MiB keeps the coefficients in a range the solver handles exactly enough.
  const scale = (name: string, v: number) => (name === "memory" ? v / MiB : v);
  const usable = types.map((t, i) => ({ t, price: prices[i]! })).filter((x) => Number.isFinite(x.price) && RESOURCES.every((n) => (x.t.allocatable[n] ?? 0) > 0));
  const cols = usable.map((_, i) => `x${i}`);
  const lines = ["Minimize", ` cost: ${usable.map((x, i) => `${x.price} ${cols[i]}`).join(" + ")}`, "Subject To"];
  for (const name of RESOURCES) {
    lines.push(` ${name}: ${usable.map((x, i) => `${scale(name, x.t.allocatable[name]!)} ${cols[i]}`).join(" + ")} >= ${scale(name, need[name]!)}`);
  }
  lines.push("Bounds", ...cols.map((c) => ` ${c} >= 0`), "General", ` ${cols.join(" ")}`, "End");
  const text = lines.join("\n");
  const known = solved.get(text);
  if (known) return known;
  const bound = highs.withModel({ format: "lp", data: text }, (model) => {
    model.options.set({ output_flag: false, mip_rel_gap: 0, time_limit: 60 });
    model.run();
    const solution = model.getSolution();
    const status = model.getModelStatus() === highs.constants.modelStatus.optimal ? "Optimal" : `status ${model.getModelStatus()}`;
    const price = status === "Optimal" ? model.getObjectiveValue() : Number(model.info.get("mip_dual_bound"));
    const nodes: Record<string, number> = {};
    usable.forEach((x, i) => {
      const n = Math.round(solution.colValue[i] ?? 0);
      if (n > 0) nodes[x.t.it.name] = n;
    });
    return { price, nodes, status };
  });
  solved.set(text, bound);
  return bound;
}

/** Bounds by program text: instances with the same totals on the same types share one solve. */
const solved = new Map<string, Bound>();

export interface PackingRow {
  name: string;
  pods: number;
  claims: number;
  unschedulable: number;
  tenon: number;
  bound: Bound;
  ratio: number;
  cpuMs: number;
  /** Tenon's nodes by launched type. */
  launched: Record<string, number>;
}

export function measurePacking(highs: Highs, name: string, input: SchedulingInput): PackingRow {
  const cpuStart = process.cpuUsage();
  const result = schedule(input);
  const cpu = process.cpuUsage(cpuStart);
  let tenon = 0;
  const launched: Record<string, number> = {};
  for (const claim of result.newNodeClaims) {
    const launch = resolveLaunch(claim);
    tenon += launch?.price ?? 0;
    if (launch) launched[launch.instanceType] = (launched[launch.instanceType] ?? 0) + 1;
  }
  const bound = packingBound(highs, input);
  return {
    name,
    pods: input.pods.length,
    claims: result.newNodeClaims.length,
    unschedulable: result.unschedulable.length,
    tenon,
    bound,
    ratio: tenon / bound.price,
    cpuMs: (cpu.user + cpu.system) / 1000,
    launched,
  };
}

/** The issue's instances, in order. */
export function packingInstances(): Array<{ name: string; input: () => SchedulingInput }> {
  return [
    { name: "(a) 1,000 generic pods, AWS c/m/r amd64 on-demand", input: () => awsCmrInput(genericPods(1000)) },
    { name: "(b) 1,000 generic pods, 400 synthetic types", input: () => inputFor(genericPods(1000), syntheticInstanceTypes()) },
    { name: "(c) synthetic workload, 1,000 pods", input: () => benchmarkInput(1000) },
    { name: "(c) synthetic workload, 5,000 pods", input: () => benchmarkInput(5000) },
    { name: "(c) Karpenter-shaped pods, 1,000", input: () => karpenterShapedInput(1000) },
  ];
}

function describe(nodes: Record<string, number>): string {
  return Object.entries(nodes)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([t, n]) => `${n}x ${t}`)
    .join(", ");
}

export async function runPackingBench(verbose = false): Promise<void> {
  const highs = await loadHighs();
  const row = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  console.log(row(["instance", "pods", "claims", "unschedulable", "Tenon $/hour", "bound $/hour", "ratio", "schedule cpu ms"]));
  console.log(row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]));
  const details: string[] = [];
  for (const { name, input } of packingInstances()) {
    const m = measurePacking(highs, name, input());
    const boundNote = m.bound.status === "Optimal" ? "" : ` (${m.bound.status})`;
    console.log(row([name, m.pods, m.claims, m.unschedulable, m.tenon.toFixed(4), `${m.bound.price.toFixed(4)}${boundNote}`, `${m.ratio.toFixed(3)}x`, m.cpuMs.toFixed(0)]));
    details.push(`- ${name}: Tenon ${describe(m.launched)}; bound ${describe(m.bound.nodes)}`);
  }
  if (verbose) console.log(`\n${details.join("\n")}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  await runPackingBench(process.argv.includes("--verbose"));
}
