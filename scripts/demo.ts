/**
 * Runs the provisioning loop once on a simulated cluster and cloud, through the real handlers,
 * and prints what happened on the virtual clock, then a summary:
 *
 *   npm run demo -- [replicas=50] [cpu-per-pod=500m]      (npm run demo -- --help)
 *
 * A Deployment is scaled up, kube-scheduler marks its pods Unschedulable, a forwarded EventBridge
 * event wakes the batcher, the delayed message wakes the provisioner, lifecycle ticks register
 * and initialize the nodes, and kube-scheduler binds the pods. State is in memory.
 */
import { pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";
import { isMarkedUnschedulable } from "../lib/ports/cluster.ts";
import { installRuntime } from "../lib/wiring/runtime.ts";
import { fixedRuntime } from "../lib/wiring/base.ts";
import { simulatedWorld } from "../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../lib/store/in-memory/memory-store.ts";
import { handler as batcher } from "../functions/batcher/handler.ts";
import { handler as lifecycle } from "../functions/lifecycle/handler.ts";
import { handler as provisioner } from "../functions/provisioner/handler.ts";
import type { BatcherReport } from "../lib/provisioning/batcher.ts";

const MAX_REPLICAS = 1000;

export const DEMO_USAGE = `Usage: npm run demo -- [replicas] [cpu-per-pod]

Scales a Deployment on an in-memory cluster and cloud and runs Tenon's real batcher, provisioner
and lifecycle handlers on a virtual clock, printing what each did and a summary.

  replicas      pods in the Deployment, a whole number from 1 to ${MAX_REPLICAS} (default 50)
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

export interface DemoSummary {
  running: number;
  replicas: number;
  nodes: string[];
}

function describeBatcher(report: BatcherReport): string {
  if (report.kind === "recorded") return `recorded ${report.pods} pending pod(s)${report.opened ? " and opened a batch window" : " into the open batch window"}`;
  if (report.kind === "ignored") return "ignored the event (no pending pods in it)";
  return `rejected the event: ${report.reason}`;
}

const CLUSTER = "local";

export async function runDemo({ replicas, cpu }: DemoOptions, print: (line: string) => void): Promise<DemoSummary> {
  const context = (name: string) => ({ functionName: name, awsRequestId: `local-${name}`, getRemainingTimeInMillis: () => 60_000 }) as unknown as Context;
  const world = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
  installRuntime(fixedRuntime(world.ports));
  const start = world.cluster.clock.now();
  const say = (message: string) => print(`[t+${((world.cluster.clock.now() - start) / 1000).toFixed(1).padStart(6)} s] ${message}`);

  world.cluster.putCustomObject("EC2NodeClass", {
    apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "default" },
    spec: {
      subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": CLUSTER } }], securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": CLUSTER } }],
      amiSelectorTerms: [{ alias: "al2023@latest" }], instanceProfile: "tenon-node",
    },
  });
  world.cluster.putCustomObject("NodePool", {
    apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "default" },
    spec: { template: { spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
      requirements: [
        { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] },
        { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
        { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["5"] },
      ],
    } } },
  });
  world.cluster.addWorkload({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" },
    spec: { replicas, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", resources: { requests: { cpu, memory: "512Mi" } } }] } } },
  });
  say(`Deployment web scaled to ${replicas} replicas (${cpu} cpu, 512Mi each)`);
  await world.cluster.advance(2_000);

  const unschedulable = world.cluster.pods().filter((p) => !p.spec.nodeName && isMarkedUnschedulable(p));
  say(`kube-scheduler marked ${unschedulable.length} pods Unschedulable`);
  const signal = {
    version: "0", id: "local", source: "tenon.kubernetes", "detail-type": "Pod Unschedulable", time: new Date(world.cluster.clock.now()).toISOString(),
    detail: { cluster: CLUSTER, pods: unschedulable.map((p) => ({ namespace: p.metadata.namespace ?? "default", name: p.metadata.name })) },
  };
  say(`batcher: ${describeBatcher(await batcher(signal, context("batcher")))}`);

  for (const message of world.queue.pending()) await world.cluster.clock.advanceTo(message.dueAtMs);
  const due = world.queue.takeDue(world.cluster.clock.now());
  const attributes = { ApproximateReceiveCount: "1", SentTimestamp: String(start), SenderId: "local", ApproximateFirstReceiveTimestamp: String(start) };
  const sqsRecord = (m: (typeof due)[number]) => ({
    messageId: m.id, receiptHandle: m.id, body: JSON.stringify(m.message), attributes, messageAttributes: {}, md5OfBody: "0",
    eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:provisioner", awsRegion: "us-east-1",
  });
  const response = await provisioner({ Records: due.map(sqsRecord) }, context("provisioner"));
  const failed = "batchItemFailures" in response ? response.batchItemFailures.length : 0;
  const claims = await world.ports.store.listNodeClaims();
  say(`provisioner: woken by ${due.length} batch message(s)${failed > 0 ? `, ${failed} failed and will be retried` : ""}; launched ${claims.length} NodeClaim(s)`);
  for (const record of claims) {
    const labels = record.nodeClaim.metadata.labels ?? {};
    say(`  NodeClaim ${record.name}: ${record.phase} ${labels["node.kubernetes.io/instance-type"]} ${labels["karpenter.sh/capacity-type"]} in ${labels["topology.kubernetes.io/zone"]}`);
  }

  const tick = { "detail-type": "Scheduled Event", source: "aws.events" };
  let running = 0;
  for (let i = 0; i < 12; i++) {
    await world.cluster.advance(10_000);
    const report = await lifecycle(tick, context("lifecycle"));
    if (report.registered.length > 0) say(`lifecycle: registered ${report.registered.join(", ")}`);
    if (report.initialized.length > 0) say(`lifecycle: initialized ${report.initialized.join(", ")}`);
    running = world.cluster.pods().filter((p) => p.spec.nodeName && p.status?.phase === "Running").length;
    if (running === replicas) break;
  }
  const nodes = world.cluster.nodes().map((n) => {
    const labels = n.metadata.labels ?? {};
    return `${labels["node.kubernetes.io/instance-type"]} ${labels["karpenter.sh/capacity-type"]} in ${labels["topology.kubernetes.io/zone"]}`;
  });
  const counted = new Map<string, number>();
  for (const node of nodes) counted.set(node, (counted.get(node) ?? 0) + 1);
  print("");
  print(`Summary: ${running} of ${replicas} pods running on ${nodes.length} node(s)${nodes.length > 0 ? `: ${[...counted].map(([n, c]) => `${c} x ${n}`).join(", ")}` : ""}`);
  if (running < replicas) {
    print(`${replicas - running} pod(s) still pending${claims.length === 0 ? ": no NodeClaim was launched (no instance type in the NodePool fits the pod?)" : ""}`);
  }
  return { running, replicas, nodes };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let options: DemoOptions | "help";
  try {
    options = parseDemoArgs(process.argv.slice(2));
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
