/**
 * What a batch of interruption messages costs at cluster size: `npx tsx bench/interruption.ts`
 * (add `--nodes 500` for a quick run). The interruption function gets up to 10 SQS messages per
 * invocation (512 MB, 20 s). The cluster is the fake API server (lib/cluster/kube/fake-apiserver.ts)
 * holding `--nodes` realistic Nodes as the API server sends them, read through the real Kubernetes
 * adapter over loopback; the store is in memory, so store cost is counted (calls, items read), not
 * timed. Two batches of 10 Spot interruption warnings for Tenon's nodes run one after the other in
 * one container: the first is cold (no node view yet), the second warm.
 */
import { interruptionBatch } from "../lib/interruption/interruption.ts";
import { ClusterStateKeeper } from "../lib/cluster-state/keeper.ts";
import { kubeConfigFor, makeClients } from "../lib/cluster/kube/clients.ts";
import { startFakeApiServer } from "../lib/cluster/kube/fake-apiserver.ts";
import { KubeCluster } from "../lib/cluster/kube/kube-cluster.ts";
import type { FullPorts } from "../lib/observe/ports.ts";
import type { Cloud, CloudInstance } from "../lib/ports/cloud.ts";
import type { ClassifiedInterruption } from "../lib/ports/interruption.ts";
import { DEFAULT_SETTINGS } from "../lib/ports/settings.ts";
import type { Store } from "../lib/ports/store.ts";
import { RecordingTelemetry } from "../lib/ports/telemetry.ts";
import { createMemoryStore } from "../lib/store/in-memory/memory-store.ts";
import { node } from "./nodes.ts";

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const NODES = arg("nodes", 5_000);
const BATCH = 10;
const NOW = Date.UTC(2026, 0, 1);

/** The store, counting what the flow reads. */
function countingStore(inner: Store, counts: { calls: number; items: number }): Store {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key === "listNodeClaims") return async (...args: unknown[]) => { const out = await (value as (...a: unknown[]) => Promise<unknown[]>).apply(target, args); counts.calls++; counts.items += out.length; return out; };
      if (key === "getNodeClaim") return async (...args: unknown[]) => { const out = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args); counts.calls++; if (out) counts.items++; return out; };
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function main(): Promise<void> {
  const server = await startFakeApiServer();
  const store = createMemoryStore({ clusterName: "bench" });
  const instances = new Map<string, CloudInstance>();
  for (let i = 0; i < NODES; i++) {
    const n = node(i, true);
    server.put("/nodes", n as unknown as Record<string, unknown>);
    const providerId = n.spec.providerID!;
    const instanceId = providerId.slice(providerId.lastIndexOf("/") + 1);
    const name = `default-${i}`;
    const nodeClaim = { apiVersion: "karpenter.sh/v1", kind: "NodeClaim", metadata: { name, labels: { "karpenter.sh/nodepool": "default" } },
      spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [], taints: [], startupTaints: [], expireAfter: null }, status: { providerID: providerId, nodeName: n.metadata.name } };
    await store.createNodeClaim({ nodeClaim: nodeClaim as never, phase: "Initialized", launch: { attempts: 1, instanceId } }, NOW);
    instances.set(instanceId, { providerId, instanceId, instanceType: "m6i.2xlarge", zone: providerId.split("/")[3]!, capacityType: "spot", imageId: "ami-1", launchTimeMs: NOW, state: "running", tags: { "karpenter.sh/nodeclaim": name }, nodeClaimName: name });
  }
  const cloud = { get: async (id: string) => instances.get(id) } as unknown as Cloud;
  const counts = { calls: 0, items: 0 };
  const telemetry = new RecordingTelemetry();
  const ports: FullPorts = {
    clusterName: "bench", store: countingStore(store, counts), queue: { send: async () => {} }, clock: { now: () => NOW, sleep: async () => {} },
    log: telemetry, metrics: telemetry, settings: DEFAULT_SETTINGS, ids: { suffix: () => "aaaaa", uid: () => "u" }, cloud,
    cluster: new KubeCluster(makeClients(kubeConfigFor({ server: server.url })), { token: async () => "t" }, { now: () => NOW, sleep: async () => {} }),
    clusterState: new ClusterStateKeeper(),
  };
  const ids = [...instances.keys()];
  const message = (k: number, batch: number): ClassifiedInterruption => ({
    ok: true, eventId: `e-${batch}-${k}`, kind: "spot-interruption", action: "mark-unavailable+cordon-and-drain", timeMs: NOW, detail: "Spot interruption warning",
    instanceIds: [ids[(k * 997 + batch * 31) % ids.length]!],
  });
  console.log(`| batch | nodes | messages | wall ms | API requests (list pages / watches / writes) | store calls | records read | put on termination |`);
  console.log(`| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |`);
  for (const [batch, label] of [[0, "cold"], [1, "warm"]] as const) {
    const before = { requests: server.requests.length, calls: counts.calls, items: counts.items };
    const handle = interruptionBatch(ports);
    const start = performance.now();
    const reports = await Promise.all(Array.from({ length: BATCH }, (_, k) => handle(message(k, batch))));
    const ms = performance.now() - start;
    const made = server.requests.slice(before.requests);
    const lists = made.filter((r) => r.method === "GET" && r.query["watch"] !== "true" && r.path.endsWith("/nodes")).length;
    const watches = made.filter((r) => r.query["watch"] === "true").length;
    const writes = made.filter((r) => r.method !== "GET").length;
    console.log(`| ${label} | ${NODES} | ${BATCH} | ${ms.toFixed(0)} | ${made.length} (${lists} / ${watches} / ${writes}) | ${counts.calls - before.calls} | ${counts.items - before.items} | ${reports.reduce((n, r) => n + r.terminating.length, 0)} |`);
  }
  await server.close();
}

await main();
