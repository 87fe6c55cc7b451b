/**
 * KubeCluster reads against the fake API server: the request shapes, continue tokens expiring
 * mid-list (410), slimming. Selectors, paging and the rest run against a real kube-apiserver
 * (test/cluster/kube/real-apiserver-cluster.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ListExpiredError, formatLabelSelector, listAll } from "../../../lib/ports/cluster.ts";
import { startFakeApiServer, type FakeApiServer } from "../../../lib/cluster/kube/fake-apiserver.ts";
import { clusterAgainst, node, pod } from "../../support/kube.ts";

let server: FakeApiServer;
beforeEach(async () => {
  server = await startFakeApiServer();
});
afterEach(async () => {
  await server.close();
});

describe("KubeCluster reads", () => {
  it("asks the API server for unbound, unfinished pods with a field selector, and keeps timestamps as strings", async () => {
    server.put("/pods", pod("waiting"));
    server.put("/pods", pod("running", { nodeName: "n1" }));
    server.put("/pods", pod("finished-unbound", { phase: "Succeeded" }));
    server.put("/pods", pod("failed-unbound", { phase: "Failed" }));
    const page = await clusterAgainst(server).listPendingPods();

    expect(page.items.map((p) => p.metadata.name)).toEqual(["waiting"]);
    expect(page.items[0]!.metadata.creationTimestamp).toBe("2026-01-01T00:00:00.000Z");
    const req = server.requests.at(-1)!;
    expect(req.method).toBe("GET");
    expect(req.path).toBe("/api/v1/pods");
    expect(req.query.fieldSelector).toBe("spec.nodeName=,status.phase!=Succeeded,status.phase!=Failed");
    expect(req.query.limit).toBe("500");
  });

  it("starts the whole list over when a continue token has expired (410 Gone), instead of mixing snapshots", async () => {
    for (let i = 0; i < 5; i++) server.put("/nodes", node(`node-${i}`));
    const cluster = clusterAgainst(server);
    let pages = 0;
    const nodes = await listAll(async (o) => {
      if (++pages === 2) server.expireContinueTokens(); // compaction between page 1 and page 2
      return cluster.listNodes(o);
    }, 2);

    expect(nodes.map((n) => n.metadata.name)).toEqual(["node-0", "node-1", "node-2", "node-3", "node-4"]);
    const lists = server.requests.filter((r) => r.path === "/api/v1/nodes");
    expect(lists.map((r) => Boolean(r.query.continue))).toEqual([false, true, false, true, true]);
  });

  it("gives up with ListExpiredError when tokens keep expiring", async () => {
    for (let i = 0; i < 3; i++) server.put("/nodes", node(`node-${i}`));
    const cluster = clusterAgainst(server);
    const always = async (o: { limit?: number; continue?: string }) => {
      if (o.continue) server.expireContinueTokens();
      return cluster.listNodes(o);
    };
    await expect(listAll(always, 1, 2)).rejects.toBeInstanceOf(ListExpiredError);
  });

  it("pages custom objects too, at the karpenter group paths, unconverted", async () => {
    for (const name of ["a", "b", "c"]) {
      server.put("karpenter.k8s.aws/ec2nodeclasses", {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        metadata: { name },
        spec: { amiSelectorTerms: [{ alias: "al2023@latest" }], role: "NodeRole" },
      });
    }
    server.put("karpenter.sh/nodepools", { apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "default" }, spec: { weird: 1 } });
    const cluster = clusterAgainst(server);
    const classes = await listAll((o) => cluster.listCustomObjects("EC2NodeClass", o), 2);
    const pools = await listAll((o) => cluster.listCustomObjects("NodePool", o));

    expect(classes.map((c) => (c.metadata as { name: string }).name)).toEqual(["a", "b", "c"]);
    expect(classes[0]!.spec).toEqual({ amiSelectorTerms: [{ alias: "al2023@latest" }], role: "NodeRole" });
    expect(pools[0]!.spec).toEqual({ weird: 1 });
    const paths = server.requests.map((r) => r.path);
    expect(paths.filter((p) => p === "/apis/karpenter.k8s.aws/v1/ec2nodeclasses")).toHaveLength(2);
    expect(paths).toContain("/apis/karpenter.sh/v1/nodepools");
  });

  it("reads DaemonSets, PDBs and storage objects from their API groups", async () => {
    server.put("apps/daemonsets", {
      metadata: { name: "ds", namespace: "kube-system" },
      spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c" }] } } },
    });
    server.put("policy/poddisruptionbudgets", { metadata: { name: "pdb", namespace: "web" }, spec: { minAvailable: 2 } });
    server.put("storage.k8s.io/storageclasses", { metadata: { name: "gp3" }, provisioner: "ebs.csi.aws.com", volumeBindingMode: "WaitForFirstConsumer" });
    server.put("/persistentvolumeclaims", { metadata: { name: "data", namespace: "web" }, spec: { storageClassName: "gp3" } });
    server.put("/persistentvolumes", { metadata: { name: "pv-1" }, spec: { storageClassName: "gp3" } });
    const cluster = clusterAgainst(server);

    expect((await cluster.listDaemonSets()).items[0]!.spec.template.spec.containers[0]!.name).toBe("c");
    expect((await cluster.listPodDisruptionBudgets()).items[0]!.spec.minAvailable).toBe(2);
    expect((await cluster.listStorageClasses()).items[0]!.volumeBindingMode).toBe("WaitForFirstConsumer");
    expect((await cluster.listPersistentVolumeClaims()).items[0]!.spec.storageClassName).toBe("gp3");
    expect((await cluster.listPersistentVolumes()).items[0]!.metadata.name).toBe("pv-1");
    expect(server.requests.map((r) => r.path)).toEqual([
      "/apis/apps/v1/daemonsets",
      "/apis/policy/v1/poddisruptionbudgets",
      "/apis/storage.k8s.io/v1/storageclasses",
      "/api/v1/persistentvolumeclaims",
      "/api/v1/persistentvolumes",
    ]);
  });

  it("drops managedFields, container env/probes, container statuses and node images as pages arrive", async () => {
    const heavy = pod("heavy", { nodeName: "n1" }) as Record<string, any>;
    heavy.metadata.managedFields = [{ manager: "kubectl", operation: "Apply", fieldsV1: { "f:spec": {} } }];
    heavy.spec.containers[0].env = [{ name: "SECRET_URL", value: "x" }];
    heavy.spec.containers[0].livenessProbe = { httpGet: { path: "/", port: 80 } };
    heavy.spec.containers[0].resources = { requests: { cpu: "250m" } };
    heavy.status.containerStatuses = [{ name: "app", ready: true, restartCount: 0, image: "app:1", imageID: "sha", containerID: "c" }];
    server.put("/pods", heavy);
    const bigNode = node("n1") as Record<string, any>;
    bigNode.metadata.managedFields = [{ manager: "kubelet" }];
    bigNode.status.images = [{ names: ["registry/a:1"], sizeBytes: 123 }];
    server.put("/nodes", bigNode);
    const cluster = clusterAgainst(server);

    const [p] = (await cluster.listActivePods()).items;
    expect(p!.metadata).not.toHaveProperty("managedFields");
    expect(p!.spec.containers[0]).toEqual({ name: "app", image: "app:1", resources: { requests: { cpu: "250m" } } });
    expect(p!.status).toEqual({ phase: "Running" });
    const [n] = (await cluster.listNodes()).items;
    expect(n!.metadata).not.toHaveProperty("managedFields");
    expect(n!.status).toEqual({ allocatable: { cpu: "4", memory: "16Gi", pods: "110" } });
    expect((await cluster.getNode("n1"))!.status).not.toHaveProperty("images");
  });
});
