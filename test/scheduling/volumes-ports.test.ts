import { describe, expect, it } from "vitest";
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from "../../lib/api/kubernetes.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { existingNode, input, pod, ZONE, ZONES } from "../support/builders.ts";
import { placementOf, reasonOf } from "../support/scheduling.ts";

const pvc = (name: string, spec: PersistentVolumeClaim["spec"]): PersistentVolumeClaim => ({ metadata: { name, namespace: "default" }, spec });
/** A claim the PersistentVolume controller has bound to `volumeName`. */
const bound = (name: string, volumeName: string, spec: PersistentVolumeClaim["spec"] = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: "default", annotations: { "pv.kubernetes.io/bind-completed": "yes" } },
  spec: { ...spec, volumeName },
  status: { phase: "Bound" },
});
const sc = (name: string, o: Partial<StorageClass> = {}): StorageClass => ({ metadata: { name }, provisioner: "ebs.csi.aws.com", volumeBindingMode: "WaitForFirstConsumer", ...o });
const withClaim = (name: string, claimName: string) => pod({ name, cpu: "1", volumes: [{ name: "data", persistentVolumeClaim: { claimName } }] });

describe("volume topology", () => {
  it("pins a pod to its bound volume's zone, reading the EBS CSI zone key as the zone", () => {
    const pv: PersistentVolume = {
      metadata: { name: "pv-1" },
      spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.ebs.csi.aws.com/zone", operator: "In", values: [ZONES[2]!] }] }] } } },
    };
    const r = schedule(input({ pods: [withClaim("p", "data-p")], volumes: { claims: [bound("data-p", "pv-1")], volumes: [pv], storageClasses: [] } }));
    expect(r.newNodeClaims[0]!.labels[ZONE]).toBe(ZONES[2]);
  });

  it("follows the StorageClass allowedTopologies of an unbound claim, including the default class", () => {
    const cls = sc("zonal", { allowedTopologies: [{ matchLabelExpressions: [{ key: ZONE, values: [ZONES[1]!] }] }], metadata: { name: "zonal", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } } });
    const r = schedule(input({ pods: [withClaim("p", "c1"), withClaim("q", "c2")], volumes: { claims: [pvc("c1", { storageClassName: "zonal" }), pvc("c2", {})], volumes: [], storageClasses: [cls] } }));
    expect(r.newNodeClaims.map((c) => c.labels[ZONE])).toEqual([ZONES[1]]);
    expect(r.unschedulable).toEqual([]);
  });

  it("uses the claim template of a generic ephemeral volume", () => {
    const cls = sc("zonal", { allowedTopologies: [{ matchLabelExpressions: [{ key: ZONE, values: [ZONES[0]!] }] }] });
    const p = pod({ name: "e", cpu: "1", volumes: [{ name: "scratch", ephemeral: { volumeClaimTemplate: { spec: { storageClassName: "zonal" } } } }] });
    const r = schedule(input({ pods: [p], volumes: { claims: [], volumes: [], storageClasses: [cls] } }));
    expect(r.newNodeClaims[0]!.labels[ZONE]).toBe(ZONES[0]);
  });

  it("reports a missing PersistentVolumeClaim as the reason", () => {
    const r = schedule(input({ pods: [withClaim("p", "nope")] }));
    expect(reasonOf(r, "p")).toBe("PersistentVolumeClaim default/nope not found");
    expect(r.newNodeClaims).toEqual([]);
  });
});

describe("host ports", () => {
  const hostPortPod = (name: string, port: number, protocol: "TCP" | "UDP" = "TCP") =>
    pod({ name, cpu: "100m", containers: [{ name: "c", resources: { requests: { cpu: "100m" } }, ports: [{ containerPort: port, hostPort: port, protocol }] }] });

  it("never puts two pods binding the same host port on one node", () => {
    const r = schedule(input({ pods: [hostPortPod("a", 8080), hostPortPod("b", 8080), hostPortPod("c", 8080, "UDP")] }));
    const where = placementOf(r);
    expect(where.a).not.toBe(where.b);
    expect([where.a, where.b]).toContain(where.c);
  });

  it("checks ports already used on existing nodes", () => {
    const node = existingNode("n1", { pods: [hostPortPod("bound", 9100)] });
    const r = schedule(input({ pods: [hostPortPod("new", 9100), hostPortPod("free", 9200)], existingNodes: [node] }));
    expect(placementOf(r)).toEqual({ new: "claim:0", free: "n1" });
  });
});
