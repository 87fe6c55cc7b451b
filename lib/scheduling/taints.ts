/** Taints and tolerations, as kube-scheduler matches them. */
import type { Taint } from "../api/types.ts";
import type { Toleration } from "../api/kubernetes.ts";

export function toleratesTaint(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) {
    if (t.effect && t.effect !== taint.effect) continue;
    if (t.operator === "Exists") {
      if (!t.key || t.key === taint.key) return true;
      continue;
    }
    if (t.key === taint.key && (t.value ?? "") === (taint.value ?? "")) return true;
  }
  return false;
}

/**
 * The first taint not tolerated, or undefined. PreferNoSchedule taints count unless
 * `ignorePreferNoSchedule` (the last relaxation step tolerates them, as Karpenter does).
 */
export function untoleratedTaint(tolerations: readonly Toleration[], taints: readonly Taint[], ignorePreferNoSchedule: boolean): Taint | undefined {
  for (const taint of taints) {
    if (ignorePreferNoSchedule && taint.effect === "PreferNoSchedule") continue;
    if (!toleratesTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

export function formatTaint(taint: Taint): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ""}:${taint.effect}`;
}
