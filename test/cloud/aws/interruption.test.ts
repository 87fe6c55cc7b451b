import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyInterruptionMessage } from "../../../lib/cloud/aws/interruption/classify.ts";
import { simulatedInterruptionEvent } from "../../../lib/cloud/in-memory/events.ts";
import { handleInterruption } from "../../../lib/interruption/interruption.ts";
import { event, ManualClock } from "../../support/cloud.ts";
import { cloudInstance, interruptedWorld } from "../../support/interruption.ts";


describe("classifyInterruptionMessage", () => {
  it("drains on a spot interruption warning and marks the offering unavailable", () => {
    expect(classifyInterruptionMessage(JSON.stringify(event("aws.ec2", "EC2 Spot Instance Interruption Warning", { "instance-id": "i-0abc123", "instance-action": "terminate" })))).toEqual({
      ok: true, eventId: "7bf73129-1428-4cd3-a780-95db273d1602", kind: "spot-interruption", action: "mark-unavailable+cordon-and-drain",
      instanceIds: ["i-0abc123"], timeMs: Date.parse("2026-11-01T12:00:00Z"), detail: "instance-action terminate",
    });
  });

  it("only records a rebalance recommendation", () => {
    expect(classifyInterruptionMessage(event("aws.ec2", "EC2 Instance Rebalance Recommendation", { "instance-id": "i-0abc" }))).toMatchObject({ kind: "rebalance-recommendation", action: "event-only", instanceIds: ["i-0abc"] });
  });

  it.each([
    ["stopping", "cordon-and-drain"], ["stopped", "cordon-and-drain"], ["shutting-down", "cordon-and-drain"], ["terminated", "cordon-and-drain"],
    ["running", "ignore"], ["pending", "ignore"],
  ])("on a state change to %s: %s", (state, action) => {
    expect(classifyInterruptionMessage(event("aws.ec2", "EC2 Instance State-change Notification", { "instance-id": "i-0abc", state }))).toMatchObject({ kind: "state-change", action, detail: `state ${state}` });
  });

  it("drains on an AWS Health scheduled change for EC2, naming every affected instance", () => {
    const health = event("aws.health", "AWS Health Event", {
      service: "EC2", eventTypeCategory: "scheduledChange", eventTypeCode: "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
      affectedEntities: [{ entityValue: "i-0aaa" }, { entityValue: "i-0bbb" }],
    });
    expect(classifyInterruptionMessage(health)).toMatchObject({ kind: "scheduled-change", action: "cordon-and-drain", instanceIds: ["i-0aaa", "i-0bbb"] });
  });

  it("ignores other health events", () => {
    const rds = event("aws.health", "AWS Health Event", { service: "RDS", eventTypeCategory: "scheduledChange", affectedEntities: [{ entityValue: "db-1" }] });
    expect(classifyInterruptionMessage(rds)).toMatchObject({ ok: true, action: "ignore" });
    const issue = event("aws.health", "AWS Health Event", { service: "EC2", eventTypeCategory: "issue", affectedEntities: [{ entityValue: "i-0aaa" }] });
    expect(classifyInterruptionMessage(issue)).toMatchObject({ ok: true, action: "ignore" });
  });

  it("drains and marks unavailable on a capacity reservation interruption", () => {
    const cr = event("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning", { "instance-id": "i-0ccc", "capacity-reservation-id": "cr-0123" });
    expect(classifyInterruptionMessage(cr)).toMatchObject({ kind: "capacity-reservation-interruption", action: "mark-unavailable+cordon-and-drain", instanceIds: ["i-0ccc"], capacityReservationId: "cr-0123" });
  });

  it("rejects malformed and unknown messages with a reason", () => {
    expect(classifyInterruptionMessage("{oops")).toEqual({ ok: false, reason: "message body is not JSON" });
    expect(classifyInterruptionMessage({ hello: "world" })).toMatchObject({ ok: false, reason: expect.stringContaining("not an EventBridge event") });
    expect(classifyInterruptionMessage(event("aws.s3", "Object Created", {}))).toEqual({ ok: false, reason: "unknown event aws.s3 / Object Created" });
    expect(classifyInterruptionMessage(event("aws.ec2", "EC2 Spot Instance Interruption Warning", { "instance-id": "not-an-id" }))).toMatchObject({
      ok: false, reason: expect.stringContaining("detail: instance-id: not an EC2 instance id"),
    });
    expect(classifyInterruptionMessage(event("aws.ec2", "EC2 Instance State-change Notification", { "instance-id": "i-0abc" }, { time: "yesterday" }))).toMatchObject({ ok: false, reason: expect.stringContaining("time") });
  });

  it("never throws, whatever arrives (property)", () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.jsonValue(), fc.anything()), (body) => {
      const result = classifyInterruptionMessage(body);
      expect(typeof result.ok).toBe("boolean");
    }), { numRuns: 500 });
  });
});

describe("interruption follow-ups", () => {
  it("the handler marks the spot offering of an interrupted spot instance unavailable, and nothing for a stop or an instance it does not know", async () => {
    const w = await interruptedWorld([cloudInstance("i-0aa", "spot"), cloudInstance("i-0bb", "on-demand", { instanceType: "c5.large" })]);
    const handle = async (body: unknown) => {
      const message = classifyInterruptionMessage(body);
      if (!message.ok) throw new Error(message.reason);
      return handleInterruption(w.ports, message);
    };
    const unavailable = async () => (await w.ports.store.listUnavailable(w.ports.clock.now())).map((u) => `${u.capacityType}:${u.instanceType}:${u.zone}`);
    await handle(event("aws.ec2", "EC2 Instance State-change Notification", { "instance-id": "i-0aa", state: "stopping" }));
    await handle(event("aws.ec2", "EC2 Spot Instance Interruption Warning", { "instance-id": "i-0cc" }));
    await handle(event("aws.ec2", "EC2 Spot Instance Interruption Warning", { "instance-id": "i-0bb" }));
    expect(await unavailable()).toEqual([]);
    const report = await handle(event("aws.ec2", "EC2 Spot Instance Interruption Warning", { "instance-id": "i-0aa" }));
    expect(report.markedUnavailable).toBe(1);
    expect(await unavailable()).toEqual(["spot:m5.large:us-east-1a"]);
  });

  it.each(["spot-interruption", "rebalance-recommendation", "stopping", "terminated", "scheduled-change", "capacity-reservation-interruption"] as const)(
    "the simulated cloud's %s event is classified like the real one",
    (kind) => {
      const classified = classifyInterruptionMessage(simulatedInterruptionEvent(kind, "i-0aa", new ManualClock()));
      expect(classified).toMatchObject({ ok: true, instanceIds: ["i-0aa"] });
      const expected = {
        "spot-interruption": "mark-unavailable+cordon-and-drain", "rebalance-recommendation": "event-only", stopping: "cordon-and-drain", terminated: "cordon-and-drain",
        "scheduled-change": "cordon-and-drain", "capacity-reservation-interruption": "mark-unavailable+cordon-and-drain",
      }[kind];
      expect(classified.ok && classified.action).toBe(expected);
    },
  );
});
