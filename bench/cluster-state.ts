/**
 * What keeping the bound-pod view current costs at 5,000 nodes / 50,000 pods:
 * `node --expose-gc --import tsx bench/cluster-state.ts` (add `--nodes 500 --pods 5000` for a quick
 * run; without --expose-gc the heap figures are skipped).
 *
 * Part 1, the simulated cluster (in memory, so only Tenon's own work is timed):
 *  - the full-list fallback: list every unfinished pod (100 pages of 500), summarize, publish;
 *  - a warm run: replay ~100 pod changes into the in-memory cache;
 *  - a cold start: load the published snapshot from the store, decode it, replay the changes;
 *  - the per-run node list; and the bytes of each representation, and the DynamoDB cost of the
 *    snapshot computed from its item sizes (1 WCU per KB written per item; a strongly consistent
 *    Query costs 1 RCU per 4 KB of the items it returns, an eventually consistent one half).
 * Part 2, the HTTP path (`@kubernetes/client-node` against lib/cluster/kube/fake-apiserver.ts over
 * loopback): the same 100-change catch-up as a watch of realistic pods, and one 500-node page.
 * Timings are wall clock on whatever machine runs it; see docs/kubernetes.md for recorded numbers.
 */
import { gzipSync } from "node:zlib";
import { node } from "./nodes.ts";
import { ClusterStateCache } from "../lib/cluster-state/cache.ts";
import { ClusterStateKeeper, listUnfinishedPods } from "../lib/cluster-state/keeper.ts";
import { encodeSnapshot } from "../lib/cluster-state/snapshot.ts";
import { summarizeBoundPod } from "../lib/cluster-state/summary.ts";
import { SimulatedCluster } from "../lib/cluster/in-memory/in-memory-cluster.ts";
import type { Pod } from "../lib/api/kubernetes.ts";
import { kubeConfigFor, makeClients } from "../lib/cluster/kube/clients.ts";
import { KubeCluster } from "../lib/cluster/kube/kube-cluster.ts";
import { listAll } from "../lib/ports/cluster.ts";
import type { Log } from "../lib/ports/telemetry.ts";
import { createMemoryStore } from "../lib/store/in-memory/memory-store.ts";
import { startFakeApiServer } from "../lib/cluster/kube/fake-apiserver.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const NODES = arg("nodes", 5_000);
const PODS = arg("pods", 50_000);
const CHANGES = 100;
const NOW = Date.UTC(2026, 0, 1);
const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** Deterministic random hex (mulberry32), so uids and name suffixes compress as badly as real ones. */
let seed = 42;
function random32(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
}
function randomHex(length: number): string {
  let out = "";
  while (out.length < length) out += random32().toString(16).padStart(8, "0");
  return out.slice(0, length);
}
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
/** Wall time and this process's CPU time: on a busy machine the CPU time is the better estimate. */
async function timed<T>(label: string, fn: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const out = await fn();
  const used = process.cpuUsage(cpu);
  console.log(`  ${label}: ${(performance.now() - started).toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms cpu`);
  return out;
}

/** Heap retained by what `build` returns (needs node --expose-gc; skipped otherwise). */
function retainedHeap(label: string, build: () => unknown): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = build();
  gc();
  console.log(`  heap held by ${label}: ${mb(process.memoryUsage().heapUsed - before)}`);
  if (kept === undefined) console.log("");
}


