/**
 * `npm run demo`: a short replay of the bundled diurnal example (examples/replay/), six hours of a
 * web shop's day through Tenon's real functions, Tenon without consolidation and the baselines,
 * with its report in report/ (`tenon replay`, docs/replay.md):
 *
 *   npm run demo                                   the replay, report in report/index.html
 *   npm run demo -- story [replicas=50] [cpu=500m]  the step-by-step story below
 *   npm run demo -- --help
 *
 * The story is a day in a cluster's life in a minute, on a simulated cluster and cloud, through
 * Tenon's real handlers on a virtual clock, with the state in memory:
 *  1. scale up: a Deployment is scaled up; kube-scheduler marks its pods Unschedulable, a
 *     forwarded event wakes the batcher, its delayed message wakes the provisioner, lifecycle
 *     ticks register and initialize the nodes, kube-scheduler binds the pods;
 *  2. scale down: the Deployment shrinks to a fifth; the consolidator removes emptied nodes and
 *     replaces under-used ones with cheaper ones, one validated command at a time;
 *  3. a Spot interruption: the warning reaches the interruption handler, which starts the drain
 *     and wakes the provisioner, so a replacement is launched inside the two-minute notice;
 *  4. an AMI release: the drift checker rolls every node onto the new image, one at a time under
 *     the NodePool's budget.
 * Each step prints what the functions did, and the cluster's nodes and price after it.
 */
import { pathToFileURL } from "node:url";
import type { Context, SQSEvent } from "aws-lambda";
import type { Workload } from "../lib/api/kubernetes.ts";
import { simulatedInterruptionEvent } from "../lib/cloud/in-memory/events.ts";
import type { DisruptionTickReport } from "../lib/disruption/controller.ts";
import type { LifecycleReport } from "../lib/lifecycle/lifecycle.ts";
import { isMarkedUnschedulable } from "../lib/ports/cluster.ts";
import type { BatcherReport } from "../lib/provisioning/batcher.ts";
import { createMemoryStore } from "../lib/store/in-memory/memory-store.ts";
import { fixedRuntime } from "../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../lib/wiring/in-memory.ts";
import { installRuntime } from "../lib/wiring/runtime.ts";
import { handler as batcher } from "../functions/batcher/handler.ts";
import { handler as consolidator } from "../functions/consolidator/handler.ts";
import { handler as drift } from "../functions/drift/handler.ts";
import { handler as interruption } from "../functions/interruption/handler.ts";
import { handler as lifecycle } from "../functions/lifecycle/handler.ts";
import { handler as provisioner } from "../functions/provisioner/handler.ts";

const MAX_REPLICAS = 1000;

/** The replay `npm run demo` runs. */
export const DEMO_REPLAY = ["replay", "-f", "examples/replay/01-diurnal-web-and-nightly-batch.yaml", "--hours", "6", "--seed", "1", "--out", "report"];

export const DEMO_USAGE = `Usage: npm run demo
       npm run demo -- story [replicas] [cpu-per-pod]

With no arguments: replays six hours of the bundled diurnal example
(examples/replay/01-diurnal-web-and-nightly-batch.yaml) through Tenon's real functions, Tenon
without consolidation and the baselines, prints the summary and writes report/index.html
(tenon ${DEMO_REPLAY.join(" ")}).

story: runs a day in a cluster's life on an in-memory cluster and cloud, through Tenon's real batcher,
provisioner, lifecycle, consolidator, drift and interruption handlers on a virtual clock: a
Deployment scaled up, then down (consolidation), a Spot interruption, and an AMI release rolled
out under a disruption budget. Prints what each function did, and the nodes and price after each step.

  replicas      pods in the Deployment at its peak, a whole number from 1 to ${MAX_REPLICAS} (default 50)
  cpu-per-pod   each pod's cpu request: cores (2, 0.5) or millicores (500m) (default 500m)
  -h, --help    show this help
`;

/** A cpu request as people write one: whole or decimal cores, or millicores. */
const CPU = /^(\d+(\.\d+)?|\.\d+|\d+m)$/;

export interface DemoOptions {
  replicas: number;
  cpu: string;
}

export class DemoUsageError extends Error {}

