/**
 * Carrying out disruption as a pure decision (lib/disruption/commands.ts): a command is written
 * before anything is done, re-validated after the delay, carried out through replacements and the
 * termination path, resumed after a crash, rolled back when it can't finish; orphan taints go.
 */
import { describe, expect, it } from "vitest";
import type { Action, ActionOf } from "../../lib/actions/actions.ts";
import { decideDisruptionTick, type DisruptionController } from "../../lib/disruption/commands.ts";
import type { DisruptionObjects } from "../../lib/disruption/decide.ts";
import type { DisruptionCommandContent, DisruptionCommandRecord, NodeClaimPhase, NodeClaimRecord } from "../../lib/ports/store.ts";
import type { Pod } from "../../lib/api/kubernetes.ts";
import { pod, pods } from "../support/builders.ts";
import { AT, cluster, DAY, pool, type ClusterSpec } from "./builders.ts";

const VALIDATION = 15_000;
const TIMEOUT = 10 * 60_000;

function recordsOf(objects: DisruptionObjects, phases: Record<string, NodeClaimPhase> = {}): NodeClaimRecord[] {
  return objects.nodeClaims.map((nodeClaim) => ({
    nodeClaim,
    name: nodeClaim.metadata.name,
    phase: phases[nodeClaim.metadata.name] ?? "Initialized",
    launch: { attempts: 1, instanceId: nodeClaim.status?.providerID?.split("/").pop() },
    createdAtMs: AT - DAY,
    updatedAtMs: AT - DAY,
    version: 3,
  }));
}

function command(content: Partial<DisruptionCommandContent> & Pick<DisruptionCommandContent, "candidates">, updatedAtMs = AT - VALIDATION): DisruptionCommandRecord {
  return {
    reason: "Empty",
    decision: "delete",
    method: "emptiness",
    replacements: [],
    state: "Validating",
    decidedAtMs: AT - VALIDATION,
    savingsPerHour: 0.2,
    message: "emptiness: it has no pods to move",
    ...content,
    id: "cmd-1",
    createdAtMs: AT - VALIDATION,
    updatedAtMs,
    version: 1,
  };
}

const ref = (node: string) => ({ node, nodeClaim: `${node}-claim` });

function tick(
  objects: DisruptionObjects,
  o: { commands?: DisruptionCommandRecord[]; records?: NodeClaimRecord[]; controller?: DisruptionController; nowMs?: number } = {},
): ReturnType<typeof decideDisruptionTick> {
  let n = 0;
  return decideDisruptionTick({
    controller: o.controller ?? "consolidation",
    nowMs: o.nowMs ?? AT,
    objects,
    records: o.records ?? recordsOf(objects),
    commands: o.commands ?? [],
    lease: { name: "disruption", holder: "me", token: 7, ttlMs: 150_000 },
    ids: { suffix: () => "abcde".slice(0, 4) + "fghij"[n++ % 5], uid: () => `uid-${n++}` },
    timing: { validationMs: VALIDATION, replacementTimeoutMs: TIMEOUT },
    launchAttempts: 3,
  });
}

/** The tick's actions without its mark updates (pod events, Consolidatable, Drifted: tested on their own below). */
const acting = (actions: readonly Action[]) => actions.filter((a) => !a.unit?.startsWith("mark:"));
const kinds = (actions: readonly Action[]) => acting(actions).map((a) => a.kind);
const of = <K extends Action["kind"]>(actions: readonly Action[], kind: K) => acting(actions).filter((a): a is ActionOf<K> => a.kind === kind);

const emptyAndBusy: ClusterSpec = {
  nodes: [
    { name: "empty", type: "new-4x" },
    { name: "busy", type: "big-8x", pods: pods(3, "web", { cpu: "2" }) },
  ],
};

