import { describe, expect, it } from "vitest";
import type { Node, Pod, VolumeAttachment } from "../../lib/api/kubernetes.ts";
import type { Action } from "../../lib/actions/actions.ts";
import type { CloudInstance, InstanceState } from "../../lib/ports/cloud.ts";
import type { NodeClaimRecord } from "../../lib/ports/store.ts";
import { decideTermination, drainHolds, type TerminationInput } from "../../lib/termination/decide.ts";
import { pod } from "../support/builders.ts";
import { claimContent } from "../support/records.ts";

const DELETED_AT = Date.parse("2026-01-01T00:00:00Z");
const PROVIDER = "aws:///us-east-1a/i-0000000000000000a";

function node(o: { deleting?: boolean; taints?: Node["spec"]["taints"] } = {}): Node {
  return {
    metadata: {
      name: "n1",
      finalizers: ["karpenter.sh/termination"],
      ...(o.deleting === false ? {} : { deletionTimestamp: new Date(DELETED_AT).toISOString() }),
    },
    spec: { providerID: PROVIDER, taints: o.taints ?? [] },
  };
}

function record(o: { gracePeriodMs?: number; phase?: NodeClaimRecord["phase"] } = {}): NodeClaimRecord {
  const content = claimContent("claim-1", o.phase ?? "Initialized");
  if (o.gracePeriodMs !== undefined) content.nodeClaim.spec.terminationGracePeriod = o.gracePeriodMs;
  content.nodeClaim.status = { providerID: PROVIDER };
  content.launch = { attempts: 1, instanceId: "i-0000000000000000a" };
  return { ...content, name: "claim-1", createdAtMs: 0, updatedAtMs: 0, version: 3 };
}

function instance(state: InstanceState = "running"): CloudInstance {
  return { providerId: PROVIDER, instanceId: "i-0000000000000000a", instanceType: "m5.large", zone: "us-east-1a", capacityType: "on-demand", imageId: "ami-1", launchTimeMs: 0, state, tags: {} };
}

function decide(pods: Pod[], o: Partial<TerminationInput> & { at?: number } = {}): Action[] {
  return decideTermination({
    nodes: [node({ taints: [{ key: "karpenter.sh/disrupted", effect: "NoSchedule" }] })],
    records: [record()],
    podsByNode: new Map([["n1", pods]]),
    instances: [instance()],
    nowMs: o.at ?? DELETED_AT + 1000,
    ...o,
  });
}

const evicted = (actions: Action[]) => actions.flatMap((a) => (a.kind === "evict-pod" ? [a.pod] : []));
const kinds = (actions: Action[]) => actions.map((a) => a.kind);

