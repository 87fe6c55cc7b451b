/**
 * Pods as disruption sees them: which ones a disruption moves, which ones block it, and what
 * moving them costs. Pure; `at` is the decision time in epoch milliseconds.
 */
import { parseGoDuration } from "../api/duration.ts";
import { ANNOTATION_DO_NOT_DISRUPT } from "../api/labels.ts";
import type { Pod } from "../api/kubernetes.ts";
import { podKey } from "../api/kubernetes.ts";
import { toleratesTaint } from "../scheduling/taints.ts";

export const ANNOTATION_POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";
export const ANNOTATION_MIRROR_POD = "kubernetes.io/config.mirror";
export const DISRUPTED_TAINT = { key: "karpenter.sh/disrupted", effect: "NoSchedule" as const };

export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

export function isTerminating(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

function ownedBy(pod: Pod, kind: string): boolean {
  return (pod.metadata.ownerReferences ?? []).some((o) => o.kind === kind);
}

/** A static pod's mirror: the kubelet owns it, so it can't be evicted. */
export function isMirrorPod(pod: Pod): boolean {
  return ownedBy(pod, "Node") || pod.metadata.annotations?.[ANNOTATION_MIRROR_POD] !== undefined;
}

export function isDaemonSetPod(pod: Pod): boolean {
  return ownedBy(pod, "DaemonSet");
}

/**
 * A pod a disruption has to find a new home for: active (or a terminating StatefulSet pod, whose
 * replacement keeps its identity), not a DaemonSet's or a mirror pod, and not tolerating the
 * disrupted taint (such a pod stays until the node goes).
 */
export function isReschedulable(pod: Pod): boolean {
  if (isTerminal(pod)) return false;
  if (isTerminating(pod) && !ownedBy(pod, "StatefulSet")) return false;
  if (isDaemonSetPod(pod) || isMirrorPod(pod)) return false;
  return !toleratesTaint(pod.spec.tolerations ?? [], DISRUPTED_TAINT);
}

/** When the pod started (status.startTime, else its creation), in epoch ms; undefined when unknown. */
function startTime(pod: Pod): number | undefined {
  const started = (pod.status as { startTime?: unknown } | undefined)?.startTime;
  const text = typeof started === "string" ? started : pod.metadata.creationTimestamp;
  const ms = text === undefined ? NaN : Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Why `karpenter.sh/do-not-disrupt` on this object blocks a graceful disruption at `at`, or
 * undefined: `"true"` blocks; a duration blocks until that long after `since`; anything else
 * (including `"false"`) does not.
 */
export function doNotDisruptUntil(value: string | undefined, since: number | undefined, at: number): "forever" | number | undefined {
  if (value === undefined) return undefined;
  if (value === "true") return "forever";
  let ms: number;
  try {
    ms = parseGoDuration(value);
  } catch {
    return undefined;
  }
  if (since === undefined) return "forever";
  return at < since + ms ? since + ms : undefined;
}

/** The reason this pod blocks graceful disruption of its node through do-not-disrupt, or undefined. */
export function podDoNotDisrupt(pod: Pod, at: number): string | undefined {
  if (isTerminal(pod) || isTerminating(pod)) return undefined;
  const value = pod.metadata.annotations?.[ANNOTATION_DO_NOT_DISRUPT];
  const until = doNotDisruptUntil(value, startTime(pod), at);
  if (until === undefined) return undefined;
  if (until === "forever") return `pod ${podKey(pod)} has ${ANNOTATION_DO_NOT_DISRUPT}: "${value}"`;
  return `pod ${podKey(pod)} has ${ANNOTATION_DO_NOT_DISRUPT}: "${value}" until ${new Date(until).toISOString().replace(".000Z", "Z")}`;
}

/**
 * What evicting the pod costs, as Karpenter weighs it: 1, plus its pod-deletion-cost and its
 * priority scaled down, clamped to [-10, 10].
 */
export function evictionCost(pod: Pod): number {
  let cost = 1;
  const deletionCost = Number(pod.metadata.annotations?.[ANNOTATION_POD_DELETION_COST]);
  if (pod.metadata.annotations?.[ANNOTATION_POD_DELETION_COST] !== undefined && Number.isFinite(deletionCost)) cost += deletionCost / 2 ** 27;
  if (pod.spec.priority !== undefined) cost += pod.spec.priority / 2 ** 25;
  return Math.min(10, Math.max(-10, cost));
}
