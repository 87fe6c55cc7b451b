import { describe, expect, it } from "vitest";
import { DEFAULT_TIMINGS } from "../../../lib/cluster/in-memory/in-memory-cluster.ts";
import { failedSchedulingEvent, incompatibleWithNodePool, isMarkedUnschedulable, listAll, nominatedEvent, updateNodeTaints } from "../../../lib/ports/cluster.ts";
import { deployment, instance, podRequesting, readyNode, simulatedCluster, taintKeys } from "../../support/in-memory-cluster.ts";

const { bootMs, readyMs, startupTaintRemovalMs, reactionMs } = DEFAULT_TIMINGS;
/** A gp3 StorageClass (WaitForFirstConsumer), claim "data" and a one-replica Deployment "db" mounting it, played out. */
async function runDatabaseWithClaim(sim: ReturnType<typeof simulatedCluster>): Promise<void> {
  sim.addStorageClass({ metadata: { name: "gp3" }, provisioner: "ebs.csi.aws.com", volumeBindingMode: "WaitForFirstConsumer" });
  sim.addPersistentVolumeClaim({ metadata: { name: "data", namespace: "default" }, spec: { storageClassName: "gp3", resources: { requests: { storage: "10Gi" } } } });
  const db = deployment("db", 1);
  db.spec.template.spec.volumes = [{ name: "data", persistentVolumeClaim: { claimName: "data" } }];
  sim.addWorkload(db);
  await sim.runUntilIdle();
}

const CILIUM = { key: "node.cilium.io/agent-not-ready", effect: "NoExecute" as const, value: "true" };