describe("decideTermination", () => {
  it("taints a Node being deleted karpenter.sh/disrupted:NoSchedule, once", () => {
    const first = decideTermination({ nodes: [node()], records: [record()], podsByNode: new Map(), instances: [instance()], nowMs: DELETED_AT });
    expect(first.find((a) => a.kind === "taint-node")).toMatchObject({ node: "n1", taint: { key: "karpenter.sh/disrupted", effect: "NoSchedule" } });
    expect(kinds(decide([pod({ name: "a" })]))).not.toContain("taint-node");
  });

  it("leaves Nodes that are not being deleted, or that Tenon does not hold, alone", () => {
    const notDeleting = decideTermination({ nodes: [node({ deleting: false })], records: [record()], podsByNode: new Map([["n1", [pod()]]]), instances: [instance()], nowMs: DELETED_AT });
    expect(notDeleting).toEqual([]);
    const foreign = node();
    foreign.metadata.finalizers = [];
    expect(decideTermination({ nodes: [foreign], records: [], podsByNode: new Map([["n1", [pod()]]]), instances: [], nowMs: DELETED_AT })).toEqual([]);
  });

  it("evicts in Karpenter's order: non-critical, non-critical DaemonSet, critical, critical DaemonSet", () => {
    const app = pod({ name: "app" });
    const ds = pod({ name: "ds", ownerKind: "DaemonSet" });
    const crit = pod({ name: "crit", priorityClassName: "system-cluster-critical" });
    const critDs = pod({ name: "crit-ds", ownerKind: "DaemonSet", priorityClassName: "system-node-critical" });
    expect(evicted(decide([critDs, crit, ds, app]))).toEqual(["app"]);
    expect(evicted(decide([critDs, crit, ds]))).toEqual(["ds"]);
    expect(evicted(decide([critDs, crit]))).toEqual(["crit"]);
    expect(evicted(decide([critDs]))).toEqual(["crit-ds"]);
  });

  it("skips mirror pods, finished pods and pods tolerating the disrupted taint, and terminates once only those are left", () => {
    const mirror = pod({ name: "mirror" });
    mirror.metadata.annotations = { "kubernetes.io/config.mirror": "x" };
    const done = { ...pod({ name: "done" }), status: { phase: "Succeeded" } };
    const failed = { ...pod({ name: "failed" }), status: { phase: "Failed" } };
    const tolerant = pod({ name: "tolerant", tolerations: [{ key: "karpenter.sh/disrupted", operator: "Exists" }] });
    const actions = decide([mirror, done, failed, tolerant]);
    expect(evicted(actions)).toEqual([]);
    expect(actions).toEqual([expect.objectContaining({ kind: "terminate-instance", instanceId: "i-0000000000000000a" })]);
  });

  it("keeps asking while a PDB refuses: the same eviction every tick, and no termination", () => {
    const blocked = pod({ name: "guarded" });
    for (const at of [DELETED_AT + 1000, DELETED_AT + 60_000, DELETED_AT + 3600_000]) {
      const actions = decide([blocked], { at });
      expect(evicted(actions)).toEqual(["guarded"]);
      expect(kinds(actions)).not.toContain("terminate-instance");
    }
  });

  it("waits for do-not-disrupt pods until the terminationGracePeriod, then terminates", () => {
    const pinned = pod({ name: "pinned" });
    pinned.metadata.annotations = { "karpenter.sh/do-not-disrupt": "true" };
    const withGrace = { records: [record({ gracePeriodMs: 600_000 })] };
    const before = decide([pinned], { ...withGrace, at: DELETED_AT + 569_000 });
    expect(before).toEqual([]);
    const after = decide([pinned], { ...withGrace, at: DELETED_AT + 600_000 });
    expect(after).toEqual([expect.objectContaining({ kind: "terminate-instance" })]);
    // Without a terminationGracePeriod it waits forever.
    expect(decide([pinned], { at: DELETED_AT + 365 * 24 * 3600_000 })).toEqual([]);
  });

  it("deletes the pods still there (no PDB check) early enough for their own grace period to end by the deadline", () => {
    const pinned = pod({ name: "pinned" });
    pinned.metadata.annotations = { "karpenter.sh/do-not-disrupt": "true" };
    const slow = pod({ name: "slow", terminationGracePeriodSeconds: 120 });
    const withGrace = { records: [record({ gracePeriodMs: 600_000 })] };
    const deleted = (actions: Action[]) => actions.flatMap((a) => (a.kind === "delete-pod" ? [a.pod] : []));
    // 8 minutes in: "slow" (a PDB keeps refusing its eviction) needs 120 s, so it goes now; "pinned" (30 s by default) waits.
    const early = decide([pinned, slow], { ...withGrace, at: DELETED_AT + 480_000 });
    expect(deleted(early)).toEqual(["slow"]);
    expect(evicted(early)).toEqual([]);
    // 30 s before the deadline "pinned" goes too; a pod already terminating is not deleted again.
    const terminating = { ...slow, metadata: { ...slow.metadata, deletionTimestamp: new Date(DELETED_AT + 480_000).toISOString() } };
    expect(deleted(decide([pinned, terminating], { ...withGrace, at: DELETED_AT + 570_000 }))).toEqual(["pinned"]);
    // Without a terminationGracePeriod nothing is ever deleted.
    expect(deleted(decide([pinned, slow], { at: DELETED_AT + 365 * 24 * 3600_000 }))).toEqual([]);
  });

  it("the terminationGracePeriod also ends a PDB's wait", () => {
    const actions = decide([pod({ name: "guarded" })], { records: [record({ gracePeriodMs: 60_000 })], at: DELETED_AT + 60_000 });
    expect(kinds(actions)).toEqual(["terminate-instance"]);
  });

  it("terminates the instance, then, once it is shutting down, removes the finalizer and deletes the record", () => {
    expect(kinds(decide([]))).toEqual(["terminate-instance"]);
    for (const state of ["shutting-down", "terminated"] as const) {
      const actions = decide([], { instances: [instance(state)] });
      expect(actions).toEqual([
        expect.objectContaining({ kind: "remove-node-finalizer", node: "n1", finalizer: "karpenter.sh/termination" }),
        expect.objectContaining({ kind: "delete-nodeclaim", record: expect.objectContaining({ name: "claim-1" }) }),
      ]);
    }
    expect(kinds(decide([], { instances: [] }))).toEqual(["remove-node-finalizer", "delete-nodeclaim"]);
  });

  it("waits for the drained node's volume attachments to go before terminating, until the terminationGracePeriod", () => {
    const attachment = (name: string, pv?: string): VolumeAttachment => ({ metadata: { name }, spec: { attacher: "ebs.csi.aws.com", nodeName: "n1", source: pv ? { persistentVolumeName: pv } : {} } });
    const attached = { volumeAttachmentsByNode: new Map([["n1", [attachment("csi-a", "pv-data")]]]) };
    expect(decide([], attached)).toEqual([]);
    expect(drainHolds(node(), { podsByNode: new Map(), ...attached, nowMs: DELETED_AT }).volumeAttachments).toEqual(["csi-a (pv-data)"]);
    // Pods still to go come first: the attachments are not what holds the node then.
    expect(evicted(decide([pod({ name: "db" })], attached))).toEqual(["db"]);
    // The attachments gone: terminate.
    expect(kinds(decide([], { volumeAttachmentsByNode: new Map([["n1", []]]) }))).toEqual(["terminate-instance"]);
    // An attachment of no persistent volume (an inline volume) does not hold termination.
    expect(kinds(decide([], { volumeAttachmentsByNode: new Map([["n1", [attachment("csi-inline")]]]) }))).toEqual(["terminate-instance"]);
    // The terminationGracePeriod ends the wait, and says what was left.
    const late = decide([], { ...attached, records: [record({ gracePeriodMs: 60_000 })], at: DELETED_AT + 60_000 });
    expect(late).toEqual([expect.objectContaining({ kind: "terminate-instance", reason: expect.stringMatching(/1 volume attachment\(s\) left: csi-a \(pv-data\)/) })]);
  });

  it("ignores the attachments of volumes used by pods the drain leaves alone, as Karpenter", () => {
    const attach = (name: string, pv: string): VolumeAttachment => ({ metadata: { name }, spec: { attacher: "ebs.csi.aws.com", nodeName: "n1", source: { persistentVolumeName: pv } } });
    const agent = pod({ name: "agent", tolerations: [{ key: "karpenter.sh/disrupted", operator: "Exists" }], volumes: [{ name: "state", persistentVolumeClaim: { claimName: "agent-state" } }] });
    const claimVolumes = new Map([["default/agent-state", "pv-agent"]]);
    const input = { volumeAttachmentsByNode: new Map([["n1", [attach("csi-agent", "pv-agent")]]]), claimVolumes };
    expect(kinds(decide([agent], input))).toEqual(["terminate-instance"]);
    // Another volume on the same node still holds it.
    const both = { volumeAttachmentsByNode: new Map([["n1", [attach("csi-agent", "pv-agent"), attach("csi-db", "pv-db")]]]), claimVolumes };
    expect(decide([agent], both)).toEqual([]);
    // Without knowing the agent's claim, its attachment holds the node too (safe side).
    expect(decide([agent], { volumeAttachmentsByNode: input.volumeAttachmentsByNode })).toEqual([]);
  });

  it("bounds the evictions of one tick", () => {
    const many = Array.from({ length: 10 }, (_, i) => pod({ name: `p${i}` }));
    expect(evicted(decide(many, { maxEvictions: 3 }))).toHaveLength(3);
  });

  it("a NodeClaim record marked for deletion deletes its Node first, and without a Node goes straight to its instance", () => {
    const marked = record({ phase: "Terminating" });
    const withNode = decideTermination({ nodes: [node({ deleting: false })], records: [marked], podsByNode: new Map(), instances: [instance()], nowMs: DELETED_AT });
    expect(withNode).toEqual([expect.objectContaining({ kind: "delete-node", node: "n1" })]);
    const withoutNode = decideTermination({ nodes: [], records: [marked], podsByNode: new Map(), instances: [instance()], nowMs: DELETED_AT });
    expect(kinds(withoutNode)).toEqual(["terminate-instance"]);
    const instanceGone = decideTermination({ nodes: [], records: [marked], podsByNode: new Map(), instances: [instance("terminated")], nowMs: DELETED_AT });
    expect(kinds(instanceGone)).toEqual(["delete-nodeclaim"]);
  });

  it("every action says why", () => {
    for (const a of decide([pod({ name: "x" })])) expect(a.reason).toMatch(/\w/);
  });
});