describe("deciding", () => {
  it("writes a command and does nothing else until it is validated", () => {
    const out = tick(cluster(emptyAndBusy));
    expect(kinds(out.actions)).toEqual(["write-command"]);
    const [write] = of(out.actions, "write-command");
    expect(write!.content).toMatchObject({ reason: "Empty", state: "Validating", candidates: [{ node: "empty", nodeClaim: "empty-claim" }] });
    expect(out.inFlight).toBe(true);
  });

  it("leaves drift to the drift checker and consolidation to the consolidator", () => {
    expect(kinds(tick(cluster(emptyAndBusy), { controller: "drift" }).actions)).toEqual([]);
  });

  it("marks an expired node Terminating at once in the consolidator (forceful, no command), never in the drift checker", () => {
    const spec: ClusterSpec = { pools: [pool("default", { expireAfter: DAY })], nodes: [{ name: "old", type: "new-4x", created: AT - 2 * DAY, pods: [pod({ name: "a", cpu: "1" })] }] };
    const out = tick(cluster(spec));
    const [update] = of(out.actions, "update-nodeclaim");
    expect(update!.content.phase).toBe("Terminating");
    expect(update!.content.nodeClaim.status?.conditions).toContainEqual(expect.objectContaining({ type: "DisruptionReason", reason: "Expired" }));
    expect(of(out.actions, "write-command")).toEqual([]);
    expect(of(tick(cluster(spec), { controller: "drift" }).actions, "update-nodeclaim")).toEqual([]);
  });
});

describe("validating", () => {
  it("waits out the validation delay", () => {
    const out = tick(cluster(emptyAndBusy), { commands: [command({ candidates: [ref("empty")], decidedAtMs: AT - 5_000 })] });
    expect(kinds(out.actions)).toEqual([]);
    expect(out.inFlight).toBe(true);
  });

  it("drops a command whose candidate gained a pod meanwhile, having done nothing", () => {
    const spec: ClusterSpec = { nodes: [{ name: "empty", type: "new-4x", pods: [pod({ name: "late", cpu: "1" })] }, emptyAndBusy.nodes[1]!] };
    const out = tick(cluster(spec), { commands: [command({ candidates: [ref("empty")] })] });
    expect(kinds(out.actions)).toEqual(["delete-command"]);
    expect(acting(out.actions)[0]!.reason).toMatch(/^no longer valid/);
  });

  it("carries out a valid delete: Deleting written first, then taint, then the record marked Terminating, then the command deleted", () => {
    const out = tick(cluster(emptyAndBusy), { commands: [command({ candidates: [ref("empty")] })] });
    expect(kinds(out.actions)).toEqual(["update-command", "taint-node", "update-nodeclaim", "record-event", "record-event", "delete-command"]);
    expect(of(out.actions, "update-command")[0]!.content.state).toBe("Deleting");
    expect(of(out.actions, "update-nodeclaim")[0]!.content.phase).toBe("Terminating");
    // DisruptionTerminating on the Node and on its NodeClaim, as Karpenter tells both.
    expect(of(out.actions, "record-event").map((a) => [a.event.involvedObject.kind, a.event.reason])).toEqual([["Node", "DisruptionTerminating"], ["NodeClaim", "DisruptionTerminating"]]);
    expect(new Set(acting(out.actions).map((a) => a.unit))).toEqual(new Set(["command:cmd-1"]));
  });

  it("for a replacement: names it in the command, writes its record under the lease, then taints the candidate, then launches", () => {
    const spec: ClusterSpec = { nodes: [{ name: "old", type: "old-4x", pods: [pod({ name: "a", cpu: "1" })] }] };
    const out = tick(cluster(spec), { commands: [command({ candidates: [ref("old")], reason: "Underutilized", decision: "replace", method: "single-node-consolidation" })] });
    expect(kinds(out.actions)).toEqual(["update-command", "renew-lease", "write-nodeclaim", "renew-lease", "taint-node", "record-event", "launch-nodeclaim"]);
    const [update] = of(out.actions, "update-command");
    const [write] = of(out.actions, "write-nodeclaim");
    expect(update!.content.state).toBe("Launching");
    expect(update!.content.replacements).toEqual([write!.content.nodeClaim.metadata.name]);
    expect(of(out.actions, "launch-nodeclaim")[0]!.name).toBe(write!.content.nodeClaim.metadata.name);
    // Only types cheaper than the candidate (old-4x at $0.3), cheapest first.
    const types = write!.content.nodeClaim.spec.requirements.find((r) => r.key === "node.kubernetes.io/instance-type")!.values;
    expect(types).toEqual(["small-2x", "new-4x"]);
  });
});

