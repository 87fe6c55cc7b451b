import { describe, expect, it } from "vitest";
import type { Taint } from "../../lib/api/types.ts";
import type { Node } from "../../lib/api/kubernetes.ts";
import type { CloudInstance } from "../../lib/ports/cloud.ts";
import type { NodeClaimPhase, NodeClaimRecord } from "../../lib/ports/store.ts";
import { decideLifecycle, notInitializedBecause, type LifecycleInput } from "../../lib/lifecycle/decisions.ts";

const MIN = 60_000;
const timing = { registrationTtlMs: 15 * MIN, pendingRecordTtlMs: 15 * MIN, gcGraceMs: 30_000, launchAttempts: 3 };
const CILIUM: Taint = { key: "node.cilium.io/agent-not-ready", value: "true", effect: "NoExecute" };

function record(name: string, phase: NodeClaimPhase, extra: { id?: string; createdAtMs?: number; launchedAtMs?: number; attempts?: number; requests?: Record<string, string> } = {}): NodeClaimRecord {
  const id = extra.id;
  return {
    name, phase, createdAtMs: extra.createdAtMs ?? 0, updatedAtMs: 0, version: 1,
    launch: { attempts: extra.attempts ?? (id ? 1 : 0), ...(id ? { instanceId: id, lastAttemptAtMs: extra.launchedAtMs ?? 0 } : {}) },
    nodeClaim: {
      apiVersion: "karpenter.sh/v1", kind: "NodeClaim",
      metadata: { name, labels: { "karpenter.sh/nodepool": "default" } },
      spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [], taints: [], startupTaints: [CILIUM], expireAfter: null,
        ...(extra.requests ? { resources: { requests: extra.requests } } : {}),
      },
      ...(id ? { status: { providerID: `aws:///us-east-1a/${id}` } } : {}),
    },
  };
}

function node(id: string, options: { ready?: boolean; taints?: Taint[]; allocatable?: Record<string, string> } = {}): Node {
  return {
    metadata: { name: `ip-${id}` },
    spec: { providerID: `aws:///us-east-1a/${id}`, taints: options.taints ?? [] },
    status: { allocatable: options.allocatable ?? { cpu: "2", memory: "8Gi", pods: "29" }, conditions: [{ type: "Ready", status: options.ready === false ? "False" : "True" }] },
  };
}

function instance(id: string, launchTimeMs = 0, nodeClaimName?: string): CloudInstance {
  return {
    providerId: `aws:///us-east-1a/${id}`, instanceId: id, instanceType: "m6i.large", zone: "us-east-1a", capacityType: "on-demand", imageId: "ami-1",
    launchTimeMs, state: "running", tags: {}, ...(nodeClaimName ? { nodeClaimName } : {}),
  };
}

const decide = (input: Partial<LifecycleInput>) => decideLifecycle({ records: [], nodes: [], instances: [], nowMs: 0, timing, ...input });
/** The steps decided, one per unit of actions (`register:<record>`, `terminate-leaked:<instance>`, ...). */
const kinds = (input: Partial<LifecycleInput>) => [...new Set(decide(input).map((a) => a.unit))];

describe("registration", () => {
  it("registers a launched NodeClaim once a Node with its provider ID exists", () => {
    const r = record("default-aaaaa", "Launched", { id: "i-1" });
    expect(kinds({ records: [r], nodes: [node("i-1")], instances: [instance("i-1", 0, r.name)] })).toEqual(["register:default-aaaaa"]);
  });

  it("waits while no such Node exists", () => {
    const r = record("default-aaaaa", "Launched", { id: "i-1" });
    expect(kinds({ records: [r], nodes: [node("i-2")], instances: [instance("i-1", 0, r.name)], nowMs: 5 * MIN })).toEqual([]);
  });
});

