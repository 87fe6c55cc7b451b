/**
 * Interruption decisions as data, without any port: what is cordoned, what is only recorded.
 */
import { describe, expect, it } from "vitest";
import type { Action } from "../../lib/actions/actions.ts";
import type { Node } from "../../lib/api/kubernetes.ts";
import { decideInterruption, type InterruptedInstance } from "../../lib/interruption/interruption.ts";
import type { ClassifiedInterruption } from "../../lib/ports/interruption.ts";
import type { NodeClaimRecord } from "../../lib/ports/store.ts";
import { claimContent } from "../support/records.ts";

const node = (name: string, instanceId: string): Node => ({ metadata: { name, labels: {} }, spec: { providerID: `aws:///us-east-1a/${instanceId}` } }) as Node;
const record = (instanceId: string): NodeClaimRecord =>
  ({ ...claimContent("default-aaaaa", "Registered"), name: "default-aaaaa", version: 3, createdAtMs: 0, updatedAtMs: 0, launch: { attempts: 1, instanceId } }) as NodeClaimRecord;
const message = (action: ClassifiedInterruption["action"], kind: ClassifiedInterruption["kind"] = "spot-interruption"): ClassifiedInterruption => ({
  ok: true, eventId: "e-1", kind, action, instanceIds: ["i-1"], timeMs: 0, detail: "Spot interruption warning",
});
const spot = { instanceId: "i-1", instance: { instanceType: "m5.large", zone: "us-east-1a", capacityType: "spot" } } as InterruptedInstance;
const kinds = (actions: Action[]) => actions.map((a) => a.kind);

describe("the interruption decision", () => {
  it("for a node Tenon launched: marks the offering unavailable, cordons, taints, records an Event", () => {
    const actions = decideInterruption(message("mark-unavailable+cordon-and-drain"), [{ ...spot, node: node("n1", "i-1"), record: record("i-1") }], 1_000);
    expect(kinds(actions)).toEqual(["mark-offering-unavailable", "cordon-node", "taint-node", "record-event"]);
    expect(actions[0]).toMatchObject({ offering: { instanceType: "m5.large", zone: "us-east-1a", capacityType: "spot" }, expiresAtMs: 1_000 + 180_000 });
  });

  it("for a node it did not launch: only the Event, saying so; nothing patched", () => {
    const actions = decideInterruption(message("cordon-and-drain", "scheduled-change"), [{ instanceId: "i-1", node: node("theirs", "i-1") }], 0);
    expect(kinds(actions)).toEqual(["record-event"]);
    expect(actions[0]).toMatchObject({ event: { involvedObject: { name: "theirs" }, type: "Warning", message: expect.stringContaining("not cordoned: Tenon did not launch this node") } });
  });

  it("records an informational Event for a rebalance recommendation and decides nothing for an ignored message", () => {
    expect(kinds(decideInterruption(message("event-only", "rebalance-recommendation"), [{ ...spot, node: node("n1", "i-1"), record: record("i-1") }], 0))).toEqual(["record-event"]);
    expect(decideInterruption(message("ignore"), [{ ...spot, node: node("n1", "i-1"), record: record("i-1") }], 0)).toEqual([]);
  });
});
