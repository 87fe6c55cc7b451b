/**
 * The NodePool template hash that static drift compares (`karpenter.sh/nodepool-hash`, with its
 * version in `karpenter.sh/nodepool-hash-version`). Pure: the launch path stamps it on every
 * NodeClaim it makes, and a NodePool carries the hash of its current template.
 *
 * What it covers, as Karpenter v1: the template's labels, annotations, taints, startup taints,
 * nodeClassRef, expireAfter and terminationGracePeriod. Requirements are left out (requirement
 * drift compares them against the node's labels instead), and so are the behavioural fields
 * (weight, limits, disruption). Lists whose order means nothing (taints) hash as sets.
 *
 * The value is Tenon's own (FNV-1a 64 over a canonical JSON), not Karpenter's: a NodeClaim stamped
 * by Karpenter carries Karpenter's version, which differs from ours, and a hash-version mismatch is
 * never drift (Karpenter re-stamps instead), so nodes adopted from Karpenter don't all roll.
 */
import type { NodePool, Taint } from "./types.ts";

export const ANNOTATION_NODEPOOL_HASH = "karpenter.sh/nodepool-hash";
export const ANNOTATION_NODEPOOL_HASH_VERSION = "karpenter.sh/nodepool-hash-version";
/** Bumped whenever what the hash covers changes, so a new Tenon does not roll every node. */
export const NODEPOOL_HASH_VERSION = "tenon-v1";

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = (1n << 64n) - 1n;

function fnv1a64(text: string): string {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK;
  }
  return hash.toString();
}

function sortedRecord(record: Readonly<Record<string, string>> | undefined): Array<[string, string]> {
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function taintSet(taints: readonly Taint[]): string[] {
  return taints.map((t) => `${t.key}=${t.value ?? ""}:${t.effect}`).sort();
}

/** The hash of a NodePool's template (what `karpenter.sh/nodepool-hash` holds). */
export function nodePoolTemplateHash(nodePool: NodePool): string {
  const template = nodePool.spec.template;
  const spec = template.spec;
  const canonical = {
    labels: sortedRecord(template.metadata.labels),
    annotations: sortedRecord(template.metadata.annotations),
    taints: taintSet(spec.taints),
    startupTaints: taintSet(spec.startupTaints),
    nodeClassRef: [spec.nodeClassRef.group, spec.nodeClassRef.kind, spec.nodeClassRef.name],
    expireAfter: spec.expireAfter,
    terminationGracePeriod: spec.terminationGracePeriod ?? null,
  };
  return fnv1a64(JSON.stringify(canonical));
}

/** The annotations the launch path puts on a NodeClaim made from `nodePool`. */
export function nodePoolHashAnnotations(nodePool: NodePool): Record<string, string> {
  return { [ANNOTATION_NODEPOOL_HASH]: nodePoolTemplateHash(nodePool), [ANNOTATION_NODEPOOL_HASH_VERSION]: NODEPOOL_HASH_VERSION };
}
