/**
 * The batcher's work: turn a signal payload into pods seen, record them in the shared batch
 * window, and when this call opened the window, schedule exactly one provisioner run after the
 * idle window with a delayed message. A payload that can't be read is rejected (logged and
 * counted) and never retried: the provisioner's scheduled tick covers whatever it might have said.
 */
import type { CorePorts } from "../observe/ports.ts";
import { METRIC } from "../ports/telemetry.ts";
import { parseBatcherEvent } from "./signals.ts";

export type BatcherReport =
  | { kind: "rejected"; reason: string }
  | { kind: "ignored"; control: boolean }
  | { kind: "recorded"; pods: number; opened: boolean };

export async function recordSignals(ports: CorePorts, event: unknown): Promise<BatcherReport> {
  const { store, queue, clock, log, metrics, settings } = ports;
  const parsed = parseBatcherEvent(event, ports.clusterName);
  if (!parsed.ok) {
    metrics.addMetric(METRIC.rejectedEvents, "Count", 1);
    log.warn("rejected a batcher event", { reason: parsed.reason });
    return { kind: "rejected", reason: parsed.reason };
  }
  if (parsed.malformed.length > 0) {
    metrics.addMetric(METRIC.rejectedEvents, "Count", parsed.malformed.length);
    log.warn("skipped unreadable log events", { problems: parsed.malformed.slice(0, 10), count: parsed.malformed.length });
  }
  if (parsed.pods.length === 0) return { kind: "ignored", control: parsed.control };
  const now = clock.now();
  const { window, opened } = await store.recordPodsSeen(parsed.pods.length, now);
  metrics.addMetric(METRIC.podSignals, "Count", parsed.pods.length);
  if (opened) {
    await queue.send({ kind: "batch-ready", firstSeenAtMs: window.firstSeenAtMs, reason: "window-opened" }, settings.batchIdleMs);
  }
  log.info("recorded unschedulable pods", { pods: parsed.pods.slice(0, 20).map((p) => `${p.namespace}/${p.name}`), count: parsed.pods.length, opened });
  return { kind: "recorded", pods: parsed.pods.length, opened };
}
