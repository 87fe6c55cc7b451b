/**
 * Which Nodes are leaving and which pods they give back (lib/disruption/deleting.ts): the rule the
 * provisioner and the disruption decisions share.
 */
import { describe, expect, it } from "vitest";
import type { Node, Pod } from "../../lib/api/kubernetes.ts";
import { leavingNodes, podsGivenBack, withTerminatingClaims } from "../../lib/disruption/deleting.ts";
import type { NodeClaimRecord } from "../../lib/ports/store.ts";
import { claimContent } from "../support/records.ts";

const node = (name: string, extra: { deleting?: boolean; taints?: Node["spec"]["taints"] } = {}): Node => ({
  metadata: { name, ...(extra.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
  spec: { providerID: `aws:///us-east-1a/i-${name}`, ...(extra.taints ? { taints: extra.taints } : {}) },
});
const record = (nodeName: string, phase: NodeClaimRecord["phase"] = "Initialized"): NodeClaimRecord => {
  const content = claimContent(`nc-${nodeName}`, phase);
  content.nodeClaim.status = { providerID: `aws:///us-east-1a/i-${nodeName}` };
  return { ...content, name: `nc-${nodeName}`, version: 1, createdAtMs: 0, updatedAtMs: 0 };
};
const pod = (name: string, extra: { owner?: string; phase?: string; deleting?: boolean; tolerations?: Pod["spec"]["tolerations"]; annotations?: Record<string, string> } = {}): Pod => ({
  metadata: {
    name, namespace: "default",
    ...(extra.owner ? { ownerReferences: [{ apiVersion: "apps/v1", kind: extra.owner, name: "owner" }] } : {}),
    ...(extra.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
    ...(extra.annotations ? { annotations: extra.annotations } : {}),
  },
  spec: { nodeName: "leaving", containers: [{ name: "app" }], ...(extra.tolerations ? { tolerations: extra.tolerations } : {}) },
  status: { phase: extra.phase ?? "Running" },
});

describe("leaving Nodes", () => {
  it("are the Tenon-managed Nodes being deleted, whose record is Terminating, or tainted karpenter.sh/disrupted:NoSchedule", () => {
    const nodes = [
      node("deleted", { deleting: true }),
      node("terminating"),
      node("disrupted", { taints: [{ key: "karpenter.sh/disrupted", effect: "NoSchedule" }] }),
      node("other-taint", { taints: [{ key: "karpenter.sh/disrupted", effect: "NoExecute" }] }),
      node("staying"),
      node("not-ours", { deleting: true }),
    ];
    const records = [record("deleted"), record("terminating", "Terminating"), record("disrupted"), record("other-taint"), record("staying")];
    const leaving = leavingNodes(nodes, records);
    expect(leaving.map((l) => `${l.node.metadata.name} <- ${l.record.name}`)).toEqual(["deleted <- nc-deleted", "terminating <- nc-terminating", "disrupted <- nc-disrupted"]);
    expect(leaving.map((l) => l.reason)).toEqual(["being deleted", "NodeClaim nc-terminating is Terminating", "tainted karpenter.sh/disrupted:NoSchedule"]);
  });
});

describe("the Terminating records' NodeClaims, put back for the disruption pass", () => {
  it("come back with a deletionTimestamp where their Node is still there, and only there", () => {
    const nodes = [node("terminating"), node("staying"), node("present")];
    const records = [record("terminating", "Terminating"), record("gone", "Terminating"), record("staying"), record("present", "Terminating")];
    const present = record("present", "Terminating").nodeClaim;
    const out = withTerminatingClaims({ nodes, nodeClaims: [records[2]!.nodeClaim, present] }, records);
    expect(out.nodeClaims.map((c) => c.metadata.name)).toEqual(["nc-staying", "nc-present", "nc-terminating"]);
    // The interruption path marks a record Terminating without one: the record's last update stands in.
    expect(out.nodeClaims[2]!.metadata.deletionTimestamp).toBe(new Date(records[0]!.updatedAtMs).toISOString());
  });
});

describe("the pods a leaving Node gives back", () => {
  it("are those the drain moves, as pending copies; the bound pods are left as they were", () => {
    const web = pod("web", { owner: "ReplicaSet" });
    const kept = [
      pod("agent", { owner: "DaemonSet" }),
      pod("static", { annotations: { "kubernetes.io/config.mirror": "x" } }),
      pod("done", { phase: "Succeeded" }),
      pod("failed", { phase: "Failed" }),
      pod("going", { owner: "ReplicaSet", deleting: true }),
      pod("tolerant", { tolerations: [{ key: "karpenter.sh/disrupted", operator: "Exists", effect: "NoSchedule" }] }),
    ];
    const given = podsGivenBack([web, ...kept]);
    expect(given.map((p) => p.metadata.name)).toEqual(["web"]);
    expect(given[0]).toMatchObject({ metadata: { name: "web", ownerReferences: web.metadata.ownerReferences }, status: { phase: "Pending" } });
    expect(given[0]!.spec.nodeName).toBeUndefined();
    expect(web.spec.nodeName).toBe("leaving");
  });

  it("include a terminating StatefulSet pod (its replacement keeps its name and needs the room), as Karpenter's reschedulable pods do", () => {
    const given = podsGivenBack([pod("db-0", { owner: "StatefulSet", deleting: true })]);
    expect(given.map((p) => p.metadata.name)).toEqual(["db-0"]);
    expect(given[0]!.metadata.deletionTimestamp).toBeUndefined();
  });
});