/** A Deployment's pod after lib/cluster/kube/slim.ts: what the adapter hands Tenon. */
function pod(i: number, nodeName: string | undefined): Pod {
  const app = `service-${i % 400}`;
  const out: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      // Random suffix as a ReplicaSet makes, plus the index so no two pods share a name.
      name: `${app}-7d9c8b6f5-${randomHex(5)}${i.toString(36)}`,
      namespace: `team-${i % 25}`,
      uid: `${randomHex(8)}-${randomHex(4)}-${randomHex(4)}-${randomHex(4)}-${randomHex(12)}`,
      labels: { app, "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": `product-${i % 40}`, "pod-template-hash": "7d9c8b6f5", version: "v1" },
      annotations: { "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${app}-7d9c8b6f5`, uid: "rs-uid", controller: true }],
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
    spec: {
      containers: [
        { name: "app", image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/team/${app}:v1.2.3`, resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } }, ports: [{ containerPort: 8080, name: "http", protocol: "TCP" }] },
        { name: "envoy", image: "public.ecr.aws/envoy:v1.30", resources: { requests: { cpu: "50m", memory: "64Mi" } } },
      ],
      tolerations: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      ],
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app } } }],
      volumes: [{ name: "kube-api-access", projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: "token" } }] } }],
      serviceAccountName: "default",
      priority: 0,
      schedulerName: "default-scheduler",
    } as Pod["spec"],
    status: {
      phase: nodeName ? "Running" : "Pending",
      conditions: [{ type: "PodScheduled", status: "True" }, { type: "Ready", status: "True" }, { type: "ContainersReady", status: "True" }, { type: "Initialized", status: "True" }] as NonNullable<Pod["status"]>["conditions"],
    },
  };
  if (nodeName) out.spec.nodeName = nodeName;
  if (i % 10 === 0) out.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app } } }] } };
  return out;
}

/** Heavy as the API server sends it: managedFields and container env, probes, statuses. */
function wirePod(i: number, nodeName: string): Record<string, unknown> {
  const p = pod(i, nodeName) as unknown as { metadata: Record<string, unknown>; spec: { containers: Array<Record<string, unknown>> }; status: Record<string, unknown> };
  p.metadata.managedFields = [
    { manager: "kube-controller-manager", operation: "Update", apiVersion: "v1", time: "2026-01-01T00:00:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:labels": { "f:app": {}, "f:pod-template-hash": {} }, "f:ownerReferences": {} }, "f:spec": { "f:containers": { 'k:{"name":"app"}': { "f:image": {}, "f:resources": {}, "f:env": {} } } } } },
    { manager: "kubelet", operation: "Update", apiVersion: "v1", time: "2026-01-01T00:00:00Z", fieldsType: "FieldsV1", subresource: "status", fieldsV1: { "f:status": { "f:conditions": {}, "f:containerStatuses": {}, "f:hostIP": {}, "f:phase": {}, "f:podIP": {}, "f:startTime": {} } } },
  ];
  for (const c of p.spec.containers) {
    c.env = Array.from({ length: 12 }, (_, k) => ({ name: `SETTING_${k}`, value: `value-${k}-${"x".repeat(20)}` }));
    c.readinessProbe = { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 10 };
    c.livenessProbe = { httpGet: { path: "/live", port: 8080 }, periodSeconds: 10 };
    c.volumeMounts = [{ name: "kube-api-access", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true }];
  }
  p.status.containerStatuses = p.spec.containers.map((c) => ({ name: c.name, ready: true, restartCount: 0, image: c.image, imageID: `sha256:${"cd".repeat(32)}`, containerID: `containerd://${"ef".repeat(32)}`, started: true, state: { running: { startedAt: "2026-01-01T00:00:00Z" } } }));
  p.status.hostIP = "10.0.0.1";
  p.status.podIP = "10.0.1.1";
  return p as unknown as Record<string, unknown>;
}

async function simulated(): Promise<void> {
  console.log(`\n# Simulated cluster: ${NODES} nodes, ${PODS} bound pods, ${CHANGES} changes per warm run`);
  const cluster = new SimulatedCluster();
  const nodeNames: string[] = [];
  for (let i = 0; i < NODES; i++) nodeNames.push(cluster.addNode(node(i)).metadata.name);
  const pods: Pod[] = [];
  for (let i = 0; i < PODS; i++) pods.push(pod(i, nodeNames[i % NODES]));
  for (const p of pods) cluster.addPod(p);

  const slimBytes = bytesOf(pods);
  const summaries = pods.map((p) => summarizeBoundPod(p)!);
  const summaryBytes = bytesOf(summaries);
  console.log(`bytes: slim pod ${Math.round(slimBytes / PODS)} B/pod (${mb(slimBytes)} in all); summary ${Math.round(summaryBytes / PODS)} B/pod (${mb(summaryBytes)}); gzip'd summaries ${mb(gzipSync(JSON.stringify(summaries)).length)}`);

  const store = createMemoryStore();
  const ports = { cluster, store, log: quiet };
  console.log("full-list fallback (no snapshot):");
  const listed = await timed(`list every unfinished pod (${Math.ceil(PODS / 500)} pages)`, () => listUnfinishedPods(cluster));
  const cache = await timed("summarize", () => ClusterStateCache.fromPods(listed.pods, listed.resourceVersion ?? ""));
  const entries = await timed("encode snapshot (gzip)", () => encodeSnapshot(cache));
  const keeper = new ClusterStateKeeper();
  await timed("whole fallback through the keeper (list, summarize, encode, publish)", () => keeper.current(ports, NOW));

  const itemBytes = entries.map((e) => bytesOf([e]) + 120);
  const total = itemBytes.reduce((a, b) => a + b, 0);
  const wcu = itemBytes.reduce((a, b) => a + Math.ceil(b / 1024), 0);
  console.log(`snapshot: ${entries.length} entries -> ${entries.length} DynamoDB page items + 1 manifest, ${kb(total)} in all; write ${wcu} WCU per publish; read ${Math.ceil(total / 4096)} RCU strongly consistent (${Math.ceil(total / 8192)} eventually)`);

  // ~100 changes: new bound pods and deleted ones.
  for (let i = 0; i < CHANGES / 2; i++) cluster.addPod(pod(PODS + i, nodeNames[i % NODES]));
  for (let i = 0; i < CHANGES / 2; i++) cluster.deletePod(pods[i * 7]!.metadata.namespace!, pods[i * 7]!.metadata.name);
  const changes = await cluster.podChangesSince(listed.resourceVersion!);
  if (changes.outcome === "changes") console.log(`changes since the list: ${changes.changes.length}, ${kb(bytesOf(changes.changes))} of slim pods`);
  console.log("warm run:");
  const warm = await timed(`catch up ${CHANGES} changes in memory`, () => keeper.current(ports, NOW));
  console.log(`  -> source ${warm.report.source}, changes ${warm.report.changes}, bound pods ${warm.report.boundPods}`);
  await timed("materialize minimal pods for the scheduler", () => warm.cache.boundPods());
  retainedHeap(`the cache (${warm.cache.size} summaries)`, () => ClusterStateCache.fromSummaries(warm.cache.summaries().map((x) => structuredClone(x)), "1"));
  retainedHeap("the minimal pods built from it", () => warm.cache.boundPods());
  await timed("publish (lifecycle tick: encode + put)", () => keeper.publish(ports, NOW));

  for (let i = 0; i < CHANGES / 2; i++) cluster.addPod(pod(PODS + CHANGES + i, nodeNames[(i * 13) % NODES]));
  for (let i = 0; i < CHANGES / 2; i++) cluster.deletePod(pods[i * 11 + 3]!.metadata.namespace!, pods[i * 11 + 3]!.metadata.name);
  console.log("cold start:");
  const cold = await timed(`load snapshot, decode, replay ${CHANGES} changes`, () => new ClusterStateKeeper().current(ports, NOW));
  console.log(`  -> source ${cold.report.source}, changes ${cold.report.changes}, bound pods ${cold.report.boundPods}`);
  const fresh = await listUnfinishedPods(cluster);
  const same = JSON.stringify(ClusterStateCache.fromPods(fresh.pods, "").summaries()) === JSON.stringify(cold.cache.summaries());
  console.log(`  -> equal to a fresh full list: ${same}`);

  const nodes = await timed(`list ${NODES} nodes (${Math.ceil(NODES / 500)} pages)`, () => listAll((o) => cluster.listNodes(o)));
  console.log(`  -> slim nodes ${Math.round(bytesOf(nodes) / nodes.length)} B/node, ${mb(bytesOf(nodes))} in all`);
}

async function http(): Promise<void> {
  console.log(`\n# HTTP path: client-node against the fake API server`);
  const server = await startFakeApiServer();
  try {
    const kube = new KubeCluster(makeClients(kubeConfigFor({ server: server.url })), { token: async () => "t" }, { now: () => NOW, sleep: async () => {} });
    server.put("/pods", wirePod(0, "node-0"));
    const since = (await kube.listActivePods({ limit: 1 })).resourceVersion!;
    let wire = 0;
    for (let i = 1; i <= CHANGES; i++) wire += bytesOf(server.put("/pods", wirePod(i, `node-${i % 50}`)));
    const changes = await timed(`watch catch-up of ${CHANGES} changes (${kb(wire)} of pod JSON on the wire)`, () => kube.podChangesSince(since));
    console.log(`  -> ${changes.outcome === "changes" ? changes.changes.length : "expired"} changes`);
    for (let i = 0; i < 500; i++) server.put("/pods", wirePod(1_000 + i, `node-${i % 50}`));
    const stored = server.list("/pods");
    const perPod = Math.round(stored.reduce((n, o) => n + bytesOf(o), 0) / stored.length);
    const podPage = await timed(`one page of 500 pods (${perPod} B/pod on the wire, ${kb(perPod * 500)})`, () => kube.listActivePods({ limit: 500 }));
    console.log(`  -> ${podPage.items.length} pods`);
    for (let i = 0; i < 500; i++) server.put("/nodes", node(i, true) as unknown as Record<string, unknown>);
    const nodeWire = server.list("/nodes").reduce((n, o) => n + bytesOf(o), 0);
    await kube.listNodes({ limit: 500 });
    const page = await timed(`one page of 500 nodes (${kb(nodeWire)} on the wire)`, () => kube.listNodes({ limit: 500 }));
    console.log(`  -> ${page.items.length} nodes, ${Math.round(bytesOf(page.items) / page.items.length)} B/node after slimming`);
  } finally {
    await server.close();
  }
}

await simulated();
await http();
