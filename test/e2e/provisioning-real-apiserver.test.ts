/**
 * Provisioning end to end with every real part: the real Lambda handlers, a real kube-apiserver
 * (Karpenter's CRDs, the documented RBAC, the functions as the `tenon` user), DynamoDB Local for
 * state, and the EC2 adapter launching on moto. No kube-scheduler, kubelet or node agent runs, so
 * the test stands in for them: pending pods are marked Unschedulable through `/status`, each
 * launched instance registers a Node (with the NodeClaim's labels, taints, startup taints and
 * `karpenter.sh/unregistered`), reports Ready and drops its startup taints, and a binder binds the
 * pods once Tenon has initialized the nodes. (Consolidation under a PDB is the other half of this
 * test; it waits for the disruption controllers.)
 */
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsCloud } from "../../lib/cloud/aws/aws-cloud.ts";
import { launchedInstanceFor } from "../../lib/wiring/in-memory.ts";
import { registeredNode } from "../../lib/cluster/in-memory/kubelet.ts";
import { VirtualClock } from "../../lib/cluster/in-memory/virtual-clock.ts";
import { ClusterStateKeeper } from "../../lib/cluster-state/keeper.ts";
import type { Node, Pod } from "../../lib/api/kubernetes.ts";
import type { Cloud, CloudInstance, LaunchRequest } from "../../lib/ports/cloud.ts";
import { fixedRuntime, randomIds } from "../../lib/wiring/base.ts";
import type { FullPorts } from "../../lib/observe/ports.ts";
import { MemoryProvisionerQueue } from "../../lib/queue/in-memory/memory-queue.ts";
import { DEFAULT_SETTINGS } from "../../lib/ports/settings.ts";
import { RecordingTelemetry } from "../../lib/ports/telemetry.ts";
import { CLUSTER as MOTO_CLUSTER } from "../support/cloud.ts";
import { buildAccount, motoConfig, type MotoAccount } from "../support/moto-env.ts";
import { apiServerUnavailable, applyDocumentedRbac, startRealApiServer, TOKENS, type RealApiServer } from "../support/apiserver.ts";
import { useMoto } from "../support/moto.ts";
import { awslogsEvent, callBatcher, callConsolidator, callLifecycle, deliver, ON_DEMAND_ONLY, schedulerPatchAudit, useDynamoDbStores, useInstalledRuntime } from "../support/world.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";

const skip = await apiServerUnavailable();
const REPLICAS = 12;

/** The kubelet (and node agent) of each instance the cloud launches, registering in the real API server. */
class KubeletStandIn implements Cloud {
  constructor(
    private readonly inner: Cloud,
    private readonly server: RealApiServer,
  ) {}
  resolveNodeClass: Cloud["resolveNodeClass"] = (nc) => this.inner.resolveNodeClass(nc);
  instanceTypes: Cloud["instanceTypes"] = (nc) => this.inner.instanceTypes(nc);
  get: Cloud["get"] = (id) => this.inner.get(id);
  list: Cloud["list"] = () => this.inner.list();
  delete: Cloud["delete"] = (id) => this.inner.delete(id);

  async create(request: LaunchRequest): Promise<CloudInstance> {
    const instance = await this.inner.create(request);
    const launched = launchedInstanceFor(request, instance);
    const node = registeredNode(launched, new Date().toISOString());
    const existing = await this.server.request("GET", `/api/v1/nodes/${node.metadata.name}`);
    if (existing.status === 404) {
      const { status, ...registration } = node;
      await this.server.must("POST", "/api/v1/nodes", { body: registration });
      // Boots: the kubelet reports Ready with its capacity, the node lifecycle controller lifts the
      // not-ready taint, the node agent lifts its startup taints.
      await this.server.must("PATCH", `/api/v1/nodes/${node.metadata.name}/status`, {
        body: { status: { ...status, conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "ready", lastTransitionTime: new Date().toISOString() }] } },
        contentType: "application/merge-patch+json",
      });
      const startup = new Set(request.startupTaints.map((t) => `${t.key}:${t.effect}`));
      const current = await this.server.must<Node>("GET", `/api/v1/nodes/${node.metadata.name}`);
      const taints = (current.spec.taints ?? []).filter((t) => t.key !== "node.kubernetes.io/not-ready" && !startup.has(`${t.key}:${t.effect}`));
      await this.server.must("PATCH", `/api/v1/nodes/${node.metadata.name}`, {
        body: [
          { op: "test", path: "/metadata/resourceVersion", value: current.metadata.resourceVersion },
          { op: "replace", path: "/spec/taints", value: taints },
        ],
        contentType: "application/json-patch+json",
      });
    }
    return instance;
  }
}

