/**
 * The hashes static drift compares: the NodePool template's (`karpenter.sh/nodepool-hash`, with its
 * version in `karpenter.sh/nodepool-hash-version`) and the EC2NodeClass's static fields'
 * (`karpenter.k8s.aws/ec2nodeclass-hash`, `-hash-version`). Pure: the launch path stamps both on
 * every NodeClaim it makes; a NodePool or EC2NodeClass carries the hash of its current spec. Here
 * in lib/api because the launch path (lib/actions) and disruption (lib/disruption) both use them.
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
import { amiFamilyOf } from "./ami-family.ts";
import type { EC2NodeClass, NodePool, Taint } from "./types.ts";

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

// ---- EC2NodeClass ------------------------------------------------------------------------------

export const ANNOTATION_EC2NODECLASS_HASH = "karpenter.k8s.aws/ec2nodeclass-hash";
export const ANNOTATION_EC2NODECLASS_HASH_VERSION = "karpenter.k8s.aws/ec2nodeclass-hash-version";
/** Bumped whenever what the EC2NodeClass hash covers changes. */
export const EC2NODECLASS_HASH_VERSION = "tenon-v1";

/**
 * Sorted keys, no undefined or null; every list as a set (sorted by its items' canonical text), as
 * Karpenter hashes with slices as sets.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).sort((a, b) => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined && item !== null) out[key] = canonical(item);
    }
    return out;
  }
  return value;
}

/**
 * The hash of an EC2NodeClass's static fields (what `karpenter.k8s.aws/ec2nodeclass-hash` holds).
 * As Karpenter, the selector terms are left out (what they resolve to drifts on its own: the AMI,
 * subnet and security groups a NodeClaim recorded), and so is `ipPrefixCount`; the AMI family
 * counts as resolved from the alias, so spelling out the family an alias implies is no change.
 * The value is Tenon's own, like the NodePool hash (a Karpenter-stamped version never matches).
 */
export function ec2NodeClassHash(nodeClass: EC2NodeClass): string {
  const { subnetSelectorTerms: _s, securityGroupSelectorTerms: _g, amiSelectorTerms: _a, capacityReservationSelectorTerms: _c, ipPrefixCount: _p, amiFamily: _f, ...rest } = nodeClass.spec;
  return fnv1a64(JSON.stringify(canonical({ ...rest, amiFamily: amiFamilyOf(nodeClass) })));
}

/** The annotations a launch puts on a NodeClaim made from `nodeClass`. */
export function ec2NodeClassHashAnnotations(nodeClass: EC2NodeClass): Record<string, string> {
  return { [ANNOTATION_EC2NODECLASS_HASH]: ec2NodeClassHash(nodeClass), [ANNOTATION_EC2NODECLASS_HASH_VERSION]: EC2NODECLASS_HASH_VERSION };
}
