/**
 * The disruption loop the end-to-end tests drive (simulated cloud in disruption-loop.test.ts, the
 * EC2 adapter on moto in disruption-moto.test.ts): Deployments, the world run in 5 s steps through
 * the real handlers, and what the tests look at afterwards.
 */
import { expect } from "vitest";
import type { Node, Workload } from "../../lib/api/kubernetes.ts";
import type { DisruptionTickReport } from "../../lib/disruption/controller.ts";
import type { SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { auditPayloadForUnschedulable, callBatcher, callConsolidator, callDrift, callLifecycle, deliverNextMessages, sqsEvent } from "../support/world.ts";

/** Drift only (WhenEmpty keeps consolidation out of the way), one node at a time. */
export const ROLLING = { consolidationPolicy: "WhenEmpty", consolidateAfter: "0s", budgets: [{ nodes: "1" }] };

/**
 * A Deployment; `avoid` lists apps its pods never share a node with (required anti-affinity by
 * hostname), itself included for one pod per node; `extra` adds a node selector or pod annotations.
 */
export function deployment(
  name: string,
  replicas: number,
  cpu: string,
  avoid: string[] = [],
  extra: { nodeSelector?: Record<string, string>; annotations?: Record<string, string> } = {},
): Workload {
  const affinity = avoid.length > 0
    ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchExpressions: [{ key: "app", operator: "In" as const, values: avoid }] } }] } }
    : undefined;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
        spec: {
          ...(affinity ? { affinity } : {}),
          ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : {}),
          containers: [{ name: "app", resources: { requests: { cpu, memory: "256Mi" } } }],
        },
      },
    },
  };
}

export interface Loop {
  consolidator: DisruptionTickReport[];
  drift: DisruptionTickReport[];
}

export interface RunOptions {
  drift?: boolean;
  consolidate?: boolean;
  check?: () => void | Promise<void>;
  /** Injected crashes are expected: an invocation that throws is counted, and the loop goes on. */
  crashes?: { count: number };
  /** Every lifecycle and consolidator invocation runs twice at once, as a duplicated delivery would. */
  duplicate?: boolean;
}

/**
 * Runs the world for `totalMs` in 5 s steps: pending pods signal the batcher, due provisioner and
 * disruption messages are delivered, the lifecycle ticks every 10 s, the consolidator and drift
 * checker tick every 60 s. `check` runs after every step.
 */
export async function run(w: SimulatedWorld, totalMs: number, options: RunOptions = {}): Promise<Loop> {
  const out: Loop = { consolidator: [], drift: [] };
  const start = w.cluster.clock.now();
  const invoke = async <T>(call: () => Promise<T>): Promise<T[]> => {
    const calls = options.duplicate ? [call(), call()] : [call()];
    const settled = await Promise.allSettled(calls);
    const failed = settled.filter((r) => r.status === "rejected");
    if (failed.length > 0 && !options.crashes) throw (failed[0] as PromiseRejectedResult).reason;
    if (options.crashes) options.crashes.count += failed.length;
    return settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  };
  const reports = (values: unknown[]) => values.filter((v): v is DisruptionTickReport => typeof v === "object" && v !== null && "steps" in v);
  for (let elapsed = 5_000; elapsed <= totalMs; elapsed += 5_000) {
    await w.cluster.clock.advanceTo(start + elapsed);
    const unschedulable = auditPayloadForUnschedulable(w);
    if (unschedulable) await callBatcher(unschedulable);
    while (w.queue.pending().some((m) => m.dueAtMs <= w.cluster.clock.now())) await deliverNextMessages(w);
    if (elapsed % 10_000 === 0) await invoke(() => callLifecycle());
    if (options.consolidate !== false) {
      // The disruption queue's due messages, as one SQS batch (delivered twice at once when duplicating).
      const due = w.disruptionQueue.takeDue(w.cluster.clock.now());
      if (due.length > 0) out.consolidator.push(...reports(await invoke(() => callConsolidator(sqsEvent(due.map((m) => ({ id: m.id, body: JSON.stringify(m.message) })))))));
      if (elapsed % 60_000 === 0) out.consolidator.push(...reports(await invoke(() => callConsolidator())));
    }
    if (options.drift && elapsed % 60_000 === 30_000) out.drift.push((await callDrift()) as DisruptionTickReport);
    await options.check?.();
  }
  return out;
}

/**
 * The consolidation fixture: a 6-cpu pod and two 250m pods provisioned onto one node, returned
 * with its instance type. Scaling Deployment `big` to 0 then leaves the node under-used, and a
 * cheaper one holds the small pods.
 */
export async function underUsedLater(w: SimulatedWorld): Promise<{ original: Node; originalType: string }> {
  w.cluster.addWorkload(deployment("big", 1, "6"));
  w.cluster.addWorkload(deployment("small", 2, "250m"));
  await settle(w);
  expect(w.cluster.nodes()).toHaveLength(1);
  const original = w.cluster.nodes()[0]!;
  return { original, originalType: original.metadata.labels!["node.kubernetes.io/instance-type"]! };
}

/** Runs the world with no disruption for `ms` (provisioning and lifecycle only). */
export async function settle(w: SimulatedWorld, ms = 120_000): Promise<void> {
  await run(w, ms, { consolidate: false });
}

export async function runningInstances(w: SimulatedWorld) {
  return (await w.cloud.list()).filter((i) => i.state === "running" || i.state === "pending");
}

/** The Nodes carrying the `karpenter.sh/disrupted` taint. */
export function tainted(w: SimulatedWorld): string[] {
  return w.cluster.nodes().filter((n) => (n.spec.taints ?? []).some((t) => t.key === "karpenter.sh/disrupted")).map((n) => n.metadata.name);
}

/** Where a crash is injected (once), and how: the call throws before or after doing its work. */
export interface CrashPoint {
  name: string;
  /** Which port method, and whether the work is done before the throw. */
  port: "store" | "cloud" | "cluster";
  method: string;
  after: boolean;
  /** Crash on the n-th call after the scale-down (default the first). */
  nth?: number;
  /** Only calls whose first argument passes this. */
  when?: (args: unknown[]) => boolean;
}

/** `target` with `point.method` throwing once (before or after doing its work) while `armed()`. */
export function withCrash<T extends object>(target: T, point: CrashPoint, armed: () => boolean, hits: { n: number; crashed: boolean }): T {
  return new Proxy(target, {
    get(t, property, receiver) {
      const value = Reflect.get(t, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      if (property !== point.method) return (value as (...a: unknown[]) => unknown).bind(t);
      return async (...args: unknown[]) => {
        const hit = armed() && !hits.crashed && (point.when?.(args) ?? true) && ++hits.n >= (point.nth ?? 1);
        if (hit && !point.after) {
          hits.crashed = true;
          throw new Error(`injected crash: ${point.name}`);
        }
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(t, args);
        if (hit) {
          hits.crashed = true;
          throw new Error(`injected crash: ${point.name}`);
        }
        return result;
      };
    },
  });
}
