/**
 * EC2NodeClass `spec.kubelet`: the kubelet settings Karpenter knows are checked as its v1 CRD
 * checks them (reserved-resource keys, eviction signals and thresholds, image GC percentages);
 * other keys are kept as given, since Karpenter treats the block as an open kubelet config.
 */
import type { KubeletConfiguration } from "./types.ts";
import { child, quote, type Problems } from "./fields.ts";
import { isQuantity, parseQuantity } from "../quantity/quantity.ts";
import { parseGoDuration } from "./duration.ts";

export const EVICTION_SIGNALS = ["memory.available", "nodefs.available", "nodefs.inodesFree", "imagefs.available", "imagefs.inodesFree", "pid.available"] as const;
export const RESERVABLE_RESOURCES = ["cpu", "memory", "ephemeral-storage", "pid"] as const;

const PERCENT = /^(\d{1,2}(\.\d{1,2})?|100(\.0{1,2})?)%$/;

function isQuantityText(value: string): boolean {
  return value.trim() === value && isQuantity(value);
}

function checkReserved(map: Record<string, string>, path: string, problems: Problems): void {
  for (const [key, value] of Object.entries(map)) {
    if (!(RESERVABLE_RESOURCES as readonly string[]).includes(key)) {
      problems.add(child(path, key), `${quote(key)} can't be reserved; valid keys are ${RESERVABLE_RESOURCES.join(", ")}`);
    } else if (!isQuantityText(value)) {
      problems.add(child(path, key), `${quote(value)} is not a quantity (like 100m, 1Gi)`);
    } else if (parseQuantity(value).nano < 0n) {
      problems.add(child(path, key), `${quote(value)} can't be a negative resource quantity`);
    }
  }
}

function checkSignals(map: Record<string, string>, path: string, problems: Problems, values: "threshold" | "duration"): void {
  for (const [key, value] of Object.entries(map)) {
    if (!(EVICTION_SIGNALS as readonly string[]).includes(key)) {
      problems.add(child(path, key), `${quote(key)} is not an eviction signal; valid keys are ${EVICTION_SIGNALS.join(", ")}`);
      continue;
    }
    if (values === "duration") {
      let ms: number | undefined;
      try {
        ms = parseGoDuration(value);
      } catch {
        ms = undefined;
      }
      if (ms === undefined || ms < 0) problems.add(child(path, key), `${quote(value)} is not a duration (like 30s or 2m)`);
    } else if (!PERCENT.test(value) && !(isQuantityText(value) && parseQuantity(value).nano >= 0n)) {
      problems.add(child(path, key), `${quote(value)} is not a percentage (like 10%) or a non-negative quantity (like 100Mi)`);
    }
  }
}

/** The kubelet settings an EC2NodeClass takes (Karpenter's CRD prunes nothing here: anything else is an error). */
const KUBELET_FIELDS = [
  "clusterDNS",
  "cpuCFSQuota",
  "evictionHard",
  "evictionMaxPodGracePeriod",
  "evictionSoft",
  "evictionSoftGracePeriod",
  "imageGCHighThresholdPercent",
  "imageGCLowThresholdPercent",
  "kubeReserved",
  "maxPods",
  "podsPerCore",
  "systemReserved",
];

export function parseKubelet(raw: unknown, path: string, problems: Problems): KubeletConfiguration | undefined {
  const kubelet = problems.record(raw, path);
  if (!kubelet) return undefined;
  const before = problems.list.length;
  const out: KubeletConfiguration = { ...kubelet };
  problems.unknownFields(kubelet, path, KUBELET_FIELDS);
  for (const field of ["maxPods", "podsPerCore"] as const) problems.integer(kubelet[field], child(path, field), 0);
  problems.integer(kubelet["evictionMaxPodGracePeriod"], child(path, "evictionMaxPodGracePeriod"));
  const high = problems.integer(kubelet["imageGCHighThresholdPercent"], child(path, "imageGCHighThresholdPercent"), 0, 100);
  const low = problems.integer(kubelet["imageGCLowThresholdPercent"], child(path, "imageGCLowThresholdPercent"), 0, 100);
  if (high !== undefined && low !== undefined && high <= low) {
    problems.add(child(path, "imageGCHighThresholdPercent"), `${high} must be greater than imageGCLowThresholdPercent (${low})`);
  }
  problems.boolean(kubelet["cpuCFSQuota"], child(path, "cpuCFSQuota"));
  problems.stringList(kubelet["clusterDNS"], child(path, "clusterDNS"));
  for (const field of ["kubeReserved", "systemReserved"] as const) {
    const map = problems.stringMap(kubelet[field], child(path, field));
    if (map) checkReserved(map, child(path, field), problems);
  }
  for (const field of ["evictionHard", "evictionSoft"] as const) {
    const map = problems.stringMap(kubelet[field], child(path, field));
    if (map) checkSignals(map, child(path, field), problems, "threshold");
  }
  const grace = problems.stringMap(kubelet["evictionSoftGracePeriod"], child(path, "evictionSoftGracePeriod"));
  if (grace) checkSignals(grace, child(path, "evictionSoftGracePeriod"), problems, "duration");
  const soft = kubelet["evictionSoft"] as Record<string, unknown> | undefined;
  if (problems.list.length === before) {
    // A soft threshold with no grace period is never acted on; a grace period alone means nothing.
    for (const signal of Object.keys(soft ?? {})) {
      if (!grace || !(signal in grace)) problems.add(child(child(path, "evictionSoft"), signal), "has no matching evictionSoftGracePeriod");
    }
    for (const signal of Object.keys(grace ?? {})) {
      if (!soft || !(signal in soft)) problems.add(child(child(path, "evictionSoftGracePeriod"), signal), "has no matching evictionSoft");
    }
  }
  return problems.list.length > before ? undefined : out;
}
