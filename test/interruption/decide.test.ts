/**
 * Interruption decisions as data, without any port: what starts a termination, what is only
 * recorded, what a duplicated or retried message decides.
 */
import { describe, expect, it } from "vitest";
import type { Action } from "../../lib/actions/actions.ts";
import type { Node, Pod } from "../../lib/api/kubernetes.ts";
import { decideDrainStart, decideInterruption, NOT_OURS, type InterruptedInstance } from "../../lib/interruption/interruption.ts";
import type { ClassifiedInterruption } from "../../lib/ports/interruption.ts";
import type { NodeClaimRecord } from "../../lib/ports/store.ts";
import { cloudInstance, nodeFor } from "../support/interruption.ts";
import { claimContent } from "../support/records.ts";

const DISRUPTED = { key: "karpenter.sh/disrupted", effect: "NoSchedule" as const };
const spot = cloudInstance("i-1", "spot");
const record = (phase: NodeClaimRecord["phase"] = "Initialized"): NodeClaimRecord => {
  const content = claimContent("default-aaaaa", phase);
  content.nodeClaim.status = { providerID: spot.providerId };
  return { ...content, name: "default-aaaaa", version: 3, createdAtMs: 0, updatedAtMs: 0, launch: { attempts: 1, instanceId: "i-1" } };
};
const message = (action: ClassifiedInterruption["action"], kind: ClassifiedInterruption["kind"] = "spot-interruption", extra: Partial<ClassifiedInterruption> = {}): ClassifiedInterruption => ({
  ok: true, eventId: "e-1", kind, action, instanceIds: ["i-1"], timeMs: 0, detail: "instance-action terminate", ...extra,
});
const ours = (node: Node = nodeFor(spot), phase: NodeClaimRecord["phase"] = "Initialized"): InterruptedInstance => ({ instanceId: "i-1", instance: spot, record: record(phase), node });
const kinds = (actions: Action[]) => actions.map((a) => a.kind);
const reasons = (actions: Action[]) => actions.flatMap((a) => (a.kind === "record-event" ? [a.event.reason] : []));
const deleting = (node: Node): Node => ({ ...node, metadata: { ...node.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } });
const tainted = (node: Node): Node => ({ ...node, spec: { ...node.spec, taints: [DISRUPTED] } });