describe("simulated kubelets", () => {
  it("register a Node only after the boot delay, with the NodeClaim's labels and every registration taint", async () => {
    const sim = simulatedCluster();
    sim.instanceLaunched(instance("i-1", { taints: [{ key: "dedicated", value: "web", effect: "NoSchedule" }], startupTaints: [CILIUM] }));

    await sim.advance(bootMs - 1);
    expect(sim.nodes()).toEqual([]);
    await sim.advance(1);
    const node = sim.node("i-1")!;
    expect(node.spec.providerID).toBe("aws:///us-east-1a/i-1");
    expect(node.metadata.labels).toMatchObject({
      "karpenter.sh/nodepool": "default",
      team: "web",
      "kubernetes.io/hostname": "i-1",
      "node.kubernetes.io/instance-type": "m5.large",
      "topology.kubernetes.io/zone": "us-east-1a",
      "karpenter.sh/capacity-type": "on-demand",
    });
    expect(taintKeys(node)).toEqual([
      "dedicated:NoSchedule",
      "karpenter.sh/unregistered:NoExecute",
      "node.cilium.io/agent-not-ready:NoExecute",
      "node.kubernetes.io/not-ready:NoSchedule",
    ]);
    expect(node.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
    expect(node.status?.allocatable).toEqual({ cpu: "1930m", memory: "7Gi", pods: "29" });
    expect(sim.nodeClaimNameOf("i-1")).toBe("default-i-1");
  });

  it("report Ready later, and the startup taint's owner removes it after that; the unregistered taint stays for Tenon", async () => {
    const sim = simulatedCluster();
    sim.instanceLaunched(instance("i-1", { startupTaints: [CILIUM] }));
    await sim.advance(bootMs + readyMs);
    const ready = sim.node("i-1")!;
    expect(ready.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(taintKeys(ready)).toEqual(["karpenter.sh/unregistered:NoExecute", "node.cilium.io/agent-not-ready:NoExecute"]);

    await sim.advance(startupTaintRemovalMs);
    expect(taintKeys(sim.node("i-1"))).toEqual(["karpenter.sh/unregistered:NoExecute"]);
  });

  it("never register an instance that does not join, or one terminated before it booted", async () => {
    const sim = simulatedCluster();
    sim.instanceLaunched(instance("i-broken", { joins: false }));
    sim.instanceLaunched(instance("i-gone"));
    sim.instanceTerminated("aws:///us-east-1a/i-gone");
    await sim.runUntilIdle();
    expect(sim.nodes()).toEqual([]);
  });
});

describe("simulated kube-scheduler", () => {
  it("marks a pod Unschedulable while nothing fits, then binds it once new capacity is registered, ready and untainted", async () => {
    const sim = simulatedCluster();
    sim.addPod(podRequesting("web-1", "1"));
    await sim.advance(reactionMs);
    const waiting = sim.pod("default", "web-1")!;
    expect(isMarkedUnschedulable(waiting)).toBe(true);
    expect(sim.events({ source: "default-scheduler" }).map((e) => e.reason)).toEqual(["FailedScheduling"]);
    expect((await sim.listPendingPods()).items.map((p) => p.metadata.name)).toEqual(["web-1"]);

    sim.instanceLaunched(instance("i-1", { startupTaints: [CILIUM] }));
    await sim.advance(bootMs + readyMs);
    // Tenon's lifecycle function links the node and lifts the unregistered taint.
    await updateNodeTaints(sim, "i-1", (taints) => taints.filter((t) => t.key !== "karpenter.sh/unregistered"));
    await sim.advance(reactionMs);
    expect(sim.pod("default", "web-1")!.spec.nodeName).toBeUndefined(); // the CNI taint still blocks it

    await sim.advance(startupTaintRemovalMs);
    await sim.runUntilIdle();
    const bound = sim.pod("default", "web-1")!;
    expect(bound.spec.nodeName).toBe("i-1");
    expect(bound.status?.phase).toBe("Running");
    expect((await sim.listPendingPods()).items).toEqual([]);
    expect((await sim.listPodsOnNode("i-1")).items.map((p) => p.metadata.name)).toEqual(["web-1"]);
  });

  it("leaves a pod pending when the only node is too small for it", async () => {
    const sim = simulatedCluster();
    sim.addNode(readyNode("small", { cpu: "1", memory: "4Gi", pods: "110" }));
    sim.addPod(podRequesting("big", "2"));
    await sim.runUntilIdle();
    expect(sim.pod("default", "big")!.spec.nodeName).toBeUndefined();
    expect(isMarkedUnschedulable(sim.pod("default", "big")!)).toBe(true);
    expect(sim.pod("default", "big")!.status?.conditions?.find((c) => c.type === "PodScheduled")?.message).toBe(
      "0/1 nodes are available: 1 Insufficient cpu.",
    );
  });

  it("explains a rejection per node, as kube-scheduler does, in the FailedScheduling event", async () => {
    const sim = simulatedCluster();
    sim.addNode(readyNode("tainted", undefined, [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }]));
    sim.addNode(readyNode("cordoned"));
    await sim.setNodeUnschedulable("cordoned", true);
    sim.addNode(readyNode("busy", { cpu: "1", memory: "1Gi", pods: "110" }));
    sim.addPod(podRequesting("web", "1500m"));
    await sim.runUntilIdle();
    expect(sim.events({ source: "default-scheduler", reason: "FailedScheduling" }).map((e) => e.message)).toEqual([
      "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated=gpu:NoSchedule}, 1 node(s) were unschedulable.",
    ]);
  });

  it("runs a DaemonSet pod on a node once the node no longer carries taints it doesn't tolerate", async () => {
    const sim = simulatedCluster();
    sim.addDaemonSet({
      metadata: { name: "node-exporter", namespace: "monitoring" },
      spec: { template: { metadata: { labels: { app: "ne" } }, spec: { containers: [{ name: "c", resources: { requests: { cpu: "100m" } } }] } } },
    });
    sim.instanceLaunched(instance("i-1"));
    await sim.advance(bootMs + readyMs + reactionMs);
    expect((await sim.listPodsOnNode("i-1")).items).toEqual([]); // unregistered:NoExecute is not tolerated
    await updateNodeTaints(sim, "i-1", (taints) => taints.filter((t) => t.key !== "karpenter.sh/unregistered"));
    await sim.runUntilIdle();
    const pods = (await sim.listPodsOnNode("i-1")).items;
    expect(pods.map((p) => p.metadata.ownerReferences?.[0]?.name)).toEqual(["node-exporter"]);
  });
});

describe("simulated controllers and evictions", () => {
  it("recreates a Deployment's pod after it is evicted, and the scheduler binds the replacement", async () => {
    const sim = simulatedCluster();
    sim.addNode(readyNode("n1"));
    sim.addWorkload(deployment("web", 2));
    await sim.runUntilIdle();
    const before = sim.pods().map((p) => p.metadata.name).sort();
    expect(before).toHaveLength(2);
    expect(sim.pods().every((p) => p.spec.nodeName === "n1")).toBe(true);

    expect(await sim.evictPod("default", before[0]!)).toEqual({ outcome: "evicted" });
    expect(sim.pod("default", before[0]!)).toBeUndefined();
    await sim.runUntilIdle();

    const after = sim.pods();
    expect(after).toHaveLength(2);
    expect(after.map((p) => p.metadata.name)).not.toContain(before[0]);
    expect(after.every((p) => p.spec.nodeName === "n1" && p.metadata.ownerReferences?.[0]?.kind === "ReplicaSet")).toBe(true);
  });

  it("blocks an eviction a PodDisruptionBudget forbids, as a typed result naming the budget, and keeps the pod", async () => {
    const sim = simulatedCluster();
    sim.addNode(readyNode("n1"));
    sim.addWorkload(deployment("web", 2));
    sim.addPodDisruptionBudget({ metadata: { name: "web-pdb", namespace: "default" }, spec: { selector: { matchLabels: { app: "web" } }, maxUnavailable: 1 } });
    await sim.runUntilIdle();
    const [first, second] = sim.pods().map((p) => p.metadata.name);

    expect(await sim.evictPod("default", first!)).toEqual({ outcome: "evicted" });
    // Its replacement is not running yet, so the budget has no disruption left.
    const blocked = await sim.evictPod("default", second!);
    expect(blocked.outcome).toBe("blocked");
    expect(blocked.outcome === "blocked" && blocked.message).toContain("web-pdb needs 1 healthy pods and has 1 currently");
    expect(sim.pod("default", second!)).toBeDefined();

    await sim.runUntilIdle(); // the replacement starts running
    expect(await sim.evictPod("default", second!)).toEqual({ outcome: "evicted" });
    expect(await sim.evictPod("default", "no-such-pod")).toEqual({ outcome: "not-found" });
  });

  it("provisions a claim's volume in the zone of the first pod's node, so the replacement stays in that zone", async () => {
    const sim = simulatedCluster();
    const inZone = (name: string, zone: string) => {
      const n = readyNode(name);
      n.metadata.labels!["topology.kubernetes.io/zone"] = zone;
      return n;
    };
    sim.addNode(inZone("a1", "us-east-1a"));
    await runDatabaseWithClaim(sim);

    const volumes = (await sim.listPersistentVolumes()).items;
    expect(volumes).toHaveLength(1);
    expect(volumes[0]!.spec.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values).toEqual(["us-east-1a"]);
    expect((await sim.listPersistentVolumeClaims()).items[0]!.spec.volumeName).toBe(volumes[0]!.metadata.name);

    // A node appears in another zone and the first node goes: the pod can only wait for zone a.
    sim.addNode(inZone("b1", "us-east-1b"));
    await sim.deleteNode("a1");
    await sim.runUntilIdle();
    const [replacement] = sim.pods();
    expect(replacement!.spec.nodeName).toBeUndefined();
    sim.addNode(inZone("a2", "us-east-1a"));
    await sim.runUntilIdle();
    expect(sim.pods()[0]!.spec.nodeName).toBe("a2");
  });

  it("attaches a bound pod's volume to its node and detaches it detachMs after the last pod using it there leaves", async () => {
    const sim = simulatedCluster();
    sim.addNode(readyNode("a1"));
    await runDatabaseWithClaim(sim);
    const pv = (await sim.listPersistentVolumes()).items[0]!.metadata.name;
    const attached = async () => (await listAll((o) => sim.listVolumeAttachments(o))).map((a) => [a.spec.nodeName, a.spec.source.persistentVolumeName]);
    expect(await attached()).toEqual([["a1", pv]]);

    // Evicted, its replacement comes back on the same node before the detach: the attachment stays.
    const [first] = sim.pods();
    await sim.evictPod("default", first!.metadata.name);
    await sim.advance(DEFAULT_TIMINGS.detachMs + reactionMs);
    expect(sim.pods()).toHaveLength(1);
    expect(await attached()).toEqual([["a1", pv]]);

    // Scaled to zero: the attachment goes detachMs later, not before.
    sim.scaleWorkload("default", "db", 0);
    await sim.advance(reactionMs);
    const [pod] = sim.pods();
    if (pod) await sim.evictPod("default", pod.metadata.name);
    await sim.advance(DEFAULT_TIMINGS.detachMs - 1_000);
    expect(await attached()).toEqual([["a1", pv]]);
    await sim.advance(2 * reactionMs);
    expect(await attached()).toEqual([]);
  });

  it("keeps a node with a finalizer until the finalizer goes, then garbage-collects its pods, which come back elsewhere", async () => {
    const sim = simulatedCluster();
    sim.addNode(readyNode("old"));
    sim.addWorkload(deployment("web", 1));
    await sim.runUntilIdle();
    await sim.addNodeFinalizer("old", "karpenter.sh/termination");

    expect(await sim.deleteNode("old")).toBe("deleted");
    expect(sim.node("old")?.metadata.deletionTimestamp).toBeDefined();
    sim.addNode(readyNode("new"));
    await sim.removeNodeFinalizer("old", "karpenter.sh/termination");
    expect(sim.node("old")).toBeUndefined();
    await sim.runUntilIdle();
    expect(sim.pods().map((p) => p.spec.nodeName)).toEqual(["new"]);
    expect(await sim.deleteNode("old")).toBe("not-found");
  });
});

describe("simulated Cluster port writes", () => {
  it("records Tenon's events once each, apart from the scheduler's", async () => {
    const sim = simulatedCluster();
    const pod = sim.addPod(podRequesting("web-1", "1"));
    await sim.recordEvent(nominatedEvent(pod, "default-x1"));
    await sim.recordEvent(nominatedEvent(pod, "default-x1"));
    await sim.recordEvent(failedSchedulingEvent(pod, incompatibleWithNodePool("gpu", "no instance type has nvidia.com/gpu")));

    const tenon = sim.events({ source: "tenon" });
    expect(tenon.map((e) => [e.reason, e.message])).toEqual([
      ["Nominated", "Pod should schedule on NodeClaim default-x1"],
      ["FailedScheduling", "incompatible with NodePool gpu because no instance type has nvidia.com/gpu"],
    ]);
    expect(tenon[0]!.involvedObject).toMatchObject({ kind: "Pod", name: "web-1", namespace: "default" });
  });

  it("refuses a taint write at a stale resourceVersion, and merges labels with null removing one", async () => {
    const sim = simulatedCluster();
    const node = sim.addNode(readyNode("n1"));
    await sim.patchNodeMetadata("n1", { labels: { "karpenter.sh/initialized": "true" } });
    expect(await sim.replaceNodeTaints("n1", [], node.metadata.resourceVersion!)).toEqual({ outcome: "conflict" });
    await sim.patchNodeMetadata("n1", { labels: { "karpenter.sh/initialized": null } });
    expect(sim.node("n1")!.metadata.labels?.["karpenter.sh/initialized"]).toBeUndefined();
    expect(sim.node("n1")!.metadata.labels?.["kubernetes.io/hostname"]).toBe("n1");
  });

  it("filters active pods and nodes by a label selector", async () => {
    const sim = simulatedCluster();
    sim.addPod({ ...podRequesting("web-1", "1"), metadata: { name: "web-1", namespace: "default", labels: { app: "web", tier: "front" } } });
    sim.addPod({ ...podRequesting("db-1", "1"), metadata: { name: "db-1", namespace: "default", labels: { app: "db" } } });
    const page = await sim.listActivePods({ labelSelector: "app in (web,api),tier" });
    expect(page.items.map((p) => p.metadata.name)).toEqual(["web-1"]);
    sim.addNode(readyNode("plain"));
    sim.instanceLaunched(instance("i-1"));
    await sim.advance(bootMs);
    const coming = await sim.listNodes({ labelSelector: "karpenter.sh/nodepool,!karpenter.sh/initialized" });
    expect(coming.items.map((n) => n.metadata.name)).toEqual(["i-1"]);
  });

  it("pages every read and writes NodePool conditions on the status only", async () => {
    const sim = simulatedCluster();
    for (let i = 0; i < 5; i++) sim.addNode(readyNode(`n${i}`));
    expect((await listAll((o) => sim.listNodes(o), 2)).map((n) => n.metadata.name)).toEqual(["n0", "n1", "n2", "n3", "n4"]);

    sim.putCustomObject("NodePool", { apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "default" }, spec: { limits: { cpu: "10" } } });
    const ready = { type: "Ready", status: "True" as const, reason: "Ready", message: "", lastTransitionTime: "2026-01-01T00:00:00.000Z" };
    expect(await sim.setCustomObjectConditions("NodePool", "default", [ready])).toBe("written");
    expect(await sim.setCustomObjectConditions("NodePool", "missing", [ready])).toBe("not-found");
    const [pool] = (await sim.listCustomObjects("NodePool")).items;
    expect(pool).toMatchObject({ spec: { limits: { cpu: "10" } }, status: { conditions: [ready] } });
  });
});