describe("launching and finishing", () => {
  const spec: ClusterSpec = {
    nodes: [
      { name: "old", type: "old-4x", pods: [pod({ name: "a", cpu: "1" })] },
      { name: "new", type: "small-2x" },
    ],
  };
  const launching = (updatedAtMs = AT - 60_000) =>
    command({ candidates: [ref("old")], reason: "Underutilized", decision: "replace", method: "single-node-consolidation", state: "Launching", replacements: ["new-claim"] }, updatedAtMs);
  const taintedOld = () => {
    const objects = cluster(spec);
    objects.nodes.find((n) => n.metadata.name === "old")!.spec.taints = [{ key: "karpenter.sh/disrupted", effect: "NoSchedule" }];
    return objects;
  };

  it("waits for the replacement, launching it again if a crashed run left it Pending (same record: same client token)", () => {
    const objects = taintedOld();
    const out = tick(objects, { commands: [launching()], records: recordsOf(objects, { "new-claim": "Pending" }) });
    expect(kinds(out.actions)).toEqual(["launch-nodeclaim"]);
    expect(of(out.actions, "launch-nodeclaim")[0]!.record?.name).toBe("new-claim");
    expect(out.inFlight).toBe(true);
  });

  it("deletes the candidates once every replacement is initialized and their pods fit without them", () => {
    const out = tick(taintedOld(), { commands: [launching()] });
    expect(kinds(out.actions)).toEqual(["update-command", "update-nodeclaim", "record-event", "record-event", "delete-command"]);
    expect(of(out.actions, "update-nodeclaim")[0]!.record.name).toBe("old-claim");
  });

  it("rolls back when the candidates' pods would have nowhere to go: untainted, the initialized replacement kept", () => {
    const objects = taintedOld();
    (objects.pods as Pod[]).push({ ...pod({ name: "b", cpu: "1500m" }), spec: { ...pod({ name: "b", cpu: "1500m" }).spec, nodeName: "new" }, status: { phase: "Running" } });
    const out = tick(objects, { commands: [launching()] });
    expect(kinds(out.actions)).toEqual(["untaint-node", "record-event", "delete-command"]);
    expect(acting(out.actions)[2]!.reason).toMatch(/rolled back: pod default\/a would have nowhere to go/);
  });

  it("rolls back when a replacement is not initialized in time, deleting it", () => {
    const objects = taintedOld();
    const out = tick(objects, { commands: [launching(AT - TIMEOUT)], records: recordsOf(objects, { "new-claim": "Launched" }) });
    expect(kinds(out.actions)).toEqual(["untaint-node", "record-event", "update-nodeclaim", "delete-command"]);
    const [mark] = of(out.actions, "update-nodeclaim");
    expect(mark!.record.name).toBe("new-claim");
    expect(mark!.content.phase).toBe("Terminating");
  });

  it("rolls back when a replacement's record is gone", () => {
    const objects = taintedOld();
    const out = tick(objects, { commands: [launching()], records: recordsOf(objects).filter((r) => r.name !== "new-claim") });
    expect(kinds(out.actions)).toEqual(["untaint-node", "record-event", "delete-command"]);
  });

  it("resumes a command left Deleting: marks what is not Terminating yet, then deletes it", () => {
    const objects = taintedOld();
    const cmd = command({ candidates: [ref("old"), ref("new")], state: "Deleting" });
    const out = tick(objects, { commands: [cmd], records: recordsOf(objects, { "old-claim": "Terminating" }) });
    expect(kinds(out.actions)).toEqual(["update-nodeclaim", "record-event", "record-event", "delete-command"]);
    expect(of(out.actions, "update-nodeclaim")[0]!.record.name).toBe("new-claim");
  });
});

