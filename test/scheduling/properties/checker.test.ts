/**
 * The placement checker must accept correct results and catch each kind of violation, otherwise the
 * property tests built on it prove nothing. Results here are written by hand.
 */
import { describe, expect, it } from "vitest";
import type { DaemonSet, Pod } from "../../../lib/api/kubernetes.ts";
import type { SchedulingResult } from "../../../lib/scheduling/types.ts";
import { checkSchedule, obviouslySchedulable, type ViolationKind } from "../../support/scheduling-properties/checker.ts";
import { claim, existingNode, GiB, input, instanceType, nodePool, pod } from "../../support/scheduling-properties/fixtures.ts";

const offerings = [
  { zone: "zone-a", capacityType: "spot" as const, price: 0.03 },
  { zone: "zone-a", capacityType: "on-demand" as const, price: 0.1 },
  { zone: "zone-b", capacityType: "on-demand" as const, price: 0.1 },
];
const small = instanceType("small", 2000, 4 * GiB, offerings);
const large = instanceType("large", 8000, 32 * GiB, offerings);
const pool = { nodePool: nodePool("default"), instanceTypes: [small, large] };
const zoneA = { "topology.kubernetes.io/zone": "zone-a" };
const zoneB = { "topology.kubernetes.io/zone": "zone-b" };

function result(partial: Partial<SchedulingResult>): SchedulingResult {
  return { newNodeClaims: [], existingNodes: [], unschedulable: [], ...partial };
}

function kinds(violations: Array<{ kind: ViolationKind }>): ViolationKind[] {
  return [...new Set(violations.map((v) => v.kind))].sort();
}

