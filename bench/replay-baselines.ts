/**
 * The replay baselines' speed: `npx tsx bench/replay-baselines.ts`. Two synthetic 24-hour traces on
 * the bundled us-east-1 catalog (a diurnal web service peaking near 500 pods, and a CI cluster of
 * ~15,700 short jobs in bursts, with a spot interruption and a zone outage), each through
 * `runBaselines` (static node groups and Cluster Autoscaler). Building the trace is not timed.
 * Results go in docs/benchmarks.md.
 */
import type { Pod } from "../lib/api/kubernetes.ts";
import type { NodePool } from "../lib/api/types.ts";
import { benchNodePool, prng } from "./workload.ts";
import { loadAwsInstanceTypes } from "../lib/cloud/aws/catalog/index.ts";
import { runBaselines } from "../lib/replay/baselines/index.ts";
import { nearestRank } from "../lib/replay/report/summary.ts";
import { DEFAULT_TIMING, type CloudEvent, type DemandEvent, type ReplayInput } from "../lib/replay/types.ts";

const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
const MIN = 60_000;
const HOUR = 3_600_000;

function pod(name: string, cpu: string, memory: string): Pod {
  return { metadata: { name, namespace: "default" }, spec: { containers: [{ name: "app", resources: { requests: { cpu, memory } } }] } };
}

function pool(categories: string[]): NodePool {
  const np = benchNodePool();
  np.spec.template.spec.requirements = [{ key: "karpenter.k8s.aws/instance-category", operator: "In", values: categories }];
  return np;
}

function diurnal(): DemandEvent[] {
  const r = prng(1);
  const demand: DemandEvent[] = [];
  const alive: Pod[] = [];
  let id = 0;
  for (let m = 0; m < 24 * 60; m += 5) {
    const want = Math.round(100 + 400 * Math.max(0, Math.sin(((m / 60 - 6) / 24) * 2 * Math.PI)) + r() * 20);
    while (alive.length < want) {
      const p = pod(`web-${id++}`, "500m", "1Gi");
      alive.push(p);
      demand.push({ atMs: m * MIN, kind: "add", pod: p, workload: "Deployment/default/web" });
    }
    while (alive.length > want) demand.push({ atMs: m * MIN, kind: "remove", pod: alive.pop()!, workload: "Deployment/default/web" });
  }
  return demand;
}

function ciJobs(): DemandEvent[] {
  const r = prng(7);
  const demand: DemandEvent[] = [];
  const sizes = [["250m", "512Mi"], ["1", "2Gi"], ["2", "8Gi"], ["4", "4Gi"]] as const;
  let id = 0;
  for (let m = 0; m < 24 * 60; m++) {
    const burst = m % 30 === 0 ? 200 : Math.floor(r() * 10);
    for (let k = 0; k < burst; k++) {
      const [cpu, memory] = sizes[Math.floor(r() * sizes.length)]!;
      const p = pod(`job-${id++}`, cpu, memory);
      const start = m * MIN + Math.floor(r() * MIN);
      demand.push({ atMs: start, kind: "add", pod: p, workload: "Job/ci/build" });
      demand.push({ atMs: start + MIN + Math.floor(r() * 20 * MIN), kind: "remove", pod: p, workload: "Job/ci/build" });
    }
  }
  return demand.sort((a, b) => a.atMs - b.atMs);
}

function input(name: string, demand: DemandEvent[], events: CloudEvent[]): ReplayInput {
  return {
    name,
    seed: 1,
    hours: 24,
    nodePools: [pool(["c", "m", "r"])],
    nodeClasses: [],
    demand,
    events,
    instanceTypes: loadAwsInstanceTypes({ region: "us-east-1", zones: ZONES }).instanceTypes,
    region: "us-east-1",
    zones: ZONES,
    timing: DEFAULT_TIMING,
  };
}

const cases = [
  input("diurnal web service", diurnal(), []),
  input("CI jobs in bursts", ciJobs(), [
    { atMs: 5 * HOUR, kind: "spot-interruption", detail: { share: 0.3 } },
    { atMs: 8 * HOUR, kind: "zone-outage", detail: { zone: "us-east-1a", durationMs: HOUR } },
  ]),
];
runBaselines(input("warm-up", diurnal().slice(0, 200), []));
for (const c of cases) {
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = runBaselines(c);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  console.log(`${c.name}: ${c.demand.length} demand events; runBaselines ${ms.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms cpu`);
  for (const run of [result.staticNodeGroups, result.clusterAutoscaler]) {
    const p = run.podPendingSeconds;
    console.log(
      `  ${run.label}: $${run.totalCost.toFixed(2)}, pending p50/p95/max ${nearestRank(p, 50)}/${nearestRank(p, 95)}/${nearestRank(p, 100)} s, ` +
        `${run.nodesLaunched} launched, ${run.nodesRemoved} removed, ${run.podsEvicted} pods evicted (${run.podsEvictedWithoutPlace} without a place)`,
    );
  }
}
