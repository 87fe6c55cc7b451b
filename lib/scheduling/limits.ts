/**
 * NodePool limits: what the pool's existing and in-flight capacity uses (its `capacity`, as Karpenter
 * counts limits; the snapshot sizes a claim not reporting one by the largest type it may become), what the claims made in
 * this run reserve (the largest capacity among each claim's options, since any of them may
 * launch), and which instance types still fit what is left.
 */
import { parseResources, type Resources } from "../quantity/resources.ts";
import type { ClaimBin } from "./bins.ts";
import type { NodePoolTemplate } from "./templates.ts";
import type { ExistingNode } from "./types.ts";

export class PoolLimits {
  private readonly used: Array<Record<string, number>>;

  constructor(templates: readonly NodePoolTemplate[], existing: readonly ExistingNode[]) {
    this.used = templates.map(() => ({}));
    const byName = new Map(templates.map((t) => [t.name, t.index]));
    for (const n of existing) {
      const i = n.nodePoolName !== undefined ? byName.get(n.nodePoolName) : undefined;
      if (i === undefined) continue;
      addInto(this.used[i]!, existingCapacity(n));
      addInto(this.used[i]!, { nodes: 1 });
    }
  }

  /** What is left under the pool's limits, or undefined when it has none. */
  remaining(t: NodePoolTemplate): Record<string, number> | undefined {
    if (!t.limits) return undefined;
    const used = this.used[t.index]!;
    const out: Record<string, number> = {};
    for (const name in t.limits) out[name] = t.limits[name]! - (used[name] ?? 0);
    return out;
  }

  /** Replaces a claim's reservation (after its options changed). */
  reserve(claim: ClaimBin, maxTypes: number): void {
    if (!claim.template.limits) return;
    const used = this.used[claim.template.index]!;
    for (const name in claim.reserved) used[name] = (used[name] ?? 0) - claim.reserved[name]!;
    claim.refreshReserved(maxTypes);
    addInto(used, claim.reserved);
  }

  release(claim: ClaimBin): void {
    if (!claim.template.limits) return;
    const used = this.used[claim.template.index]!;
    for (const name in claim.reserved) used[name] = (used[name] ?? 0) - claim.reserved[name]!;
    claim.reserved = {};
  }
}

/** Whether a node of this capacity fits what remains (every limited resource, plus one node). */
export function withinLimits(capacity: Resources, remaining: Record<string, number> | undefined): boolean {
  if (!remaining) return true;
  for (const name in remaining) {
    const needed = name === "nodes" ? 1 : (capacity[name] ?? 0);
    if (needed > remaining[name]!) return false;
  }
  return true;
}

function existingCapacity(n: ExistingNode): Resources {
  if (n.capacity && Object.keys(n.capacity).length) return n.capacity;
  const fromNode = n.node?.status?.capacity;
  if (fromNode && Object.keys(fromNode).length) return safeParse(fromNode) ?? n.allocatable;
  const fromClaim = n.nodeClaim?.status?.capacity;
  if (fromClaim && Object.keys(fromClaim).length) return safeParse(fromClaim) ?? n.allocatable;
  return n.allocatable;
}

function safeParse(list: Record<string, string | number>): Resources | undefined {
  try {
    return parseResources(list);
  } catch {
    return undefined;
  }
}

function addInto(into: Record<string, number>, add: Resources): void {
  for (const name in add) into[name] = (into[name] ?? 0) + add[name]!;
}
