/**
 * Resource lists as the scheduler sees them: resource name -> number, with cpu in millicores and
 * everything else in whole units (bytes for memory and storage). Plain numbers keep the hot path
 * fast; values stay exact up to 2^53 (8 PiB), far above any node.
 */
import { formatResource, parseQuantity, toResourceNumber } from "./quantity.ts";

export type Resources = Readonly<Record<string, number>>;

export const EMPTY_RESOURCES: Resources = Object.freeze({});

/** Parses a Kubernetes resource map (`{cpu: "100m", memory: "1Gi"}`) into scheduler numbers. */
export function parseResources(list: Readonly<Record<string, string | number>> | undefined): Resources {
  const out: Record<string, number> = {};
  if (!list) return out;
  for (const [name, value] of Object.entries(list)) out[name] = toResourceNumber(name, parseQuantity(value));
  return out;
}

export function formatResources(resources: Resources): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(resources).sort()) out[name] = formatResource(name, resources[name]!);
  return out;
}

export function addResources(...lists: Resources[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const list of lists) for (const name in list) out[name] = (out[name] ?? 0) + list[name]!;
  return out;
}

/** a - b, keeping every key of a; keys only in b become negative. */
export function subtractResources(a: Resources, b: Resources): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const name in b) out[name] = (out[name] ?? 0) - b[name]!;
  return out;
}

/** Element-wise maximum. */
export function maxResources(...lists: Resources[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const list of lists) for (const name in list) out[name] = Math.max(out[name] ?? 0, list[name]!);
  return out;
}

/** True when every requested amount is available (a missing available key counts as zero). */
export function fitsIn(requests: Resources, available: Resources): boolean {
  for (const name in requests) {
    const wanted = requests[name]!;
    if (wanted > 0 && wanted > (available[name] ?? 0)) return false;
  }
  return true;
}

/** The resource names whose request exceeds what is available; empty when it fits. */
export function exceededResources(requests: Resources, available: Resources): string[] {
  const out: string[] = [];
  for (const name in requests) {
    const wanted = requests[name]!;
    if (wanted > 0 && wanted > (available[name] ?? 0)) out.push(name);
  }
  return out.sort();
}