describe("orphan taints", () => {
  it("removes the disrupted taint from a node no command holds and nothing is deleting", () => {
    const objects = cluster({ nodes: [{ name: "a", type: "big-8x", pods: pods(3, "w", { cpu: "2" }) }, { name: "b", type: "big-8x", pods: pods(3, "x", { cpu: "2" }), deleting: true }] });
    for (const node of objects.nodes) node.spec.taints = [{ key: "karpenter.sh/disrupted", effect: "NoSchedule" }];
    const out = tick(objects);
    expect(of(out.actions, "untaint-node").map((a) => a.node)).toEqual(["a"]);
    // Held by a command: left alone.
    const held = tick(objects, { commands: [command({ candidates: [ref("a")], decidedAtMs: AT })] });
    expect(of(held.actions, "untaint-node")).toEqual([]);
  });
});

describe("marks kept on the records", () => {
  const marks = (actions: readonly Action[]) => actions.filter((a): a is ActionOf<"update-nodeclaim"> => a.kind === "update-nodeclaim" && a.unit?.startsWith("mark:") === true);
  const spec: ClusterSpec = { pools: [pool("default", { consolidateAfter: 60_000 })], nodes: [{ name: "busy", type: "big-8x", pods: pods(3, "web", { cpu: "2" }) }] };

  it("stamps lastPodEventTime when the node's pods change, so consolidateAfter counts from then", () => {
    const objects = cluster(spec);
    const first = marks(tick(objects).actions);
    const hash = first[0]!.content.nodeClaim.metadata.annotations?.["tenon.sh/pod-set"];
    expect(hash).toBeDefined();
    // The same pods on the next tick: nothing new to write.
    const records = recordsOf(objects).map((r) => ({ ...r, nodeClaim: first[0]!.content.nodeClaim }));
    expect(marks(tick(objects, { records, nowMs: AT + 10_000 }).actions)).toEqual([]);
    // A pod leaves: the time it was noticed becomes the last pod event, and the node is not consolidatable for consolidateAfter.
    const fewer = cluster({ ...spec, nodes: [{ ...spec.nodes[0]!, pods: pods(2, "web", { cpu: "2" }) }] });
    const [update] = marks(tick(fewer, { records, nowMs: AT + 20_000 }).actions);
    expect(update!.content.nodeClaim.status?.lastPodEventTime).toBe(new Date(AT + 20_000).toISOString());
    expect(update!.content.nodeClaim.status?.conditions).toContainEqual(expect.objectContaining({ type: "Consolidatable", status: "False" }));
  });

  it("writes Drifted with its reason, and drops it again when the drift is undone, never trusting the stored condition", () => {
    const objects = cluster({ nodes: [{ name: "n", type: "big-8x", pods: pods(3, "web", { cpu: "2" }), extraLabels: { team: "old" } }] });
    objects.nodePools[0]!.nodePool.spec.template.metadata.labels = { team: "new" };
    const [drifted] = marks(tick(objects, { controller: "drift" }).actions);
    expect(drifted!.content.nodeClaim.status?.conditions).toContainEqual(expect.objectContaining({ type: "Drifted", status: "True", reason: "RequirementsDrifted" }));
    // The NodePool is changed back; the record still says Drifted: the pass decides afresh and the mark goes.
    const reverted = cluster({ nodes: [{ name: "n", type: "big-8x", pods: pods(3, "web", { cpu: "2" }), extraLabels: { team: "old" } }] });
    const records = recordsOf(reverted).map((r) => ({ ...r, nodeClaim: drifted!.content.nodeClaim }));
    // As the controller reads them: the pass's NodeClaims are the records' (with the stored mark).
    const out = tick({ ...reverted, nodeClaims: records.map((r) => r.nodeClaim) }, { controller: "drift", records });
    expect(of(out.actions, "write-command")).toEqual([]);
    const [cleared] = marks(out.actions);
    expect(cleared!.content.nodeClaim.status?.conditions?.some((c) => c.type === "Drifted")).toBe(false);
  });
});

describe("a run's mark updates", () => {
  it("are capped per run, so the first run over a large cluster stays short; the next runs write the rest", () => {
    const nodes = Array.from({ length: 250 }, (_, i) => ({ name: `n${i}`, type: "big-8x", pods: [pod({ name: `p${i}`, cpu: "7" })] }));
    const out = tick(cluster({ nodes }), { controller: "drift" });
    expect(out.actions.filter((a) => a.unit?.startsWith("mark:"))).toHaveLength(200);
  });
});