/** The demo's arguments, or "help"; throws DemoUsageError naming the argument and what it takes. */
export function parseDemoArgs(args: readonly string[]): DemoOptions | "help" {
  if (args.some((a) => a === "-h" || a === "--help")) return "help";
  const unknown = args.find((a) => a.startsWith("-"));
  if (unknown !== undefined) throw new DemoUsageError(`unknown option ${unknown}`);
  if (args.length > 2) throw new DemoUsageError(`expected at most 2 arguments (replicas, cpu-per-pod), got ${args.length}`);
  const [replicasText = "50", cpu = "500m"] = args;
  const replicas = /^\d+$/.test(replicasText) ? Number(replicasText) : NaN;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    throw new DemoUsageError(`replicas: "${replicasText}" is not a whole number from 1 to ${MAX_REPLICAS}`);
  }
  const cores = cpu.endsWith("m") ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu);
  if (!CPU.test(cpu) || !(cores > 0)) {
    throw new DemoUsageError(`cpu-per-pod: "${cpu}" is not a cpu request; give cores (2, 0.5) or millicores (500m), more than zero`);
  }
  return { replicas, cpu };
}

/** The cluster after one step of the story. */
export interface StepSummary {
  step: string;
  running: number;
  wanted: number;
  nodes: string[];
  pricePerHour: number;
}

export interface DemoSummary {
  running: number;
  replicas: number;
  nodes: string[];
  steps: StepSummary[];
}

function describeBatcher(report: BatcherReport): string {
  if (report.kind === "recorded") return `recorded ${report.pods} pending pod(s)${report.opened ? " and opened a batch window" : " into the open batch window"}`;
  if (report.kind === "ignored") return "ignored the event (no pending pods in it)";
  return `rejected the event: ${report.reason}`;
}

const CLUSTER = "local";
const TICK = { "detail-type": "Scheduled Event", source: "aws.events" };

