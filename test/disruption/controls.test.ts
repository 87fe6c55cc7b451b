/**
 * What holds disruption back: budgets (count, percentage, schedule windows, reasons, nodes already
 * disrupting), do-not-disrupt on pods and nodes, PDBs, terminationGracePeriod, and which nodes are
 * candidates at all.
 */
import { describe, expect, it } from "vitest";
import { pod, pods } from "../support/builders.ts";
import { AT, HOUR, pool, pdb } from "./builders.ts";
import { decide, taken, why } from "./support.ts";

const empties = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `e${String(i).padStart(2, "0")}`, type: "new-4x" }));

describe("budgets", () => {
  it("a percentage of the NodePool's nodes, rounded up", () => {
    const out = decide({ pools: [pool("default", { budgets: [{ nodes: "10%" }] })], nodes: empties(11) });
    expect(taken(out)).toHaveLength(2);
  });

  it("the most restrictive budget in force wins; a closed window does not apply", () => {
    const budgets = [{ nodes: "5" }, { nodes: "0", schedule: "0 9 * * mon-fri", duration: 8 * HOUR }];
    const during = decide({ pools: [pool("default", { budgets })], nodes: empties(3) });
    expect(during.method).toBeNull();
    expect(why(during, "e00")).toContain("until 2026-12-03T17:00:00Z");
    const evening = decide({ pools: [pool("default", { budgets })], nodes: empties(3) }, AT + 8 * HOUR);
    expect(taken(evening)).toHaveLength(3);
  });

  it("budgets by reason: a Drifted budget of 0 does not stop emptiness", () => {
    const out = decide({ pools: [pool("default", { budgets: [{ nodes: "0", reasons: ["Drifted"] }, { nodes: "1" }] })], nodes: empties(3) });
    expect(taken(out)).toHaveLength(1);
  });

  it("nodes being deleted or not Ready use up the allowance", () => {
    const out = decide({
      pools: [pool("default", { budgets: [{ nodes: "2" }] })],
      nodes: [...empties(2), { name: "going", type: "new-4x", deleting: true }, { name: "sick", type: "new-4x", notReady: true, pods: pods(3, "s", { cpu: "1" }) }],
    });
    expect(out.method).toBeNull();
    expect(why(out, "e00")).toContain("2 already disrupting");
  });
});

describe("do-not-disrupt", () => {
  const light = (extra: object) => ({ name: "light", type: "big-8x", pods: [pod({ name: "a", cpu: "1" })], ...extra });
  const heavy = { name: "heavy", type: "big-8x", pods: pods(4, "h", { cpu: "2" }) };

  it("a pod with do-not-disrupt: \"true\" blocks consolidation of its node", () => {
    const blocker = pod({ name: "etl", cpu: "1" });
    blocker.metadata.annotations = { "karpenter.sh/do-not-disrupt": "true" };
    const out = decide({ nodes: [{ name: "light", type: "big-8x", pods: [blocker] }, heavy] });
    expect(taken(out)).not.toContain("light");
    expect(why(out, "light")).toBe('pod default/etl has karpenter.sh/do-not-disrupt: "true"');
  });

  it("a duration blocks only until it has elapsed since the pod started", () => {
    const p = pod({ name: "etl", cpu: "1" });
    p.metadata.annotations = { "karpenter.sh/do-not-disrupt": "2h" };
    p.metadata.creationTimestamp = new Date(AT - HOUR).toISOString();
    expect(taken(decide({ nodes: [{ name: "light", type: "big-8x", pods: [p] }, heavy] }))).not.toContain("light");
    p.metadata.creationTimestamp = new Date(AT - 3 * HOUR).toISOString();
    expect(taken(decide({ nodes: [{ name: "light", type: "big-8x", pods: [p] }, heavy] }))).toEqual(["light"]);
  });

  it("on the node blocks, and on a DaemonSet pod blocks; a terminal pod never blocks", () => {
    expect(taken(decide({ nodes: [light({ nodeAnnotations: { "karpenter.sh/do-not-disrupt": "true" } }), heavy] }))).not.toContain("light");
    const ds = pod({ name: "agent", cpu: "100m", ownerKind: "DaemonSet" });
    ds.metadata.annotations = { "karpenter.sh/do-not-disrupt": "true" };
    expect(taken(decide({ nodes: [{ name: "light", type: "big-8x", pods: [pod({ name: "a", cpu: "1" }), ds] }, heavy] }))).not.toContain("light");
    const done = pod({ name: "done", cpu: "100m" });
    done.metadata.annotations = { "karpenter.sh/do-not-disrupt": "true" };
    done.status = { phase: "Succeeded" };
    expect(taken(decide({ nodes: [{ name: "light", type: "big-8x", pods: [pod({ name: "a", cpu: "1" }), done] }, heavy] }))).toEqual(["light"]);
  });

  it("a terminationGracePeriod lets drift take a blocked node eventually, never consolidation", () => {
    const blocker = pod({ name: "etl", cpu: "1" });
    blocker.metadata.annotations = { "karpenter.sh/do-not-disrupt": "true" };
    const drifted = { claimAnnotations: { "karpenter.sh/nodepool-hash": "old", "karpenter.sh/nodepool-hash-version": "tenon-v1" } };
    const withGrace = decide({ nodes: [{ name: "n", type: "big-8x", pods: [blocker], terminationGracePeriod: HOUR, ...drifted }] });
    expect(withGrace.method).toBe("drift");
    const without = decide({ nodes: [{ name: "n", type: "big-8x", pods: [blocker], ...drifted }] });
    expect(without.method).toBeNull();
    expect(why(without, "n")).toContain("do-not-disrupt");
    const consolidation = decide({ nodes: [{ name: "light", type: "big-8x", pods: [blocker], terminationGracePeriod: HOUR }, heavy] });
    expect(taken(consolidation)).not.toContain("light");
  });
});

