/**
 * The Cluster port suite (test/cluster/cluster-port-suite.ts) on Tenon's Kubernetes adapter
 * (lib/kube) against a real kube-apiserver with etcd and Karpenter's CRDs, as the `tenon` user
 * whose rights come only from the documented ClusterRole. The fake API server
 * (test/support/fake-apiserver.ts) stays for what a real one can't be made to do: injected 401s,
 * expired tokens, slow responses.
 */
import { describe, it } from "vitest";
import { CUSTOM_RESOURCES, type CustomObjectKind, type RawObject } from "../../../lib/ports/cluster.ts";
import type { Pod } from "../../../lib/api/kubernetes.ts";
import { clusterPortSuite, type ClusterPortHarness, type SeenEvent } from "../cluster-port-suite.ts";
import { apiServerUnavailable, applyDocumentedRbac, startRealApiServer, TOKENS, type RealApiServer } from "../../support/apiserver.ts";

const skip = await apiServerUnavailable();

async function realHarness(): Promise<ClusterPortHarness> {
  const server = await startRealApiServer();
  await server.installKarpenterCrds();
  await applyDocumentedRbac(server);
  const namespaces = new Set(["default"]);
  let bare: RealApiServer | undefined;
  const ensureNamespace = async (name: string) => {
    if (namespaces.has(name)) return;
    await server.must("POST", "/api/v1/namespaces", { body: { metadata: { name } } });
    namespaces.add(name);
  };
  const customPath = (kind: CustomObjectKind) => `/apis/${CUSTOM_RESOURCES[kind].group}/${CUSTOM_RESOURCES[kind].version}/${CUSTOM_RESOURCES[kind].plural}`;
  return {
    cluster: server.kubeCluster(TOKENS.tenon),
    async createNode(node) {
      await server.must("POST", "/api/v1/nodes", { body: node });
    },
    async createPod(pod: Pod) {
      const namespace = pod.metadata.namespace ?? "default";
      await ensureNamespace(namespace);
      const { status, ...spec } = pod;
      await server.must("POST", `/api/v1/namespaces/${namespace}/pods`, { body: spec });
      // No kubelet runs: report the phase (and readiness) as one would.
      const phase = status?.phase ?? "Pending";
      const ready = phase === "Running" ? [{ type: "Ready", status: "True" }] : [];
      await server.must("PATCH", `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/status`, {
        body: { status: { phase, conditions: ready } },
        contentType: "application/merge-patch+json",
      });
    },
    async getPod(namespace, name) {
      const res = await server.request<Pod & { metadata: { deletionTimestamp?: string } }>("GET", `/api/v1/namespaces/${namespace}/pods/${name}`);
      return res.status === 404 ? undefined : res.body;
    },
    async createPodDisruptionBudget(pdb, disruptionsAllowed) {
      const namespace = pdb.metadata.namespace ?? "default";
      await ensureNamespace(namespace);
      const created = await server.must<{ metadata: { generation: number } }>("POST", `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`, { body: pdb });
      // No disruption controller runs: write the status it would compute. Evictions honour a
      // PDB only once its status has observed the current generation.
      await server.must("PATCH", `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/${pdb.metadata.name}/status`, {
        body: { status: { observedGeneration: created.metadata.generation, disruptionsAllowed, currentHealthy: 2, desiredHealthy: 2 - disruptionsAllowed, expectedPods: 2 } },
        contentType: "application/merge-patch+json",
      });
    },
    async createCustomObject(kind, object) {
      await server.must("POST", customPath(kind), { body: object });
    },
    async getCustomObject(kind, name) {
      const res = await server.request<RawObject>("GET", `${customPath(kind)}/${name}`);
      return res.status === 404 ? undefined : res.body;
    },
    async events(namespace) {
      const list = await server.must<{ items: SeenEvent[] }>("GET", `/api/v1/namespaces/${namespace}/events`);
      return list.items;
    },
    async compactedHistory() {
      // The watch cache serves watches from any resourceVersion still in its window, which on a
      // young server reaches back to its start; a long-running one (EKS) moves past old ones and
      // answers 410. A second server without the watch cache, compacted as the API server does
      // every 5 minutes, gives that answer now.
      bare ??= await startRealApiServer({ watchCache: false });
      await bare.must("POST", "/api/v1/nodes", { body: { metadata: { name: "compacted" } } });
      await bare.compactEtcd();
      return { cluster: bare.kubeCluster(TOKENS.admin), resourceVersion: "2" };
    },
    close: async () => {
      await bare?.stop();
      await server.stop();
    },
  };
}

if (skip) {
  describe("Cluster port on a real kube-apiserver", () => {
    it.skip(skip, () => {});
  });
} else {
  clusterPortSuite("a real kube-apiserver (lib/kube as the tenon user)", realHarness, 20 * 60_000);
}
