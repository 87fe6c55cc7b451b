import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseAuditLogPayload, parseBatcherEvent, parseForwardedEvent, unschedulablePodIn } from "../../lib/provisioning/signals.ts";
import { awslogsEvent, schedulerPatchAudit } from "../support/world.ts";

const pod = (name: string, namespace = "shop") => ({ metadata: { name, namespace } });

describe("reading kube-scheduler's status patches from the audit log", () => {
  it("decodes base64 gzip JSON and returns each pod marked Unschedulable once", () => {
    const event = awslogsEvent([schedulerPatchAudit(pod("a")), schedulerPatchAudit(pod("b")), schedulerPatchAudit(pod("a"))]);
    expect(parseAuditLogPayload(event)).toEqual({
      ok: true,
      pods: [{ namespace: "shop", name: "a" }, { namespace: "shop", name: "b" }],
      ignored: 0,
      malformed: [],
      control: false,
    });
  });

  it("finds the PodScheduled condition wherever it sits in the conditions array", () => {
    const audit = schedulerPatchAudit(pod("a"), [{ type: "Ready", status: "False" }, { type: "ContainersReady", status: "False" }]);
    expect(unschedulablePodIn(audit)).toEqual({ namespace: "shop", name: "a" });
  });

  it("ignores patches that are not PodScheduled=False/Unschedulable, other users, other subresources and failed requests", () => {
    const base = schedulerPatchAudit(pod("a"));
    const scheduled = { ...base, requestObject: { status: { conditions: [{ type: "PodScheduled", status: "True" }] } } };
    const otherReason = { ...base, requestObject: { status: { conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }] } } };
    const kubelet = { ...base, user: { username: "system:node:ip-10-0-0-1" } };
    const binding = { ...base, objectRef: { resource: "pods", subresource: "binding", namespace: "shop", name: "a" } };
    const conflict = { ...base, responseStatus: { code: 409 } };
    const get = { ...base, verb: "get" };
    for (const audit of [scheduled, otherReason, kubelet, binding, conflict, get]) expect(unschedulablePodIn(audit)).toBeUndefined();
    const parsed = parseAuditLogPayload(awslogsEvent([scheduled, kubelet, base]));
    expect(parsed).toMatchObject({ ok: true, pods: [{ name: "a" }], ignored: 2 });
  });

  it("treats a CONTROL_MESSAGE as nothing to do", () => {
    expect(parseAuditLogPayload(awslogsEvent(["CWL CONTROL MESSAGE: Checking health of destination Lambda."], "CONTROL_MESSAGE"))).toEqual({
      ok: true, pods: [], ignored: 1, malformed: [], control: true,
    });
  });

  it("keeps the good log events of a payload and names the unreadable ones", () => {
    const parsed = parseAuditLogPayload(awslogsEvent(["{not json", schedulerPatchAudit(pod("a"))]));
    expect(parsed).toMatchObject({ ok: true, pods: [{ name: "a" }], malformed: ["log event 1000: message is not JSON"] });
  });

  it("rejects data that is not base64 gzip JSON, with a reason", () => {
    const notGzip = { awslogs: { data: Buffer.from("plain text").toString("base64") } };
    const notPayload = { awslogs: { data: gzipSync(Buffer.from(JSON.stringify({ hello: 1 }))).toString("base64") } };
    for (const event of [notGzip, notPayload, { awslogs: {} }]) {
      const parsed = parseAuditLogPayload(event);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toMatch(/^not a CloudWatch Logs subscription payload: /);
    }
  });
});

describe("reading forwarded EventBridge pod events", () => {
  const envelope = (detail: unknown) => ({ version: "0", id: "1", source: "tenon.kubernetes", "detail-type": "Pod Unschedulable", time: "2026-01-01T00:00:00Z", detail });

  it("accepts one pod or a list, for this cluster only", () => {
    expect(parseForwardedEvent(envelope({ cluster: "c1", namespace: "a", name: "p" }), "c1")).toMatchObject({ ok: true, pods: [{ namespace: "a", name: "p" }] });
    expect(parseForwardedEvent(envelope({ cluster: "c1", pods: [{ name: "p" }, { name: "q", namespace: "b" }] }), "c1")).toMatchObject({
      ok: true, pods: [{ namespace: "default", name: "p" }, { namespace: "b", name: "q" }],
    });
    expect(parseForwardedEvent(envelope({ cluster: "other", name: "p" }), "c1")).toMatchObject({ ok: true, pods: [], ignored: 1 });
  });

  it("rejects a detail without a pod, naming the field", () => {
    const parsed = parseForwardedEvent(envelope({ cluster: "c1" }), "c1");
    expect(parsed).toMatchObject({ ok: false });
    if (!parsed.ok) expect(parsed.reason).toMatch(/^detail: /);
  });

  it("tells the two event kinds apart and rejects anything else", () => {
    expect(parseBatcherEvent(awslogsEvent([schedulerPatchAudit(pod("a"))]), "c1")).toMatchObject({ ok: true, pods: [{ name: "a" }] });
    expect(parseBatcherEvent(envelope({ cluster: "c1", name: "p" }), "c1")).toMatchObject({ ok: true, pods: [{ name: "p" }] });
    expect(parseBatcherEvent({ hello: "world" }, "c1")).toMatchObject({ ok: false });
    expect(parseBatcherEvent("text", "c1")).toMatchObject({ ok: false });
  });
});