function sqs(messages: ReadonlyArray<{ id: string; body: string }>, queue: string): SQSEvent {
  const attributes = { ApproximateReceiveCount: "1", SentTimestamp: "0", SenderId: "local", ApproximateFirstReceiveTimestamp: "0" };
  return {
    Records: messages.map((m) => ({
      messageId: m.id, receiptHandle: m.id, body: m.body, attributes, messageAttributes: {}, md5OfBody: "0",
      eventSource: "aws:sqs", eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queue}`, awsRegion: "us-east-1",
    })),
  };
}

/** The simulated world, its clock, and Tenon's functions wired to it the way EventBridge and SQS would. */
class Cluster {
  private readonly start: number;
  private readonly context = (name: string) => ({ functionName: name, awsRequestId: `local-${name}`, getRemainingTimeInMillis: () => 60_000 }) as unknown as Context;
  private elapsed = 0;
  private messages = 0;
  /** The last batch signal, printed only when the provisioner run it caused launches something. */
  private signal: string | undefined;

  constructor(readonly world: SimulatedWorld, private readonly print: (line: string) => void) {
    this.start = world.cluster.clock.now();
  }

  say(message: string): void {
    this.print(`[t+${((this.world.cluster.clock.now() - this.start) / 1000).toFixed(0).padStart(5)} s] ${message}`);
  }

  running(app: string): number {
    return this.world.cluster.pods().filter((p) => p.metadata.labels?.app === app && p.spec.nodeName && p.status?.phase === "Running").length;
  }

  /** Runs the functions for `ms` of virtual time in 5 s steps, or until `done` holds. */
  async run(ms: number, done: () => boolean = () => false): Promise<void> {
    const { world } = this;
    const until = this.elapsed + ms;
    while (this.elapsed < until) {
      this.elapsed += 5_000;
      await world.cluster.clock.advanceTo(this.start + this.elapsed);
      await this.signalPending();
      while (world.queue.pending().some((m) => m.dueAtMs <= world.cluster.clock.now())) {
        const due = world.queue.takeDue(world.cluster.clock.now());
        const before = new Set((await world.ports.store.listNodeClaims()).map((r) => r.name));
        await provisioner(sqs(due.map((m) => ({ id: m.id, body: JSON.stringify(m.message) })), "provisioner"), this.context("provisioner"));
        const created = (await world.ports.store.listNodeClaims()).filter((r) => !before.has(r.name));
        if (created.length > 0 && this.signal) this.say(this.signal);
        this.signal = undefined;
        if (created.length > 0) this.say(`provisioner: woken by ${due.length} batch message(s); launched ${created.length} NodeClaim(s): ${created.map((r) => describeClaim(r.nodeClaim.metadata.labels ?? {})).join(", ")}`);
      }
      if (this.elapsed % 10_000 === 0) this.lifecycle((await lifecycle(TICK, this.context("lifecycle"))) as LifecycleReport);
      const wake = world.disruptionQueue.takeDue(world.cluster.clock.now());
      if (wake.length > 0) this.disruption("consolidator", (await consolidator(sqs(wake.map((m) => ({ id: m.id, body: JSON.stringify(m.message) })), "disruption"), this.context("consolidator"))) as DisruptionTickReport);
      if (this.elapsed % 60_000 === 0) this.disruption("consolidator", (await consolidator(TICK, this.context("consolidator"))) as DisruptionTickReport);
      if (this.elapsed % 60_000 === 30_000) this.disruption("drift", (await drift(TICK, this.context("drift"))) as DisruptionTickReport);
      if (done()) return;
    }
  }

  private async signalPending(): Promise<void> {
    const { world } = this;
    const unschedulable = world.cluster.pods().filter((p) => !p.spec.nodeName && isMarkedUnschedulable(p));
    if (unschedulable.length === 0) return;
    const signal = {
      version: "0", id: `local-${++this.messages}`, source: "tenon.kubernetes", "detail-type": "Pod Unschedulable", time: new Date(world.cluster.clock.now()).toISOString(),
      detail: { cluster: CLUSTER, pods: unschedulable.map((p) => ({ namespace: p.metadata.namespace ?? "default", name: p.metadata.name })) },
    };
    const report = await batcher(signal, this.context("batcher"));
    if (report.kind === "recorded" && report.opened) this.signal = `kube-scheduler marked ${unschedulable.length} pod(s) Unschedulable; batcher: ${describeBatcher(report)}`;
  }

  private lifecycle(report: LifecycleReport): void {
    if (report.registered.length > 0) this.say(`lifecycle: registered ${report.registered.join(", ")}`);
    if (report.initialized.length > 0) this.say(`lifecycle: initialized ${report.initialized.join(", ")}`);
    const t = report.termination;
    if (t && t.evictionsRequested > 0) this.say(`lifecycle: draining ${t.terminating.join(", ")} (${t.evictionsRequested} eviction(s))`);
    if (t && t.instancesTerminated.length > 0) this.say(`lifecycle: terminated instance(s) ${t.instancesTerminated.join(", ")}`);
    if (t && t.finished.length > 0) this.say(`lifecycle: removed node(s) ${t.finished.join(", ")}`);
  }

  private disruption(name: string, report: DisruptionTickReport): void {
    // Progress lines ("waiting", "validating in") are left out: the decisions and their outcomes are the story.
    for (const step of report.steps) if (!/: (waiting for|validating in)/.test(step)) this.say(`${name}: ${step}`);
  }

  /** Sends an EC2 event through the interruption handler, as its SQS queue would. */
  async interrupt(kind: "spot-interruption", instanceId: string): Promise<void> {
    const body = simulatedInterruptionEvent(kind, instanceId, this.world.cluster.clock);
    await interruption(sqs([{ id: `interruption-${++this.messages}`, body }], "interruption"), this.context("interruption"));
  }

  async summary(step: string, app: string, wanted: number): Promise<StepSummary> {
    const nodes = this.world.cluster.nodes();
    const prices = await nodePrices(this.world);
    const described = nodes.map((n) => describeClaim(n.metadata.labels ?? {}));
    const pricePerHour = nodes.reduce((sum, n) => sum + (prices.get(n.metadata.name) ?? 0), 0);
    const counted = new Map<string, number>();
    for (const d of described) counted.set(d, (counted.get(d) ?? 0) + 1);
    this.print(`  -> ${this.running(app)} of ${wanted} pods running on ${nodes.length} node(s)${nodes.length > 0 ? ` (${[...counted].map(([d, c]) => `${c} x ${d}`).join(", ")})` : ""}, $${pricePerHour.toFixed(4)}/hour`);
    this.print("");
    return { step, running: this.running(app), wanted, nodes: described, pricePerHour };
  }
}

function describeClaim(labels: Record<string, string>): string {
  return `${labels["node.kubernetes.io/instance-type"]} ${labels["karpenter.sh/capacity-type"]} in ${labels["topology.kubernetes.io/zone"]}`;
}

/** Each node's hourly price from the cloud's own catalog (its type, zone and capacity type). */
async function nodePrices(world: SimulatedWorld): Promise<Map<string, number>> {
  const nodeClass = { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "default" }, spec: NODE_CLASS.spec } as never;
  const types = new Map((await world.cloud.instanceTypes(nodeClass)).map((t) => [t.name, t]));
  const out = new Map<string, number>();
  for (const n of world.cluster.nodes()) {
    const l = n.metadata.labels ?? {};
    const offering = types.get(l["node.kubernetes.io/instance-type"] ?? "")?.offerings.find((o) => o.zone === l["topology.kubernetes.io/zone"] && o.capacityType === l["karpenter.sh/capacity-type"]);
    if (offering) out.set(n.metadata.name, offering.price);
  }
  return out;
}

const NODE_CLASS = {
  apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "default" },
  spec: {
    subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": CLUSTER } }], securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": CLUSTER } }],
    amiSelectorTerms: [{ alias: "al2023@latest" }], instanceProfile: "tenon-node",
  },
};

function web(replicas: number, cpu: string): Workload {
  return {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" },
    spec: { replicas, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", resources: { requests: { cpu, memory: "512Mi" } } }] } } },
  };
}

export async function runDemo({ replicas, cpu }: DemoOptions, print: (line: string) => void): Promise<DemoSummary> {
  // The story's nodes are spot: replacing them with cheaper spot needs Karpenter's gate, off by default.
  const world = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }), settings: { featureGates: { spotToSpotConsolidation: true } } });
  installRuntime(fixedRuntime(world.ports));
  const c = new Cluster(world, print);
  world.cluster.putCustomObject("EC2NodeClass", NODE_CLASS);
  world.cluster.putCustomObject("NodePool", {
    apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "default" },
    spec: {
      template: { spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        requirements: [
          { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] },
          { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
          { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["5"] },
        ],
      } },
      disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "30s", budgets: [{ nodes: "1" }] },
    },
  });
  const steps: StepSummary[] = [];
  const allRunning = (n: number) => () => c.running("web") === n && world.cluster.pods().every((p) => p.spec.nodeName);

  print(`1. Scale up: Deployment web to ${replicas} replicas (${cpu} cpu, 512Mi each)`);
  world.cluster.addWorkload(web(replicas, cpu));
  await c.run(240_000, allRunning(replicas));
  steps.push(await c.summary("scale up", "web", replicas));

  const low = Math.max(1, Math.ceil(replicas / 5));
  print(`2. Scale down: web to ${low} replica(s); the consolidator removes and replaces nodes (NodePool budget: 1 node at a time; FEATURE_GATES=SpotToSpotConsolidation=true in this story, so spot nodes may be replaced by cheaper spot)`);
  world.cluster.scaleWorkload("default", "web", low);
  await c.run(15 * 60_000);
  steps.push(await c.summary("scale down", "web", low));

  const spot = world.cluster.nodes().find((n) => n.metadata.labels?.["karpenter.sh/capacity-type"] === "spot") ?? world.cluster.nodes()[0];
  if (spot) {
    const instanceId = spot.spec.providerID!.split("/").pop()!;
    print(`3. Spot interruption: EC2 warns that ${spot.metadata.name} (${describeClaim(spot.metadata.labels ?? {})}) goes in two minutes`);
    await c.interrupt("spot-interruption", instanceId);
    c.say(`interruption: ${spot.metadata.name} ${world.cluster.node(spot.metadata.name)?.metadata.deletionTimestamp ? "is being drained; the provisioner was woken for its pods" : "handled"}`);
    await c.run(120_000);
    if (world.cluster.node(spot.metadata.name)) {
      await world.cloud.delete(instanceId);
      c.say(`EC2 reclaimed ${instanceId} at the end of the notice`);
    }
    await c.run(120_000, allRunning(low));
    steps.push(await c.summary("spot interruption", "web", low));
  }

  print("4. AMI release: a new al2023 image is published; the drift checker rolls every node onto it, one at a time");
  world.simCloud!.releaseImages("/amazon-linux-2023/", new Date(world.cluster.clock.now()).toISOString());
  const onOld = new Set(world.cluster.nodes().map((n) => n.metadata.name));
  await c.run(30 * 60_000, () => world.cluster.nodes().every((n) => !onOld.has(n.metadata.name)) && allRunning(low)());
  steps.push(await c.summary("AMI release", "web", low));

  const nodes = steps.at(-1)!.nodes;
  const running = c.running("web");
  print(`Summary: ${running} of ${low} pods running on ${nodes.length} node(s) after ${steps.length} steps; price ${steps.map((s) => `$${s.pricePerHour.toFixed(4)}`).join(" -> ")} per hour`);
  return { running, replicas: low, nodes, steps };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  if (args[0] !== "story" && !args.some((a) => a === "-h" || a === "--help")) {
    const { main } = await import("../lib/cli/main.ts");
    if (args.length > 0) {
      process.stderr.write(`error: unknown argument ${args[0]} (npm run demo, or npm run demo -- story [replicas] [cpu-per-pod])\n`);
      process.exit(2);
    }
    process.exit(await main(["node", "tenon", ...DEMO_REPLAY]));
  }
  let options: DemoOptions | "help";
  try {
    options = parseDemoArgs(args[0] === "story" ? args.slice(1) : args);
  } catch (error) {
    if (!(error instanceof DemoUsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n(npm run demo -- --help for usage)\n`);
    process.exit(2);
  }
  if (options === "help") {
    process.stdout.write(DEMO_USAGE);
  } else {
    const summary = await runDemo(options, (line) => console.log(line));
    if (summary.running < summary.replicas) process.exitCode = 1;
  }
}
