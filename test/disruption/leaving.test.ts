/**
 * The disruption pass counts the pods of leaving nodes (lib/disruption/deleting.ts, the
 * provisioner's rule): they are placed first and hold their room in every what-if, so a
 * consolidation never takes the capacity a draining node's pods are about to need.
 */
import { describe, expect, it } from "vitest";
import { decideDisruptionTick } from "../../lib/disruption/commands.ts";
import { podsFitWithout } from "../../lib/disruption/decide.ts";
import type { NodeClaimRecord } from "../../lib/ports/store.ts";
import { pod, pods } from "../support/builders.ts";
import { AT, cluster, DAY, type ClusterSpec, type NodeSpec } from "./builders.ts";
import { decide, taken, why } from "./support.ts";

const DISRUPTED = [{ key: "karpenter.sh/disrupted", effect: "NoSchedule" as const }];

/**
 * `draining` gives back two 1.5-cpu pods; `spare` (new-4x, $0.20) is the only node with room for
 * them; `full` (600m free) has room for spare's own 500m pod but not for them, and stays
 * (do-not-disrupt). Without the draining pods, spare would simply be deleted; with them, it could
 * only be replaced by a node as dear as itself (a new-4x), so no command is taken.
 */
function spec(draining: Partial<NodeSpec>, spare: Partial<NodeSpec> = {}): ClusterSpec {
  return {
    nodes: [
      { name: "draining", type: "old-4x", pods: pods(2, "drained", { cpu: "1500m" }), ...draining },
      { name: "spare", type: "new-4x", pods: [pod({ name: "light", cpu: "500m" })], ...spare },
      { name: "full", type: "new-4x", pods: [...pods(3, "busy", { cpu: "1" }), pod({ name: "busy-3", cpu: "400m" })], nodeAnnotations: { "karpenter.sh/do-not-disrupt": "true" } },
    ],
  };
}

describe("the disruption pass with nodes leaving", () => {
  it("takes no command when a node being deleted has its pods' only room on the candidate", () => {
    const out = decide(spec({ deleting: true }));
    expect(out.method).toBeNull();
    expect(why(out, "spare")).toMatch(/^no cheaper option: .* \(its pods include 2 that leaving nodes give back: default\/drained-0, default\/drained-1\)$/);
    expect(why(out, "draining")).toBe("already being deleted");
  });

  it("names the draining pod that only the candidate can take (no NodePool makes a node like it)", () => {
    const ssd = pod({ name: "cache", cpu: "500m", nodeSelector: { disk: "ssd" } });
    const out = decide(spec({ deleting: true, pods: [ssd], extraLabels: { disk: "ssd" } }, { extraLabels: { disk: "ssd" } }));
    expect(out.method).toBeNull();
    expect(why(out, "spare")).toMatch(/^pod default\/cache \(given back by draining, which is being deleted\) would not fit elsewhere: /);
  });

  it("deletes the same candidate when the node being deleted has no pods to give back", () => {
    const out = decide(spec({ deleting: true, pods: [] }));
    expect(out.method).toBe("single-node-consolidation");
    expect(taken(out)).toEqual(["spare"]);
    expect(out.commands[0]!.existingNodes).toEqual([{ name: "full", pods: ["default/light"] }]);
  });

  it("treats a node tainted karpenter.sh/disrupted as leaving: no candidate itself, and its pods hold their room", () => {
    const out = decide(spec({ taints: DISRUPTED }));
    expect(out.method).toBeNull();
    expect(why(out, "draining")).toBe("leaving (tainted karpenter.sh/disrupted:NoSchedule)");
    expect(why(out, "spare")).toContain("leaving nodes give back");
  });

  it("does not delete an empty node as empty while it holds the room of a draining node's pods", () => {
    const out = decide(spec({ deleting: true }, { pods: [] }));
    expect(out.method).toBeNull();
    expect(why(out, "spare")).toContain("its pods include 2 that leaving nodes give back");
  });

  it("replaces a candidate holding such pods only with a node that holds them too", () => {
    // spare is an old-4x ($0.30) now: a new-4x ($0.20) takes the draining node's pods, full takes light.
    const out = decide(spec({ deleting: true }, { type: "old-4x" }));
    expect(out.method).toBe("single-node-consolidation");
    expect(taken(out)).toEqual(["spare"]);
    expect(out.commands[0]!.replacements.map((r) => [r.launch?.instanceType, [...r.pods].sort()])).toEqual([["new-4x", ["default/drained-0", "default/drained-1"]]]);
    expect(out.commands[0]!.existingNodes).toEqual([{ name: "full", pods: ["default/light"] }]);
  });
});

describe("the last check before a command's candidates are deleted", () => {
  it("fails when the candidates' pods would take the room another leaving node's pods need", () => {
    const objects = cluster({
      nodes: [
        { name: "draining", type: "old-4x", pods: pods(2, "drained", { cpu: "1" }), deleting: true },
        { name: "candidate", type: "old-4x", pods: pods(2, "moved", { cpu: "1" }), taints: DISRUPTED },
        { name: "room", type: "new-4x", pods: pods(1, "there", { cpu: "1" }) },
      ],
    });
    expect(podsFitWithout(objects, new Set(["candidate"]))).toMatch(/^pod default\/moved-\d would have nowhere to go/);
    const calm = cluster({
      nodes: [
        { name: "candidate", type: "old-4x", pods: pods(2, "moved", { cpu: "1" }), taints: DISRUPTED },
        { name: "room", type: "new-4x", pods: pods(1, "there", { cpu: "1" }) },
      ],
    });
    expect(podsFitWithout(calm, new Set(["candidate"]))).toBeUndefined();
  });
});

describe("a consolidator tick", () => {
  it("sees a Node whose record is Terminating as leaving, though the observed objects leave its NodeClaim out", () => {
    const full = cluster(spec({}));
    const records: NodeClaimRecord[] = full.nodeClaims.map((nodeClaim) => ({
      nodeClaim, name: nodeClaim.metadata.name, phase: nodeClaim.metadata.name === "draining-claim" ? "Terminating" : "Initialized",
      launch: { attempts: 1 }, createdAtMs: AT - DAY, updatedAtMs: AT - 60_000, version: 2,
    }));
    // As the controller observes: NodeClaims of Terminating records are not in the objects.
    const objects = { ...full, nodeClaims: full.nodeClaims.filter((c) => c.metadata.name !== "draining-claim") };
    let n = 0;
    const decision = decideDisruptionTick({
      controller: "consolidation", nowMs: AT, objects, records, commands: [], ids: { suffix: () => `s${++n}`, uid: () => `u${++n}` },
      lease: { name: "disruption", holder: "me", token: 1, ttlMs: 60_000 }, timing: { validationMs: 15_000, replacementTimeoutMs: 600_000 }, launchAttempts: 3,
    });
    expect(decision.started).toBeUndefined();
    expect(decision.pass?.notDisrupted.find((r) => r.view.name === "spare")?.reason).toContain("leaving nodes give back");
    expect(decision.pass?.notDisrupted.find((r) => r.view.name === "draining")?.reason).toBe("already being deleted");
  });
});