describe("placement checker", () => {
  const a = pod("a", "500m", "1Gi");
  const b = pod("b", "500m", "1Gi");

  it("accepts a correct placement", () => {
    const res = result({ newNodeClaims: [claim("default", [small, large], [a, b], zoneA)] });
    expect(checkSchedule(input([a, b], [pool]), res)).toEqual([]);
  });

  it("catches a missing pod, a duplicate, and a pod that was never pending", () => {
    const stranger = pod("stranger", "1", "1Gi");
    const res = result({
      newNodeClaims: [claim("default", [small], [a, stranger], zoneA)],
      unschedulable: [{ pod: a, reason: "x" }],
    });
    expect(kinds(checkSchedule(input([a, b], [pool]), res))).toEqual(["duplicate", "missing", "unknown-pod"]);
  });

  it("catches an unschedulable pod without a reason", () => {
    expect(kinds(checkSchedule(input([a], [pool]), result({ unschedulable: [{ pod: a, reason: " " }] })))).toEqual(["reason"]);
  });

  it("catches pods that overflow any listed instance type", () => {
    const pods = [pod("p0", "1", "1Gi"), pod("p1", "1", "1Gi"), pod("p2", "1", "1Gi")];
    const res = result({ newNodeClaims: [claim("default", [large, small], pods, zoneA)] });
    const violations = checkSchedule(input(pods, [pool]), res);
    expect(kinds(violations)).toEqual(["resources"]);
    expect(violations[0]!.message).toContain("small");
  });

  it("counts DaemonSet overhead on new claims", () => {
    const ds: DaemonSet = {
      metadata: { name: "agent", namespace: "kube-system" },
      spec: { template: { spec: { containers: [{ name: "agent", resources: { requests: { cpu: "1600m" } } }] } } },
    };
    const res = result({ newNodeClaims: [claim("default", [small], [a], zoneA)] });
    expect(checkSchedule(input([a], [pool]), res)).toEqual([]);
    expect(kinds(checkSchedule(input([a], [pool], { daemonSets: [ds] }), res))).toEqual(["resources"]);
  });

  it("catches nodeSelector and required node affinity a claim does not guarantee", () => {
    const arm = pod("arm", "100m", "100Mi", { nodeSelector: { "kubernetes.io/arch": "arm64" } });
    const inB = pod("in-b", "100m", "100Mi", {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: ["zone-b"] }] }] } } },
    });
    const custom = pod("custom", "100m", "100Mi", { nodeSelector: { "example.com/team": "x" } });
    const res = result({ newNodeClaims: [claim("default", [small], [arm, inB, custom], zoneA)] });
    const violations = checkSchedule(input([arm, inB, custom], [pool]), res);
    expect(kinds(violations)).toEqual(["node-affinity"]);
    for (const name of ["default/arm", "default/in-b", "default/custom"]) expect(violations.some((v) => v.message.startsWith(name))).toBe(true);
  });

  it("catches an unpinned zone where a pod needs one zone", () => {
    const inA = pod("in-a", "100m", "100Mi", { nodeSelector: { "topology.kubernetes.io/zone": "zone-a" } });
    const res = result({ newNodeClaims: [claim("default", [small], [inA])] });
    expect(kinds(checkSchedule(input([inA], [pool]), res))).toEqual(["node-affinity"]);
  });

  it("catches untolerated taints, and accepts tolerated ones", () => {
    const taint = { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" as const };
    const gpuPool = { nodePool: nodePool("gpu", { taints: [taint] }), instanceTypes: [small] };
    const tolerant = pod("tolerant", "100m", "100Mi", { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists" }] });
    const ok = result({ newNodeClaims: [claim("gpu", [small], [tolerant], zoneA, [taint])] });
    expect(checkSchedule(input([tolerant], [gpuPool]), ok)).toEqual([]);
    const bad = result({ newNodeClaims: [claim("gpu", [small], [a], zoneA, [taint])] });
    expect(kinds(checkSchedule(input([a], [gpuPool]), bad))).toEqual(["taint"]);
    const dropped = result({ newNodeClaims: [claim("gpu", [small], [tolerant], zoneA)] });
    expect(kinds(checkSchedule(input([tolerant], [gpuPool]), dropped))).toEqual(["taint"]);
  });

  it("catches required pod anti-affinity on hostname", () => {
    const anti = (name: string): Pod =>
      pod(
        name,
        "100m",
        "100Mi",
        { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "db" } } }] } } },
        { app: "db" },
      );
    const [x, y] = [anti("x"), anti("y")];
    const together = result({ newNodeClaims: [claim("default", [small], [x, y], zoneA)] });
    expect(kinds(checkSchedule(input([x, y], [pool]), together))).toEqual(["pod-anti-affinity"]);
    const apart = result({ newNodeClaims: [claim("default", [small], [x], zoneA), claim("default", [small], [y], zoneA)] });
    expect(checkSchedule(input([x, y], [pool]), apart)).toEqual([]);
  });

  it("catches anti-affinity against a pod already running on an existing node", () => {
    const running = pod("running", "100m", "100Mi", { nodeName: "n1" }, { app: "db" });
    const incoming = pod("incoming", "100m", "100Mi", {
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "topology.kubernetes.io/zone", labelSelector: { matchLabels: { app: "db" } } }] } },
    });
    const node = existingNode("n1", zoneA, { cpu: 4000, memory: 8 * GiB, pods: 110 }, { pods: [running] });
    const res = result({ newNodeClaims: [claim("default", [small], [incoming], zoneA)] });
    expect(kinds(checkSchedule(input([incoming], [pool], { existingNodes: [node] }), res))).toEqual(["pod-anti-affinity"]);
    const inB = result({ newNodeClaims: [claim("default", [small], [incoming], zoneB)] });
    expect(checkSchedule(input([incoming], [pool], { existingNodes: [node] }), inB)).toEqual([]);
  });

  it("catches a required pod affinity that is not met", () => {
    const web = pod("web", "100m", "100Mi", {}, { app: "web" });
    const cache = pod("cache", "100m", "100Mi", {
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "topology.kubernetes.io/zone", labelSelector: { matchLabels: { app: "web" } } }] } },
    });
    const split = result({ newNodeClaims: [claim("default", [small], [web], zoneA), claim("default", [small], [cache], zoneB)] });
    expect(kinds(checkSchedule(input([web, cache], [pool]), split))).toEqual(["pod-affinity"]);
    const joined = result({ newNodeClaims: [claim("default", [small], [web, cache], zoneA)] });
    expect(checkSchedule(input([web, cache], [pool]), joined)).toEqual([]);
  });

  it("catches zonal topology spread beyond maxSkew, and accepts an even spread", () => {
    const spread = (name: string): Pod =>
      pod(
        name,
        "100m",
        "100Mi",
        { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } } }] },
        { app: "web" },
      );
    const pods = [0, 1, 2, 3].map((i) => spread(`web-${i}`));
    const lopsided = result({ newNodeClaims: [claim("default", [small], pods, zoneA)] });
    expect(kinds(checkSchedule(input(pods, [pool]), lopsided))).toEqual(["topology-spread"]);
    const even = result({ newNodeClaims: [claim("default", [small], pods.slice(0, 2), zoneA), claim("default", [small], pods.slice(2), zoneB)] });
    expect(checkSchedule(input(pods, [pool]), even)).toEqual([]);
    const unpinned = result({ newNodeClaims: [claim("default", [small], pods.slice(0, 2)), claim("default", [small], pods.slice(2), zoneB)] });
    expect(kinds(checkSchedule(input(pods, [pool]), unpinned))).toEqual(["topology-spread"]);
  });

  it("catches hostname topology spread beyond maxSkew", () => {
    const spread = (name: string): Pod =>
      pod(
        name,
        "100m",
        "100Mi",
        { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "h" } } }] },
        { app: "h" },
      );
    const pods = [0, 1, 2].map((i) => spread(`h-${i}`));
    const res = result({ newNodeClaims: [claim("default", [small], pods.slice(0, 2), zoneA), claim("default", [small], pods.slice(2), zoneA)] });
    expect(checkSchedule(input(pods, [pool]), res)).toEqual([]);
    const res2 = result({ newNodeClaims: [claim("default", [small], pods.slice(0, 1), zoneA), claim("default", [small], pods.slice(1, 3), zoneA), claim("default", [small], [], zoneA)] });
    expect(kinds(checkSchedule(input(pods, [pool]), res2))).toEqual(["instance-type", "topology-spread"]); // an empty claim is itself wrong
  });

  it("catches host port conflicts", () => {
    const withPort = (name: string) => pod(name, "100m", "100Mi", { containers: [{ name: "c", ports: [{ containerPort: 80, hostPort: 8080 }] }] });
    const [x, y] = [withPort("x"), withPort("y")];
    const res = result({ newNodeClaims: [claim("default", [small], [x, y], zoneA)] });
    expect(kinds(checkSchedule(input([x, y], [pool]), res))).toEqual(["host-port"]);
  });

  it("catches NodePool limits exceeded, counting existing nodes and each claim at its largest type", () => {
    const limited = { nodePool: nodePool("default", { limits: { cpu: "10" } }), instanceTypes: [small, large] };
    const res = result({ newNodeClaims: [claim("default", [small, large], [a], zoneA)] });
    expect(checkSchedule(input([a], [limited]), res)).toEqual([]);
    const owned = existingNode("n1", zoneA, { cpu: 4000, memory: 8 * GiB, pods: 110 }, { nodePoolName: "default" });
    expect(kinds(checkSchedule(input([a], [limited], { existingNodes: [owned] }), res))).toEqual(["limits"]);
  });

  it("checks existing nodes: fit with bound pods, cordoned nodes, unknown names", () => {
    const bound = pod("bound", "3", "1Gi", { nodeName: "n1" });
    const node = existingNode("n1", zoneA, { cpu: 4000, memory: 8 * GiB, pods: 110 }, { pods: [bound] });
    const fits = result({ existingNodes: [{ name: "n1", pods: [a] }] });
    expect(checkSchedule(input([a], [pool], { existingNodes: [node] }), fits)).toEqual([]);
    const big = pod("big", "1500m", "1Gi");
    expect(kinds(checkSchedule(input([big], [pool], { existingNodes: [node] }), result({ existingNodes: [{ name: "n1", pods: [big] }] })))).toEqual(["resources"]);
    const cordoned = { ...node, unschedulable: true };
    expect(kinds(checkSchedule(input([a], [pool], { existingNodes: [cordoned] }), fits))).toEqual(["unknown-node"]);
    expect(kinds(checkSchedule(input([a], [pool]), result({ existingNodes: [{ name: "ghost", pods: [a] }] })))).toContain("unknown-node");
  });

  it("catches a claim listing an instance type its NodePool does not have, or no usable offering", () => {
    const foreign = instanceType("foreign", 2000, 4 * GiB, offerings);
    const res = result({ newNodeClaims: [claim("default", [foreign], [a], zoneA)] });
    expect(kinds(checkSchedule(input([a], [pool]), res))).toEqual(["instance-type"]);
    const onlyB = instanceType("only-b", 2000, 4 * GiB, [{ zone: "zone-b", capacityType: "on-demand", price: 1 }]);
    const res2 = result({ newNodeClaims: [claim("default", [onlyB], [a], zoneA)] });
    expect(kinds(checkSchedule(input([a], [{ nodePool: nodePool("default"), instanceTypes: [onlyB] }]), res2))).toEqual(["instance-type"]);
  });

  it("knows when a pod obviously has a home, and when it does not", () => {
    const plain = pod("plain", "1", "1Gi");
    expect(obviouslySchedulable(input([plain], [pool]), plain)).toBe(true);
    const tainted = { nodePool: nodePool("t", { taints: [{ key: "k", effect: "NoSchedule" }] }), instanceTypes: [small] };
    expect(obviouslySchedulable(input([plain], [tainted]), plain)).toBe(false);
    const limited = { nodePool: nodePool("l", { limits: { cpu: "100" } }), instanceTypes: [small] };
    expect(obviouslySchedulable(input([plain], [limited]), plain)).toBe(false);
    const armOnly = { nodePool: nodePool("arm", { requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["arm64"] }] }), instanceTypes: [small, large] };
    expect(obviouslySchedulable(input([plain], [armOnly]), plain)).toBe(false);
    const huge = pod("huge", "9", "1Gi");
    expect(obviouslySchedulable(input([huge], [pool]), huge)).toBe(false);
    const picky = pod("picky", "1", "1Gi", { nodeSelector: { "kubernetes.io/arch": "amd64" } });
    expect(obviouslySchedulable(input([picky], [pool]), picky)).toBe(false);
  });

  it("catches pods placed away from their volume's zone, against a StorageClass's topologies, or without their claim", () => {
    const withClaim = pod("db", "100m", "100Mi", { volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-db" } }] });
    const pvIn = (zone: string) => ({
      metadata: { name: "pv-1" },
      spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In" as const, values: [zone] }] }] } } },
    });
    const boundClaim = { metadata: { name: "data-db", namespace: "default" }, spec: { volumeName: "pv-1" } };
    const inA = result({ newNodeClaims: [claim("default", [small], [withClaim], zoneA)] });
    const volumes = (zone: string) => ({ volumes: { claims: [boundClaim], volumes: [pvIn(zone)], storageClasses: [] } });
    expect(checkSchedule(input([withClaim], [pool], volumes("zone-a")), inA)).toEqual([]);
    expect(kinds(checkSchedule(input([withClaim], [pool], volumes("zone-b")), inA))).toEqual(["volume"]);
    expect(kinds(checkSchedule(input([withClaim], [pool]), inA))).toEqual(["volume"]);
    const unbound = { metadata: { name: "data-db", namespace: "default" }, spec: { storageClassName: "only-b" } };
    const onlyB = { metadata: { name: "only-b" }, provisioner: "ebs.csi.aws.com", allowedTopologies: [{ matchLabelExpressions: [{ key: "topology.kubernetes.io/zone", values: ["zone-b"] }] }] };
    expect(kinds(checkSchedule(input([withClaim], [pool], { volumes: { claims: [unbound], volumes: [], storageClasses: [onlyB] } }), inA))).toEqual(["volume"]);
    const inB = result({ newNodeClaims: [claim("default", [small], [withClaim], zoneB)] });
    expect(checkSchedule(input([withClaim], [pool], { volumes: { claims: [unbound], volumes: [], storageClasses: [onlyB] } }), inB)).toEqual([]);
    // A local volume's hostname is where it was: a new node elsewhere (in the volume's zone) is fine, the zone still holds.
    const local = (zone: string) => ({ metadata: { name: "pv-1" }, spec: { local: { path: "/mnt/ssd" }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In" as const, values: ["old-host"] }, { key: "topology.kubernetes.io/zone", operator: "In" as const, values: [zone] }] }] } } } });
    expect(checkSchedule(input([withClaim], [pool], { volumes: { claims: [boundClaim], volumes: [local("zone-a")], storageClasses: [] } }), inA)).toEqual([]);
    expect(kinds(checkSchedule(input([withClaim], [pool], { volumes: { claims: [boundClaim], volumes: [local("zone-b")], storageClasses: [] } }), inA))).toEqual(["volume"]);
  });
});
