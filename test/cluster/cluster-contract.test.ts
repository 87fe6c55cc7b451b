/** The Cluster port contract against both adapters: the in-memory cluster, and the kube adapter over the fake API server. */
import type { Pod, PodDisruptionBudget } from "../../lib/api/kubernetes.ts";
import { startFakeApiServer } from "../../lib/cluster/kube/fake-apiserver.ts";
import { evictionVerdict } from "../../lib/cluster/in-memory/disruption-budget.ts";
import { SimulatedCluster } from "../../lib/cluster/in-memory/in-memory-cluster.ts";
import type { ClusterEvent } from "../../lib/ports/cluster.ts";
import { clusterAgainst } from "../support/kube.ts";
import { clusterContract } from "./cluster-contract.ts";

clusterContract("in-memory", async () => {
  const cluster = new SimulatedCluster();
  return {
    cluster,
    addNode: (n) => void cluster.addNode(n),
    addPod: (p) => void cluster.addPod(p),
    addPodDisruptionBudget: (b) => void cluster.addPodDisruptionBudget(b),
    addNodePool: (o) => cluster.putCustomObject("NodePool", o),
    addVolumeAttachment: (a) => void cluster.addVolumeAttachment(a),
    pod: (namespace, name) => cluster.pod(namespace, name),
    events: () => cluster.events({ source: "tenon" }),
  };
});

clusterContract("kube adapter over the fake API server", async () => {
  const server = await startFakeApiServer();
  // The fake leaves PodDisruptionBudgets to the test; this one answers as the API server would.
  server.evictionBlocker = (namespace, name) => {
    const pods = server.list("/pods") as unknown as Pod[];
    const target = pods.find((p) => p.metadata.name === name && p.metadata.namespace === namespace);
    if (!target) return undefined;
    const verdict = evictionVerdict(target, pods, server.list("policy/poddisruptionbudgets") as unknown as PodDisruptionBudget[]);
    return verdict.allowed ? undefined : `Cannot evict pod as it would violate the pod's disruption budget. ${verdict.message ?? ""}`;
  };
  return {
    cluster: clusterAgainst(server),
    addNode: (n) => void server.put("/nodes", n as never),
    addPod: (p) => void server.put("/pods", p as never),
    addPodDisruptionBudget: (b) => void server.put("policy/poddisruptionbudgets", b as never),
    addNodePool: (o) => void server.put("karpenter.sh/nodepools", o as never),
    addVolumeAttachment: (a) => void server.put("storage.k8s.io/volumeattachments", a as never),
    pod: (namespace, name) => server.get("/pods", name, namespace) as unknown as Pod | undefined,
    events: () => server.list("/events") as unknown as ClusterEvent[],
    close: () => server.close(),
  };
});
