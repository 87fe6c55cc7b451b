/**
 * Volume cases after Karpenter's scheduling suite (VolumeUsage, volume topology, and topology with
 * volume requirements): claims the kube-scheduler would refuse launch nothing and say why; ORed
 * volume topology terms are alternatives; several volumes keep the alternatives they share.
 */
import { describe, expect, it } from "vitest";
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from "../../lib/api/kubernetes.ts";
import type { NodeSelectorTerm } from "../../lib/api/kubernetes.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import type { VolumeObjects } from "../../lib/scheduling/types.ts";
import { existingNode, HOSTNAME, input, instanceType, nodePool, option, pod, ZONE, ZONES } from "../support/builders.ts";
import { placementOf, reasonOf } from "../support/scheduling.ts";

const BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
const [A, B, C] = ZONES as [string, string, string];

const claim = (name: string, spec: PersistentVolumeClaim["spec"], o: { annotations?: Record<string, string>; deletionTimestamp?: string; phase?: string } = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: "default", ...(o.annotations ? { annotations: o.annotations } : {}), ...(o.deletionTimestamp ? { deletionTimestamp: o.deletionTimestamp } : {}) },
  spec,
  ...(o.phase ? { status: { phase: o.phase } } : {}),
});
/** A claim the PersistentVolume controller has bound to its volume. */
const boundClaim = (name: string, volumeName: string, spec: PersistentVolumeClaim["spec"] = {}) => claim(name, { ...spec, volumeName }, { annotations: { [BIND_COMPLETED]: "yes" }, phase: "Bound" });
const zoneTerm = (...zones: string[]): NodeSelectorTerm => ({ matchExpressions: [{ key: ZONE, operator: "In", values: zones }] });
const volume = (name: string, terms: NodeSelectorTerm[], spec: Partial<PersistentVolume["spec"]> = {}, deletionTimestamp?: string): PersistentVolume => ({
  metadata: { name, ...(deletionTimestamp ? { deletionTimestamp } : {}) },
  spec: { csi: { driver: "ebs.csi.aws.com" }, ...(terms.length ? { nodeAffinity: { required: { nodeSelectorTerms: terms } } } : {}), ...spec },
});
const storageClass = (name: string, o: Partial<StorageClass> = {}): StorageClass => ({ metadata: { name }, provisioner: "ebs.csi.aws.com", volumeBindingMode: "WaitForFirstConsumer", ...o });
const zonesClass = (name: string, ...terms: string[][]) => storageClass(name, { allowedTopologies: terms.map((zones) => ({ matchLabelExpressions: [{ key: ZONE, values: zones }] })) });
const withClaims = (name: string, claims: string[], extra: Partial<Pod["spec"]> & { labels?: Record<string, string> } = {}) =>
  pod({ name, cpu: "1", volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })), ...extra });
const objects = (o: Partial<VolumeObjects>): VolumeObjects => ({ claims: o.claims ?? [], volumes: o.volumes ?? [], storageClasses: o.storageClasses ?? [] });
const zoneOf = (r: ReturnType<typeof schedule>, podName: string) => r.newNodeClaims.find((c) => c.pods.some((p) => p.metadata.name === podName))?.labels[ZONE];

/** Two pods, each on its own claim, that may not share a zone. */
const apart = (name: string, claimName: string) =>
  withClaims(name, [claimName], { labels: { app: "apart" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "apart" } }, topologyKey: ZONE }] } } });

