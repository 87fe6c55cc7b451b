/**
 * NodeClaims visible with `kubectl get nodeclaims`: the real provisioner and lifecycle handlers,
 * a real kube-apiserver with Karpenter's CRDs and the documented RBAC (the functions as the
 * `tenon` user), state in DynamoDB Local, the simulated EC2. The lifecycle tick mirrors the
 * table's records into NodeClaim objects, keeps their status, deletes the object when the record
 * goes, writes nothing when nothing changed, and mirrors nothing while a Karpenter holds its Lease.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Pod } from "../../lib/api/kubernetes.ts";
import type { LifecycleReport } from "../../lib/lifecycle/lifecycle.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { KARPENTER_LEASE_NAME, MIRROR_LABEL } from "../../lib/lifecycle/nodeclaim-mirror.ts";
import { apiServerUnavailable, applyDocumentedRbac, startRealApiServer, TOKENS, type RealApiServer } from "../support/apiserver.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";
import { callLifecycle, callProvisioner, CLUSTER, ON_DEMAND_ONLY, scheduledTick, useDynamoDbStores, useInstalledRuntime } from "../support/world.ts";

const skip = await apiServerUnavailable();

interface NodeClaimObject {
  metadata: { name: string; uid: string; resourceVersion: string; labels?: Record<string, string>; finalizers?: string[] };
  spec: { nodeClassRef: { name: string }; requirements: Array<{ key: string }>; resources?: { requests?: Record<string, string> } };
  status?: { providerID?: string; imageID?: string; capacity?: Record<string, string>; allocatable?: Record<string, string>; conditions?: Array<{ type: string; status: string }> };
}

describe.skipIf(Boolean(skip))("NodeClaim objects mirror the table on a real kube-apiserver", () => {
  const freshStore = useDynamoDbStores(CLUSTER);
  const install = useInstalledRuntime();
  let server: RealApiServer;

  beforeAll(async () => {
    server = await startRealApiServer();
    await server.installKarpenterCrds();
    await applyDocumentedRbac(server);
    await server.must("POST", "/apis/karpenter.sh/v1/nodepools", { body: nodePoolObject("default", ON_DEMAND_ONLY) });
    await server.must("POST", "/apis/karpenter.k8s.aws/v1/ec2nodeclasses", { body: nodeClassObject(CLUSTER) });
  }, 20 * 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  const nodeClaims = async () => (await server.must<{ items: NodeClaimObject[] }>("GET", "/apis/karpenter.sh/v1/nodeclaims")).items;

  async function worldOnServer(): Promise<SimulatedWorld> {
    const world = simulatedWorld({ clusterName: CLUSTER, store: await freshStore() });
    world.ports.cluster = server.kubeCluster(TOKENS.tenon, world.cluster.clock);
    install(fixedRuntime(world.ports));
    return world;
  }

  async function pendingPods(prefix: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const name = `${prefix}-${i}`;
      await server.must<Pod>("POST", "/api/v1/namespaces/default/pods", {
        body: { metadata: { name, labels: { app: prefix } }, spec: { containers: [{ name: "app", image: "app:1", resources: { requests: { cpu: "500m", memory: "512Mi" } } }] } },
      });
      await server.must("PATCH", `/api/v1/namespaces/default/pods/${name}/status`, {
        body: { status: { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/0 nodes are available" }] } },
        contentType: "application/merge-patch+json",
      });
    }
  }

  async function deletePods(prefix: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await server.must("DELETE", `/api/v1/namespaces/default/pods/${prefix}-${i}?gracePeriodSeconds=0`);
  }

  it("creates the object with its status at launch, changes nothing on a rerun, and deletes it when the record goes", async () => {
    const world = await worldOnServer();
    await pendingPods("web", 3);
    await callProvisioner(scheduledTick);
    const records = await world.ports.store.listNodeClaims();
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.phase === "Launched")).toBe(true);

    const first = (await callLifecycle()) as LifecycleReport;
    expect(first.mirror).toMatchObject({ mirrored: true, why: expect.stringContaining("no Karpenter holds its Lease") });
    const objects = await nodeClaims();
    expect(objects.map((o) => o.metadata.name).sort()).toEqual(records.map((r) => r.name).sort());
    for (const record of records) {
      const object = objects.find((o) => o.metadata.name === record.name)!;
      expect(object.metadata.labels).toMatchObject({ "karpenter.sh/nodepool": "default", [MIRROR_LABEL]: CLUSTER, "node.kubernetes.io/instance-type": record.nodeClaim.metadata.labels!["node.kubernetes.io/instance-type"] });
      expect(object.metadata.finalizers ?? []).toEqual([]);
      expect(object.spec.nodeClassRef.name).toBe("default");
      expect(object.spec.requirements.map((r) => r.key)).toContain("karpenter.sh/capacity-type");
      expect(object.spec.resources?.requests?.["cpu"]).toBeDefined();
      expect(object.status?.providerID).toBe(record.nodeClaim.status?.providerID);
      expect(object.status?.imageID).toBe(record.nodeClaim.status?.imageID);
      expect(object.status?.capacity?.["cpu"]).toBeDefined();
      expect(object.status?.allocatable?.["memory"]).toBeDefined();
      expect(object.status?.conditions?.find((c) => c.type === "Launched")?.status).toBe("True");
      expect(object.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("Unknown");
    }

    // A rerun over the same table writes nothing: every object keeps its resourceVersion.
    await world.cluster.advance(10_000);
    const again = (await callLifecycle()) as LifecycleReport;
    expect(again.mirror).toMatchObject({ mirrored: true, created: [], updated: [], deleted: [] });
    expect((await nodeClaims()).map((o) => o.metadata.resourceVersion).sort()).toEqual(objects.map((o) => o.metadata.resourceVersion).sort());

    // No Node ever registers (no kubelet here): past the registration TTL the lifecycle tick
    // terminates the instances and removes the records, and the objects go with them.
    await deletePods("web", 3);
    await world.cluster.advance(world.ports.settings.registrationTtlMs + 60_000);
    const expired = (await callLifecycle()) as LifecycleReport;
    expect(await world.ports.store.listNodeClaims()).toEqual([]);
    expect(expired.mirror?.deleted.sort()).toEqual(records.map((r) => r.name).sort());
    expect(await nodeClaims()).toEqual([]);
  }, 120_000);

  it("mirrors nothing in auto mode while a Karpenter renews its leader-election Lease", async () => {
    const world = await worldOnServer();
    await server.must("POST", "/api/v1/namespaces", { body: { metadata: { name: "karpenter" } } });
    const renewTime = new Date(world.cluster.clock.now() - 5_000).toISOString().replace(/Z$/, "000Z");
    await server.must("POST", "/apis/coordination.k8s.io/v1/namespaces/karpenter/leases", {
      body: { metadata: { name: KARPENTER_LEASE_NAME }, spec: { holderIdentity: "karpenter-5d8f_3b1c", leaseDurationSeconds: 15, renewTime } },
    });
    await pendingPods("api", 2);
    await callProvisioner(scheduledTick);
    expect((await world.ports.store.listNodeClaims()).length).toBeGreaterThan(0);

    const report = (await callLifecycle()) as LifecycleReport;
    expect(report.mirror).toMatchObject({ mirrored: false });
    expect(report.mirror?.why).toContain("Karpenter is running (Lease karpenter/karpenter-leader-election");
    expect(await nodeClaims()).toEqual([]);

    // The Lease left to go stale (Karpenter stopped): the next tick mirrors.
    await world.cluster.advance(10 * 60_000);
    const later = (await callLifecycle()) as LifecycleReport;
    expect(later.mirror).toMatchObject({ mirrored: true });
    expect((await nodeClaims()).length).toBe((await world.ports.store.listNodeClaims()).length);
    await deletePods("api", 2);
  }, 120_000);
});
