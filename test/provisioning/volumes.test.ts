/**
 * Volumes through the provisioner, in-memory cloud and cluster: a claim the kube-scheduler would
 * refuse launches nothing and the run's why (what the journal records) says so; a claim the
 * cluster's volume binder has bound (and annotated) keeps pinning its pods where the volume is.
 */
import { describe, expect, it } from "vitest";
import type { PersistentVolumeClaim } from "../../lib/api/kubernetes.ts";
import { runLifecycle } from "../../lib/lifecycle/lifecycle.ts";
import { runProvisioner } from "../../lib/provisioning/provisioner.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";
import { podRequesting } from "../support/in-memory-cluster.ts";

const CLUSTER = "tenon-sim";

function world(): SimulatedWorld {
  const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore({ clusterName: CLUSTER }) });
  w.cluster.putCustomObject("NodePool", nodePoolObject("default", [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }]));
  w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(CLUSTER));
  w.cluster.addStorageClass({ metadata: { name: "gp3" }, provisioner: "ebs.csi.aws.com", volumeBindingMode: "WaitForFirstConsumer" });
  return w;
}

const usingClaim = (name: string, claimName: string) => podRequesting(name, "250m", { volumes: [{ name: "data", persistentVolumeClaim: { claimName } }] });
const claim = (name: string, extra: Partial<PersistentVolumeClaim["metadata"]> = {}): PersistentVolumeClaim => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, namespace: "default", ...extra },
  spec: { storageClassName: "gp3", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
});

describe("volumes through the provisioner", () => {
  it("launches nothing for a pod whose claim is being deleted, and the run's why names the claim", async () => {
    const w = world();
    w.cluster.addPersistentVolumeClaim(claim("going", { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: ["kubernetes.io/pvc-protection"] }));
    w.cluster.addPod(usingClaim("db", "going"));
    await w.cluster.advance(2_000);
    const report = await runProvisioner(w.ports, "tick");
    expect(report.launched).toBe(0);
    expect(report.scheduling?.groups.map((g) => g.unschedulable)).toEqual(["PersistentVolumeClaim default/going is being deleted"]);
  });

  it("keeps a later pod of a claim the cluster bound on first use in the volume's zone", async () => {
    const w = world();
    w.cluster.addPersistentVolumeClaim(claim("data"));
    w.cluster.addPod(usingClaim("first", "data"));
    await w.cluster.advance(2_000);
    expect((await runProvisioner(w.ports, "tick")).launched).toBe(1);
    for (let tick = 0; tick < 8; tick++) {
      await w.cluster.advance(30_000);
      await runLifecycle(w.ports);
    }
    const bound = (await w.cluster.listPersistentVolumeClaims()).items[0]!;
    expect(bound.spec.volumeName).toBeDefined();
    const zone = w.cluster.nodes()[0]!.metadata.labels!["topology.kubernetes.io/zone"];

    // A second pod of the claim, too big for the first node: its new node must be in the volume's zone.
    w.cluster.addPod(podRequesting("second", "3", { volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }] }));
    await w.cluster.advance(2_000);
    const before = new Set((await w.ports.store.listNodeClaims()).map((r) => r.name));
    const report = await runProvisioner(w.ports, "tick");
    expect(report.scheduling?.groups.filter((g) => g.unschedulable !== undefined)).toEqual([]);
    expect(report.launched).toBe(1);
    const added = (await w.ports.store.listNodeClaims()).filter((r) => !before.has(r.name));
    expect(added.map((r) => r.nodeClaim.spec.requirements.find((q) => q.key === "topology.kubernetes.io/zone")?.values)).toEqual([[zone]]);
  });
});