describe("PDBs", () => {
  const heavy = { name: "heavy", type: "big-8x", pods: pods(4, "h", { cpu: "2" }) };
  const web = () => pod({ name: "web-0", cpu: "1", labels: { app: "web" } });

  it("a PDB that allows no disruption blocks; one that allows some does not", () => {
    const blocked = decide({ nodes: [{ name: "light", type: "big-8x", pods: [web()] }, heavy], pdbs: [pdb("web", { app: "web" }, { allowed: 0 })] });
    expect(why(blocked, "light")).toBe("PDB default/web allows no disruption of pod default/web-0");
    const allowed = decide({ nodes: [{ name: "light", type: "big-8x", pods: [web()] }, heavy], pdbs: [pdb("web", { app: "web" }, { allowed: 1 })] });
    expect(taken(allowed)).toEqual(["light"]);
  });

  it("computes disruptionsAllowed from minAvailable when the PDB has no status", () => {
    const out = decide({ nodes: [{ name: "light", type: "big-8x", pods: [web()] }, heavy], pdbs: [pdb("web", { app: "web" }, { minAvailable: 1 })] });
    expect(taken(out)).not.toContain("light");
    expect(why(out, "light")).toContain("PDB default/web");
    const half = decide({ nodes: [{ name: "light", type: "big-8x", pods: [web()] }, heavy], pdbs: [pdb("web", { app: "web" }, { maxUnavailable: "50%" })] });
    expect(taken(half)).toEqual(["light"]);
  });

  it("never blocks for a mirror pod, and lets unhealthy pods go under AlwaysAllow", () => {
    const mirror = pod({ name: "static", cpu: "100m", labels: { app: "web" }, ownerKind: "Node" });
    expect(taken(decide({ nodes: [{ name: "light", type: "big-8x", pods: [pod({ name: "a", cpu: "1" }), mirror] }, heavy], pdbs: [pdb("web", { app: "web" }, { allowed: 0 })] }))).toEqual(["light"]);
    const sick = web();
    sick.status = { phase: "Running", conditions: [{ type: "Ready", status: "False" }] };
    expect(taken(decide({ nodes: [{ name: "light", type: "big-8x", pods: [sick] }, heavy], pdbs: [pdb("web", { app: "web" }, { allowed: 0, alwaysAllow: true })] }))).toEqual(["light"]);
  });

  it("a pod covered by two PDBs can't be evicted", () => {
    const out = decide({ nodes: [{ name: "light", type: "big-8x", pods: [web()] }, heavy], pdbs: [pdb("a", { app: "web" }, { allowed: 5 }), pdb("b", { app: "web" }, { allowed: 5 })] });
    expect(why(out, "light")).toContain("more than one PDB");
  });
});

describe("candidates", () => {
  it("lists every node that is not a candidate with the reason", () => {
    const out = decide({
      nodes: [
        { name: "no-claim", type: "new-4x", noClaim: true },
        { name: "launching", type: "new-4x", noNode: true },
        { name: "starting", type: "new-4x", initialized: false },
        { name: "going", type: "new-4x", deleting: true },
        { name: "unmanaged", type: "new-4x", unmanaged: true },
      ],
    });
    expect(out.method).toBeNull();
    const reasons = Object.fromEntries(out.notDisrupted.map((n) => [n.node ?? `claim:${n.nodeClaim}`, n.reason]));
    expect(reasons).toEqual({
      "no-claim": "Node has no NodeClaim (no NodeClaim's status.providerID matches its spec.providerID)",
      "claim:launching-claim": "NodeClaim has no Node yet (still launching)",
      starting: "not initialized yet (NodeClaim Initialized is not True)",
      going: "already being deleted",
      unmanaged: "not managed by a NodePool (no karpenter.sh/nodepool label)",
    });
  });

  it("a node the provisioner would put pending pods on is nominated, not a candidate", () => {
    const out = decide({ nodes: [{ name: "empty", type: "new-4x" }], pending: [pod({ name: "new-web", cpu: "1" })] });
    expect(out.method).toBeNull();
    expect(why(out, "empty")).toBe("nominated for pending pod(s) default/new-web");
  });

  it("consolidateAfter: Never disables consolidation of the pool's nodes", () => {
    const out = decide({ pools: [pool("default", { consolidateAfter: null })], nodes: [{ name: "e", type: "new-4x" }] });
    expect(why(out, "e")).toBe("NodePool default has consolidateAfter: Never");
  });
});
