/**
 * Which label keys a node side may leave undefined. Well-known labels (zone, instance type,
 * capacity type, the AWS instance labels...) are decided at launch, so a NodePool that doesn't
 * mention them still allows any value; a custom label must be defined by the NodePool.
 */
import { WELL_KNOWN_LABEL_KEYS } from "../api/labels.ts";
import type { AllowUndefined } from "./requirements.ts";

/** Allows the well-known keys plus `extra` (e.g. every label key an instance-type catalog uses). */
export function allowWellKnown(extra: Iterable<string> = []): AllowUndefined {
  const keys = new Set<string>(WELL_KNOWN_LABEL_KEYS);
  for (const k of extra) keys.add(k);
  return (key) => keys.has(key);
}

/** Allows no undefined key: an existing node's missing label really is absent. */
export const ALLOW_NONE: AllowUndefined = () => false;
