/**
 * Runs the provisioning loop once on a simulated cluster and cloud, through the real handlers,
 * and prints what happened on the virtual clock:
 *
 *   npm run demo -- [replicas=50] [cpu-per-pod=500m]
 *
 * A Deployment is scaled up, kube-scheduler marks its pods Unschedulable, a forwarded EventBridge
 * event wakes the batcher, the delayed message wakes the provisioner, lifecycle ticks register
 * and initialize the nodes, and kube-scheduler binds the pods. State is in memory.
 */
import type { Context } from "aws-lambda";
import { isMarkedUnschedulable } from "../lib/ports/cluster.ts";
import { installRuntime } from "../lib/wiring/runtime.ts";
import { fixedRuntime } from "../lib/wiring/base.ts";
import { simulatedWorld } from "../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../lib/store/in-memory/memory-store.ts";
import { handler as batcher } from "../functions/batcher/handler.ts";
import { handler as lifecycle } from "../functions/lifecycle/handler.ts";
import { handler as provisioner } from "../functions/provisioner/handler.ts";

const CLUSTER = "local";
const replicas = Number(process.argv[2] ?? 50);
const cpu = process.argv[3] ?? "500m";
if (!Number.isInteger(replicas) || replicas < 0) {
  console.error(`replicas: "${process.argv[2]}" is not a whole number`);
  process.exit(2);
}

const context = (name: string) => ({ functionName: name, awsRequestId: `local-${name}`, getRemainingTimeInMillis: () => 60_000 }) as unknown as Context;

const world = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
installRuntime(fixedRuntime(world.ports));
const start = world.cluster.clock.now();
const say = (message: string) => console.log(`[t+${((world.cluster.clock.now() - start) / 1000).toFixed(1).padStart(6)} s] ${message}`);

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
say(`Deployment web scaled to ${replicas} replicas (${cpu} each)`);
await world.cluster.advance(2_000);

const unschedulable = world.cluster.pods().filter((p) => !p.spec.nodeName && isMarkedUnschedulable(p));
say(`kube-scheduler marked ${unschedulable.length} pods Unschedulable`);
const signal = {
  version: "0", id: "local", source: "tenon.kubernetes", "detail-type": "Pod Unschedulable", time: new Date(world.cluster.clock.now()).toISOString(),
  detail: { cluster: CLUSTER, pods: unschedulable.map((p) => ({ namespace: p.metadata.namespace ?? "default", name: p.metadata.name })) },
};
say(`batcher: ${JSON.stringify(await batcher(signal, context("batcher")))}`);

for (const message of world.queue.pending()) await world.cluster.clock.advanceTo(message.dueAtMs);
const due = world.queue.takeDue(world.cluster.clock.now());
say(`provisioner woken by ${due.length} delayed message(s)`);
const attributes = { ApproximateReceiveCount: "1", SentTimestamp: String(start), SenderId: "local", ApproximateFirstReceiveTimestamp: String(start) };
const sqsRecord = (m: (typeof due)[number]) => ({
  messageId: m.id, receiptHandle: m.id, body: JSON.stringify(m.message), attributes, messageAttributes: {}, md5OfBody: "0",
  eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:provisioner", awsRegion: "us-east-1",
});
say(`provisioner: ${JSON.stringify(await provisioner({ Records: due.map(sqsRecord) }, context("provisioner")))}`);
for (const record of await world.ports.store.listNodeClaims()) {
  const labels = record.nodeClaim.metadata.labels ?? {};
  say(`  NodeClaim ${record.name}: ${record.phase} ${labels["node.kubernetes.io/instance-type"]} ${labels["karpenter.sh/capacity-type"]} ${labels["topology.kubernetes.io/zone"]}`);
}

const tick = { "detail-type": "Scheduled Event", source: "aws.events" };
for (let i = 0; i < 12; i++) {
  await world.cluster.advance(10_000);
  const report = await lifecycle(tick, context("lifecycle"));
  if (report.registered.length > 0) say(`lifecycle: registered ${report.registered.join(", ")}`);
  if (report.initialized.length > 0) say(`lifecycle: initialized ${report.initialized.join(", ")}`);
  const running = world.cluster.pods().filter((p) => p.spec.nodeName && p.status?.phase === "Running").length;
  if (running === replicas) {
    say(`all ${replicas} pods running on ${world.cluster.nodes().length} nodes`);
    break;
  }
}
const counted = new Map<string, number>();
for (const m of world.telemetry.metrics) counted.set(m.name, (counted.get(m.name) ?? 0) + m.value);
say(`metrics: ${[...counted].map(([k, v]) => `${k}=${v}`).join(" ")}`);