describe("initialization", () => {
  const r = record("default-aaaaa", "Registered", { id: "i-1", requests: { cpu: "1", "nvidia.com/gpu": "1" } });
  const gpu = { cpu: "2", memory: "8Gi", pods: "29", "nvidia.com/gpu": "1" };

  it("initializes a Ready node without startup taints whose requested extended resources are registered", () => {
    expect(notInitializedBecause(r, node("i-1", { allocatable: gpu }))).toBeUndefined();
    expect(kinds({ records: [r], nodes: [node("i-1", { allocatable: gpu })], instances: [instance("i-1", 0, r.name)] })).toEqual(["initialize:default-aaaaa"]);
  });

  it("names what still blocks it: readiness, the startup taint, the unregistered taint, a missing extended resource", () => {
    expect(notInitializedBecause(r, node("i-1", { ready: false, allocatable: gpu }))).toBe("not Ready");
    expect(notInitializedBecause(r, node("i-1", { taints: [CILIUM], allocatable: gpu }))).toBe("startup taint node.cilium.io/agent-not-ready:NoExecute still present");
    expect(notInitializedBecause(r, node("i-1", { taints: [{ key: "karpenter.sh/unregistered", effect: "NoExecute" }], allocatable: gpu }))).toBe("still tainted karpenter.sh/unregistered");
    expect(notInitializedBecause(r, node("i-1"))).toBe("requested resource nvidia.com/gpu not registered yet");
    expect(kinds({ records: [r], nodes: [node("i-1", { taints: [CILIUM], allocatable: gpu })], instances: [instance("i-1", 0, r.name)] })).toEqual([]);
  });
});

describe("liveness", () => {
  const r = record("default-aaaaa", "Launched", { id: "i-1", launchedAtMs: 1_000 });
  const live = [instance("i-1", 1_000, r.name)];

  it("keeps a launched NodeClaim without a Node until 15 minutes after its launch, then terminates it", () => {
    expect(kinds({ records: [r], instances: live, nowMs: 1_000 + 15 * MIN - 1 })).toEqual([]);
    const actions = decide({ records: [r], instances: live, nowMs: 1_000 + 15 * MIN });
    expect(actions.map((a) => [a.unit, a.kind])).toEqual([
      ["terminate-unregistered:default-aaaaa", "terminate-instance"],
      ["terminate-unregistered:default-aaaaa", "delete-nodeclaim"],
    ]);
    expect(actions[0]).toMatchObject({ instanceId: "i-1" });
  });

  it("forgets a record that never launched after the pending TTL, and one that used up its launch attempts", () => {
    const stale = record("default-stale", "Pending", { createdAtMs: 0 });
    const young = record("default-young", "Pending", { createdAtMs: 10 * MIN });
    const failed = { ...record("default-fail", "Pending", { attempts: 3 }), launch: { attempts: 3, lastError: "ICE" } };
    expect(kinds({ records: [stale, young, failed], nowMs: 15 * MIN })).toEqual(["forget:default-stale", "forget:default-fail"]);
  });
});

describe("garbage collection", () => {
  it("terminates a tagged instance no record owns only after the grace period", () => {
    const leak = instance("i-9", 0, "default-zzzzz");
    expect(kinds({ instances: [leak], nowMs: 29_999 })).toEqual([]);
    expect(kinds({ instances: [leak], nowMs: 30_000 })).toEqual(["terminate-leaked:i-9"]);
  });

  it("leaves an instance alone whose record exists but has no provider ID yet (launch in progress)", () => {
    const r = record("default-aaaaa", "Pending");
    expect(kinds({ records: [r], instances: [instance("i-1", 0, "default-aaaaa")], nowMs: MIN })).toEqual([]);
  });

  it("removes a record and its Node when the instance is gone, instead of registering it", () => {
    const r = record("default-aaaaa", "Launched", { id: "i-1" });
    const actions = decide({ records: [r], nodes: [node("i-1")], instances: [], nowMs: MIN });
    expect(actions.map((a) => [a.unit, a.kind, "node" in a ? a.node : a.kind === "delete-nodeclaim" ? a.record.name : ""])).toEqual([
      ["remove-vanished:default-aaaaa", "remove-node-finalizer", "ip-i-1"],
      ["remove-vanished:default-aaaaa", "delete-node", "ip-i-1"],
      ["remove-vanished:default-aaaaa", "delete-nodeclaim", "default-aaaaa"],
    ]);
  });
});
