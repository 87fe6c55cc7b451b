import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { recordSignals } from "../../lib/provisioning/batcher.ts";
import { MAX_AUDIT_PAYLOAD_BYTES, MAX_REASON_CHARS, parseAuditLogPayload, parseBatcherEvent, parseForwardedEvent, unschedulablePodIn } from "../../lib/provisioning/signals.ts";
import { simulatedWorld } from "../../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
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

describe("bounds on what a payload may cost", () => {
  const payload = (message: string, messageType = "DATA_MESSAGE") => ({
    messageType, owner: "1", logGroup: "g", logStream: "s", subscriptionFilters: ["f"], logEvents: [{ id: "1", timestamp: 1, message }],
  });

  it("refuses awslogs data that inflates beyond MAX_AUDIT_PAYLOAD_BYTES, saying so, instead of inflating it whole", () => {
    // A gzip bomb: tens of kilobytes that inflate to 3x the bound, yet valid JSON with a good audit event.
    const audit = JSON.stringify(schedulerPatchAudit(pod("a"))) + " ".repeat(3 * MAX_AUDIT_PAYLOAD_BYTES);
    const data = gzipSync(Buffer.from(JSON.stringify(payload(audit)))).toString("base64");
    expect(data.length).toBeLessThan(200_000);
    const parsed = parseBatcherEvent({ awslogs: { data } }, "c1");
    expect(parsed).toEqual({ ok: false, reason: expect.stringMatching(new RegExp(`inflates to more than ${MAX_AUDIT_PAYLOAD_BYTES} bytes`)) });
    // Just under the bound still reads.
    const fits = JSON.stringify(schedulerPatchAudit(pod("a"))) + " ".repeat(MAX_AUDIT_PAYLOAD_BYTES / 2);
    expect(parseBatcherEvent({ awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload(fits)))).toString("base64") } }, "c1")).toMatchObject({ ok: true, pods: [{ name: "a" }] });
  });

  it("cuts the reason for a malformed megabyte to MAX_REASON_CHARS, and the batcher logs it once", async () => {
    const data = gzipSync(Buffer.from(JSON.stringify(payload("{}", "X".repeat(1024 * 1024))))).toString("base64");
    const parsed = parseBatcherEvent({ awslogs: { data } }, "c1");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.reason).toMatch(/^messageType "XXX/);
      expect(parsed.reason.length).toBeLessThan(MAX_REASON_CHARS + 100);
    }
    const w = simulatedWorld({ clusterName: "c1", store: createMemoryStore() });
    const report = await recordSignals(w.ports, { awslogs: { data } });
    expect(report.kind).toBe("rejected");
    const logged = w.telemetry.logs.filter((l) => JSON.stringify(l).includes("XXXX"));
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged[0]).length).toBeLessThan(MAX_REASON_CHARS + 300);
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