describe("the interruption decision", () => {
  it("for a node Tenon launched: marks the offering unavailable, the record Terminating (at its version), taints and deletes the Node, records Karpenter's Events, wakes the provisioner", () => {
    const actions = decideInterruption(message("mark-unavailable+cordon-and-drain"), [ours()], 1_000);
    expect(kinds(actions)).toEqual(["mark-offering-unavailable", "update-nodeclaim", "taint-node", "delete-node", "record-event", "record-event", "wake-provisioner"]);
    expect(actions[0]).toMatchObject({ offering: { instanceType: "m5.large", zone: "us-east-1a", capacityType: "spot" }, expiresAtMs: 1_000 + 180_000 });
    expect(actions[1]).toMatchObject({ record: { name: "default-aaaaa", version: 3 }, content: { phase: "Terminating", launch: { instanceId: "i-1" } } });
    expect(actions[2]).toMatchObject({ node: "node-i-1", taint: DISRUPTED });
    expect(reasons(actions)).toEqual(["SpotInterrupted", "TerminatingOnInterruption"]);
    for (const a of actions) if (a.kind === "record-event") expect(a.event).toMatchObject({ type: "Warning", involvedObject: { kind: "Node", name: "node-i-1" }, message: expect.stringContaining("NodeClaim default-aaaaa") });
    expect(actions.at(-1)).toMatchObject({ kind: "wake-provisioner", cause: "interruption" });
  });

  it("decides nothing more for a duplicated message (the record is Terminating, the Node tainted and deleting) than renewing the offering's mark", () => {
    const duplicate = [ours(deleting(tainted(nodeFor(spot))), "Terminating")];
    expect(kinds(decideInterruption(message("mark-unavailable+cordon-and-drain"), duplicate, 0))).toEqual(["mark-offering-unavailable"]);
    expect(decideInterruption(message("cordon-and-drain", "state-change", { state: "shutting-down" }), duplicate, 0)).toEqual([]);
  });

  it("does only what is missing on a message retried after a crash midway", () => {
    const actions = decideInterruption(message("mark-unavailable+cordon-and-drain"), [ours(tainted(nodeFor(spot)), "Terminating")], 0);
    expect(kinds(actions)).toEqual(["mark-offering-unavailable", "delete-node", "record-event", "record-event", "wake-provisioner"]);
  });

  it("marks a NodeClaim that has no Node yet Terminating and wakes the provisioner; no Event without a Node", () => {
    expect(kinds(decideInterruption(message("cordon-and-drain", "scheduled-change"), [{ instanceId: "i-1", instance: spot, record: record("Launched") }], 0))).toEqual(["update-nodeclaim", "wake-provisioner"]);
  });

  it.each([
    ["state-change", "stopping", "InstanceStopping"],
    ["state-change", "stopped", "InstanceStopping"],
    ["state-change", "shutting-down", "InstanceTerminating"],
    ["state-change", "terminated", "InstanceTerminating"],
    ["scheduled-change", undefined, "InstanceUnhealthy"],
    ["capacity-reservation-interruption", undefined, "CapacityReservationInstanceInterrupted"],
  ] as const)("names a %s (%s) as Karpenter does: %s", (kind, state, reason) => {
    const actions = decideInterruption(message("cordon-and-drain", kind, state ? { state } : {}), [ours()], 0);
    expect(reasons(actions)).toEqual([reason, "TerminatingOnInterruption"]);
    expect(kinds(actions)).toContain("delete-node");
  });

  it("marks a reserved offering unavailable only when the instance ran in the reservation", () => {
    const reserved = { ...ours(), instance: cloudInstance("i-1", "reserved") };
    const onDemand = { ...ours(), instance: cloudInstance("i-1", "on-demand") };
    const cr = message("mark-unavailable+cordon-and-drain", "capacity-reservation-interruption");
    expect(decideInterruption(cr, [reserved], 0)[0]).toMatchObject({ kind: "mark-offering-unavailable", offering: { capacityType: "reserved" } });
    expect(kinds(decideInterruption(cr, [onDemand], 0))).not.toContain("mark-offering-unavailable");
    expect(kinds(decideInterruption(cr, [onDemand], 0))).toContain("delete-node");
  });

  it("for a node it did not launch: only the Event, saying so; nothing patched", () => {
    const actions = decideInterruption(message("cordon-and-drain", "scheduled-change"), [{ instanceId: "i-1", node: nodeFor(spot) }], 0);
    expect(kinds(actions)).toEqual(["record-event"]);
    expect(actions[0]).toMatchObject({ event: { involvedObject: { name: "node-i-1" }, type: "Warning", reason: "InstanceUnhealthy", message: expect.stringContaining(NOT_OURS) } });
  });

  it("records an informational Event for a rebalance recommendation and decides nothing for an ignored message", () => {
    const actions = decideInterruption(message("event-only", "rebalance-recommendation"), [ours()], 0);
    expect(kinds(actions)).toEqual(["record-event"]);
    expect(actions[0]).toMatchObject({ event: { type: "Normal", reason: "SpotRebalanceRecommendation" } });
    expect(decideInterruption(message("ignore"), [ours()], 0)).toEqual([]);
  });
});

describe("the drain's first steps in the interruption handler", () => {
  const pod = (name: string, extra: Partial<Pod["metadata"]> = {}): Pod => ({ metadata: { name, namespace: "default", ...extra }, spec: { nodeName: "node-i-1", containers: [] }, status: { phase: "Running" } });
  const input = (pods: Pod[]) => ({ nodes: [deleting(nodeFor(spot))], records: [record("Terminating")], podsByNode: new Map([["node-i-1", pods]]), instances: [spot], nowMs: 0 });

  it("taints the Node and evicts its pods (DaemonSet pods last), as the termination decision would", () => {
    const daemon = pod("agent", { ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent" }] });
    const actions = decideDrainStart(input([pod("web-1"), pod("web-2"), daemon]));
    expect(actions.map((a) => `${a.kind}${a.kind === "evict-pod" ? ` ${a.pod}` : ""}`)).toEqual(["taint-node", "evict-pod web-1", "evict-pod web-2"]);
  });

  it("never terminates the instance or removes the Node: that is the lifecycle tick's, even for a Node with nothing to drain", () => {
    const actions = decideDrainStart(input([]));
    expect(kinds(actions)).toEqual(["taint-node"]);
  });
});