describe("claims the kube-scheduler refuses launch nothing", () => {
  const gp3 = storageClass("gp3");
  const cases: Array<{ name: string; volumes: Partial<VolumeObjects>; reason: RegExp }> = [
    { name: "a claim being deleted", volumes: { claims: [claim("data", { storageClassName: "gp3" }, { deletionTimestamp: "2026-01-01T00:00:00Z" })], storageClasses: [gp3] }, reason: /PersistentVolumeClaim default\/data is being deleted/ },
    { name: "a Lost claim", volumes: { claims: [claim("data", { storageClassName: "gp3" }, { phase: "Lost" })], storageClasses: [gp3] }, reason: /PersistentVolumeClaim default\/data is Lost/ },
    { name: "a bound volume being deleted", volumes: { claims: [boundClaim("data", "pv-1")], volumes: [volume("pv-1", [zoneTerm(A)], {}, "2026-01-01T00:00:00Z")] }, reason: /PersistentVolume pv-1 of claim default\/data is being deleted/ },
    { name: "an unbound claim whose class binds Immediate", volumes: { claims: [claim("data", { storageClassName: "fast" })], storageClasses: [storageClass("fast", { volumeBindingMode: "Immediate" })] }, reason: /StorageClass fast binds Immediate/ },
    { name: "an unbound claim with the empty storage class", volumes: { claims: [claim("data", { storageClassName: "" })], storageClasses: [gp3] }, reason: /default\/data is unbound and its storageClassName is empty/ },
    { name: "a claim naming its volume without the bind-completed annotation", volumes: { claims: [claim("data", { volumeName: "pv-1" })], volumes: [volume("pv-1", [zoneTerm(A)])] }, reason: /names PersistentVolume pv-1 but is not bound yet \(no pv\.kubernetes\.io\/bind-completed annotation\)/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, with the reason`, () => {
      const r = schedule(input({ pods: [withClaims("p", ["data"])], volumes: objects(c.volumes) }));
      expect(r.newNodeClaims).toEqual([]);
      expect(reasonOf(r, "p")).toMatch(c.reason);
    });
  }

  it("schedules the same claims once they are usable: bound and annotated, or waiting for their first consumer", () => {
    const r = schedule(input({
      pods: [withClaims("bound", ["b"]), withClaims("later", ["l"])],
      volumes: objects({ claims: [boundClaim("b", "pv-1"), claim("l", { storageClassName: "gp3" })], volumes: [volume("pv-1", [zoneTerm(A)])], storageClasses: [gp3] }),
    }));
    expect(r.unschedulable).toEqual([]);
    expect(zoneOf(r, "bound")).toBe(A);
  });

  it("schedules a bound claim whatever its storage class says (empty or missing): the volume decides", () => {
    const r = schedule(input({
      pods: [withClaims("p", ["empty"]), withClaims("q", ["gone"])],
      volumes: objects({ claims: [boundClaim("empty", "pv-1", { storageClassName: "" }), boundClaim("gone", "pv-2", { storageClassName: "no-such-class" })], volumes: [volume("pv-1", []), volume("pv-2", [])] }),
    }));
    expect(r.unschedulable).toEqual([]);
  });
});

describe("ORed volume topology terms are alternatives", () => {
  it("uses every zone of a PersistentVolume whose node affinity has one term per zone", () => {
    const pvs = ["pv-0", "pv-1"].map((n) => volume(n, [zoneTerm(A), zoneTerm(B)]));
    const r = schedule(input({ pods: [apart("p0", "c0"), apart("p1", "c1")], volumes: objects({ claims: [boundClaim("c0", "pv-0"), boundClaim("c1", "pv-1")], volumes: pvs }) }));
    expect(r.unschedulable).toEqual([]);
    expect(new Set([zoneOf(r, "p0"), zoneOf(r, "p1")])).toEqual(new Set([A, B]));
  });

  it("leaves the launch every zone the volume allows, as one requirement (the fleet may fall back between them)", () => {
    const r = schedule(input({ pods: [withClaims("p", ["c"])], volumes: objects({ claims: [boundClaim("c", "pv")], volumes: [volume("pv", [zoneTerm(A), zoneTerm(C)])] }) }));
    expect(r.newNodeClaims[0]!.requirements.find((q) => q.key === ZONE)?.values).toEqual([A, C]);
  });

  it("uses every allowedTopologies term of a StorageClass", () => {
    const r = schedule(input({
      pods: [apart("p0", "c0"), apart("p1", "c1")],
      volumes: objects({ claims: [claim("c0", { storageClassName: "two" }), claim("c1", { storageClassName: "two" })], storageClasses: [zonesClass("two", [B], [C])] }),
    }));
    expect(r.unschedulable).toEqual([]);
    expect(new Set([zoneOf(r, "p0"), zoneOf(r, "p1")])).toEqual(new Set([B, C]));
  });

  it("keeps, across several volumes, the zones their alternatives share", () => {
    const r = schedule(input({
      pods: [withClaims("p", ["pinned", "fresh"])],
      volumes: objects({ claims: [boundClaim("pinned", "pv-1"), claim("fresh", { storageClassName: "bc" })], volumes: [volume("pv-1", [zoneTerm(A), zoneTerm(B)])], storageClasses: [zonesClass("bc", [B], [C])] }),
    }));
    expect(zoneOf(r, "p")).toBe(B);
  });

  // Two volumes whose terms leave two combinations: (nvme disk and zone B) or (ebs disk and zone A).
  const DISK = "example.com/disk";
  const media = storageClass("media", { allowedTopologies: [{ matchLabelExpressions: [{ key: DISK, values: ["nvme"] }] }, { matchLabelExpressions: [{ key: DISK, values: ["ebs"] }] }] });
  const placed = storageClass("placed", {
    allowedTopologies: [
      { matchLabelExpressions: [{ key: ZONE, values: [A] }, { key: DISK, values: ["ebs"] }] },
      { matchLabelExpressions: [{ key: ZONE, values: [B] }, { key: DISK, values: ["nvme"] }] },
    ],
  });
  const twoVolumes = objects({ claims: [claim("m", { storageClassName: "media" }), claim("z", { storageClassName: "placed" })], storageClasses: [media, placed] });

  it("puts a pod on an existing node that meets its second remaining combination", () => {
    const nvmeInB = existingNode("nvme-b", { labels: { [ZONE]: B, [DISK]: "nvme" } });
    const ebsInA = existingNode("ebs-a", { labels: { [ZONE]: A, [DISK]: "ebs" } });
    const ebsInB = existingNode("ebs-b", { labels: { [ZONE]: B, [DISK]: "ebs" } });
    const r = schedule(input({ pods: [withClaims("p", ["m", "z"])], existingNodes: [ebsInB, ebsInA, nvmeInB], volumes: twoVolumes }));
    // The first combination fits nvme-b; on the nodes tried before it, only the second fits ebs-a.
    expect(placementOf(r)).toEqual({ p: "ebs-a" });
  });

  it("tries the combinations of several volumes' terms that remain, in order, until one can launch", () => {
    // Local NVMe disks exist only in zone C, so only (ebs and zone A) can launch.
    const disk = (value: string) => ({ key: DISK, operator: "In" as const, values: [value] });
    const types = [
      instanceType("ebs.4x", { cpu: "4", memory: "16Gi", price: 0.2, requirements: [disk("ebs")] }),
      instanceType("nvme.4x", { cpu: "4", memory: "16Gi", price: 0.1, zones: [C], requirements: [disk("nvme")] }),
    ];
    const pool = option(nodePool("default", { requirements: [{ key: DISK, operator: "In", values: ["ebs", "nvme"] }] }), types);
    const r = schedule(input({ pods: [withClaims("p", ["m", "z"])], nodePools: [pool], volumes: twoVolumes }));
    expect(r.unschedulable).toEqual([]);
    expect(r.newNodeClaims[0]!.labels).toMatchObject({ [ZONE]: A, [DISK]: "ebs" });
  });

  it("reports volumes whose topologies share nothing", () => {
    const r = schedule(input({
      pods: [withClaims("p", ["x", "y"])],
      volumes: objects({ claims: [boundClaim("x", "pv-x"), boundClaim("y", "pv-y")], volumes: [volume("pv-x", [zoneTerm(A)]), volume("pv-y", [zoneTerm(B), zoneTerm(C)])] }),
    }));
    expect(r.newNodeClaims).toEqual([]);
    expect(reasonOf(r, "p")).toMatch(/topologies of the pod's volumes have nothing in common/);
  });
});

describe("local and hostPath volumes", () => {
  for (const source of [{ local: { path: "/mnt/disks/ssd0" } }, { hostPath: { path: "/var/data" } }]) {
    const kind = Object.keys(source)[0];
    it(`${kind}: a term with only the old host's name leaves the pod unconstrained, whatever term comes first`, () => {
      const pv = volume("pv-1", [zoneTerm("no-such-zone"), { matchExpressions: [{ key: HOSTNAME, operator: "In", values: ["old-host"] }] }], source);
      const r = schedule(input({ pods: [withClaims("p", ["data"])], volumes: objects({ claims: [boundClaim("data", "pv-1")], volumes: [pv] }) }));
      expect(r.unschedulable).toEqual([]);
      expect(r.newNodeClaims).toHaveLength(1);
    });

    it(`${kind}: the old host's name is dropped and the rest of the term kept`, () => {
      const pv = volume("pv-1", [{ matchExpressions: [{ key: HOSTNAME, operator: "In", values: ["old-host"] }, { key: ZONE, operator: "In", values: [C] }] }], source);
      const r = schedule(input({ pods: [withClaims("p", ["data"])], volumes: objects({ claims: [boundClaim("data", "pv-1")], volumes: [pv] }) }));
      expect(zoneOf(r, "p")).toBe(C);
    });
  }

  it("keeps the hostname of a network volume: it can only be used on that host", () => {
    const pv = volume("pv-1", [{ matchExpressions: [{ key: HOSTNAME, operator: "In", values: ["old-host"] }] }]);
    const r = schedule(input({ pods: [withClaims("p", ["data"])], volumes: objects({ claims: [boundClaim("data", "pv-1")], volumes: [pv] }) }));
    expect(r.newNodeClaims).toEqual([]);
  });
});

describe("zonal volumes and topology spread", () => {
  it("places a pod with a zonal volume and a minDomains spread where the volume is, counting every zone", () => {
    const labels = { app: "spread" };
    const spread = [{ topologyKey: ZONE, maxSkew: 1, whenUnsatisfiable: "DoNotSchedule" as const, minDomains: 3, labelSelector: { matchLabels: labels } }];
    const nodes = [A, B, C].map((z, i) => existingNode(`n-${z}`, { labels: { [ZONE]: z }, pods: [pod({ name: `running-${i}`, cpu: "1", labels })] }));
    const r = schedule(input({
      pods: [withClaims("p", ["data"], { labels, topologySpreadConstraints: spread })],
      existingNodes: nodes,
      volumes: objects({ claims: [boundClaim("data", "pv-1")], volumes: [volume("pv-1", [zoneTerm(A)])] }),
    }));
    expect(placementOf(r)).toEqual({ p: `n-${A}` });
  });
});