const cpuMilli = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);

/** kube-scheduler's part, reduced: binds each pending pod to the first initialized, untainted node with room. */
async function bindPendingPods(server: RealApiServer): Promise<number> {
  const nodes = (await server.must<{ items: Node[] }>("GET", "/api/v1/nodes?labelSelector=karpenter.sh/initialized%3Dtrue")).items.filter(
    (n) => !(n.spec.taints ?? []).some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute") && !n.spec.unschedulable,
  );
  const pods = (await server.must<{ items: Pod[] }>("GET", "/api/v1/namespaces/default/pods")).items;
  const free = new Map(nodes.map((n) => [n.metadata.name, cpuMilli(String(n.status?.allocatable?.["cpu"] ?? "0"))]));
  for (const p of pods.filter((p) => p.spec.nodeName)) free.set(p.spec.nodeName!, (free.get(p.spec.nodeName!) ?? 0) - 500);
  let bound = 0;
  for (const pod of pods.filter((p) => !p.spec.nodeName)) {
    const target = [...free].find(([, room]) => room >= 500)?.[0];
    if (!target) continue;
    free.set(target, free.get(target)! - 500);
    await server.must("POST", `/api/v1/namespaces/default/pods/${pod.metadata.name}/binding`, { body: { apiVersion: "v1", kind: "Binding", metadata: { name: pod.metadata.name }, target: { kind: "Node", name: target } } });
    await server.must("PATCH", `/api/v1/namespaces/default/pods/${pod.metadata.name}/status`, { body: { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, contentType: "application/merge-patch+json" });
    bound++;
  }
  return bound;
}

describe.skipIf(Boolean(skip))("provisioning end to end: real handlers, real kube-apiserver, DynamoDB Local, EC2 adapter on moto", () => {
  const moto = useMoto();
  const freshStore = useDynamoDbStores(MOTO_CLUSTER);
  const install = useInstalledRuntime();
  let server: RealApiServer;
  let account: MotoAccount;

  beforeAll(async () => {
    server = await startRealApiServer();
    await server.installKarpenterCrds();
    await applyDocumentedRbac(server);
  }, 20 * 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it(`turns ${REPLICAS} Unschedulable pods into NodeClaims, EC2 instances and initialized Nodes that run them all`, async () => {
    account = await buildAccount(moto().endpoint);
    const store = await freshStore();
    // Moto stamps real launch times: the clock starts now; waits (batch windows) move it on at once.
    const clock = new VirtualClock(Date.now());
    const telemetry = new RecordingTelemetry();
    const queue = new MemoryProvisionerQueue(() => clock.now());
    const cloud = new KubeletStandIn(new AwsCloud({ clients: account.clients, config: motoConfig(), clock, unavailable: store }), server);
    const ports: FullPorts = {
      clusterName: MOTO_CLUSTER,
      store,
      queue,
      clock,
      log: telemetry,
      metrics: telemetry,
      settings: DEFAULT_SETTINGS,
      ids: randomIds,
      cloud,
      cluster: server.kubeCluster(TOKENS.tenon, clock),
      clusterState: new ClusterStateKeeper(),
    };
    install(fixedRuntime(ports));

    await server.must("POST", "/apis/karpenter.sh/v1/nodepools", { body: nodePoolObject("default", ON_DEMAND_ONLY) });
    await server.must("POST", "/apis/karpenter.k8s.aws/v1/ec2nodeclasses", { body: nodeClassObject(MOTO_CLUSTER) });
    const pods: Pod[] = [];
    for (let i = 0; i < REPLICAS; i++) {
      const name = `web-${i}`;
      pods.push(
        await server.must<Pod>("POST", "/api/v1/namespaces/default/pods", {
          body: { metadata: { name, labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "app:1", resources: { requests: { cpu: "500m", memory: "512Mi" } } }] } },
        }),
      );
      // kube-scheduler found no node: it marks the pod Unschedulable (that patch is what the audit log carries).
      await server.must("PATCH", `/api/v1/namespaces/default/pods/${name}/status`, {
        body: { status: { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/0 nodes are available" }] } },
        contentType: "application/merge-patch+json",
      });
    }

    await callBatcher(awslogsEvent(pods.map((p) => schedulerPatchAudit(p))));
    for (let round = 0; round < 3 && queue.pending().length > 0; round++) {
      await clock.advanceTo(Math.min(...queue.pending().map((m) => m.dueAtMs)));
      await deliver(queue.takeDue(clock.now()));
    }

    const records = await store.listNodeClaims();
    expect(records.length).toBeGreaterThan(0);
    const instances = (await account.clients.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["pending", "running"] }] })))
      .Reservations!.flatMap((r) => r.Instances ?? [])
      .map((i) => i.Tags?.find((t) => t.Key === "karpenter.sh/nodeclaim")?.Value);
    expect(instances.sort()).toEqual(records.map((r) => r.name).sort());
    // Nominated events went to the real API server as the tenon user.
    const events = (await server.must<{ items: Array<{ reason: string }> }>("GET", "/api/v1/namespaces/default/events")).items;
    expect(events.some((e) => e.reason === "Nominated")).toBe(true);

    for (let tick = 0; tick < 3; tick++) {
      await clock.advance(10_000);
      await callLifecycle();
    }
    const after = await store.listNodeClaims();
    expect(after.map((r) => r.phase)).toEqual(after.map(() => "Initialized"));
    const nodes = (await server.must<{ items: Node[] }>("GET", "/api/v1/nodes")).items;
    expect(nodes).toHaveLength(records.length);
    for (const node of nodes) {
      expect(node.metadata.labels).toMatchObject({ "karpenter.sh/nodepool": "default", "karpenter.sh/registered": "true", "karpenter.sh/initialized": "true" });
      expect(node.metadata.finalizers).toContain("karpenter.sh/termination");
      expect((node.spec.taints ?? []).map((t) => t.key)).not.toContain("karpenter.sh/unregistered");
    }

    expect(await bindPendingPods(server)).toBe(REPLICAS);
    const running = (await server.must<{ items: Pod[] }>("GET", "/api/v1/namespaces/default/pods")).items.filter((p) => p.spec.nodeName && p.status?.phase === "Running");
    expect(running).toHaveLength(REPLICAS);

    // The consolidator's tick writes the statuses back to the CRDs' status subresource, as the tenon user.
    await clock.advance(60_000);
    await callConsolidator();
    const pool = await server.must<{ status?: { nodes?: number; resources?: Record<string, string>; conditions?: Array<{ type: string; status: string }> } }>("GET", "/apis/karpenter.sh/v1/nodepools/default");
    expect(pool.status?.nodes).toBe(records.length);
    expect(pool.status?.resources?.["nodes"]).toBe(String(records.length));
    expect(pool.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    const nodeClass = await server.must<{ status?: { subnets?: unknown[]; securityGroups?: unknown[]; conditions?: Array<{ type: string; status: string }> } }>("GET", "/apis/karpenter.k8s.aws/v1/ec2nodeclasses/default");
    expect(nodeClass.status?.subnets?.length).toBeGreaterThan(0);
    expect(nodeClass.status?.securityGroups?.length).toBeGreaterThan(0);
    expect(nodeClass.status?.conditions?.some((c) => c.type === "ValidationSucceeded" && c.status === "True")).toBe(true);
  }, 180_000);
});
