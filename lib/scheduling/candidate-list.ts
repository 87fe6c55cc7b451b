/**
 * A candidate list: the bins (existing nodes, then claims in creation order) still possibly usable
 * by the plans that share it, with a first-fit headroom index so that a pod skips runs of bins too
 * small for it without looking at each.
 *
 * The index is a segment tree over buckets of consecutive positions; each node keeps, per
 * resource, the largest room any bin of its subtree had when the node was last refreshed. A bin's
 * room (a claim's headroom: what its largest remaining instance type still takes; an existing
 * node's free capacity) only shrinks, since claims only fill up and narrow, so a stored value is
 * never below the truth and a subtree whose stored room falls short of a pod's requests in some
 * resource holds no bin that could take the pod. Bins are not refreshed when they change: a
 * bucket whose stored room covers a pod but whose bins no longer do is refreshed when a search
 * finds that out. Covering is a necessary condition only: the bin found still gets the full check.
 */
import type { Bin } from "./bins.ts";

/** Positions per bucket: the tree's leaves (a bucket is scanned bin by bin). */
const BUCKET = 8;
/** Room of an empty bucket: below any wanted amount, including a resource a pod doesn't ask for. */
const NONE = -Infinity;
/** What a pod wants of a resource it doesn't ask for: any room, even a negative one, covers it. */
const ANY = -Number.MAX_VALUE;

/** The index's resources, with a pod's requests as a vector over them. */
export class ResourceSpace {
  readonly names: readonly string[];
  constructor(names: Iterable<string>) {
    this.names = [...new Set(names)].sort();
  }

  /** Per resource, the amount wanted (ANY for resources not asked for). */
  want(requests: Readonly<Record<string, number>>): Float64Array {
    const out = new Float64Array(this.names.length);
    for (let r = 0; r < this.names.length; r++) {
      const v = requests[this.names[r]!] ?? 0;
      out[r] = v > 0 ? v : ANY;
    }
    return out;
  }
}

/** Per resource, the room left in a bin as the placement checks read it (0 for a resource it lacks). */
function room(bin: Bin, name: string): number {
  if (bin.closed) return NONE;
  return (bin.kind === "claim" ? bin.headroom[name] : bin.free[name]) ?? 0;
}

export class CandidateList {
  /** Bins in order; null where a bin left the list for good. */
  candidates: Array<Bin | null> = [];
  removed = 0;
  /** How many of the run's bins have been merged into `candidates`. */
  seen = 0;
  private space: ResourceSpace | undefined;
  private width = 0;
  /** Leaves (buckets) the tree has room for: a power of two. */
  private cap = 0;
  /** Node n's stored room for resource r at n * width + r; the root is node 1, bucket b is node cap + b. */
  private max = new Float64Array(0);

  /** Brings the list up to date with the run's bins: a new list starts from the bins still open. */
  sync(bins: readonly Bin[], open: readonly Bin[], space: ResourceSpace): void {
    if (!this.space) {
      this.space = space;
      this.width = space.names.length;
    }
    if (this.seen === 0) {
      for (const b of open) if (!b.closed) this.append(b);
      this.seen = bins.length;
    }
    while (this.seen < bins.length) this.append(bins[this.seen++]!);
  }

  /** Drops the bin at `pos` for good (the stored room stays as it was until refreshed). */
  remove(pos: number): void {
    this.candidates[pos] = null;
    this.removed++;
  }

  /** Drops the holes once they are more than half the list. */
  compactIfSparse(): void {
    if (this.removed > 32 && this.removed * 2 > this.candidates.length) {
      this.candidates = this.candidates.filter((b) => b !== null);
      this.removed = 0;
      this.rebuild();
    }
  }

  /**
   * The first position at or after `from` holding a bin whose room covers `want` in every
   * resource (closed bins never do), or -1.
   */
  nextCovering(want: Float64Array, from: number): number {
    const n = this.candidates.length;
    while (from < n) {
      const bucket = this.firstBucket(want, Math.floor(from / BUCKET));
      if (bucket < 0) return -1;
      const start = bucket * BUCKET;
      const end = Math.min(n, start + BUCKET);
      for (let pos = Math.max(from, start); pos < end; pos++) {
        const bin = this.candidates[pos];
        if (!bin) continue;
        if (bin.closed) this.remove(pos);
        else if (this.covers(bin, want)) return pos;
      }
      // Nothing at or after `from` in this bucket: its stored room was stale.
      this.refreshBucket(bucket);
      from = end;
    }
    return -1;
  }

  private covers(bin: Bin, want: Float64Array): boolean {
    const names = this.space!.names;
    for (let r = 0; r < want.length; r++) if (want[r]! > room(bin, names[r]!)) return false;
    return true;
  }

  private append(bin: Bin): void {
    const pos = this.candidates.length;
    this.candidates.push(bin);
    const bucket = Math.floor(pos / BUCKET);
    if (bucket >= this.cap) {
      this.rebuild();
      return;
    }
    const w = this.width;
    const names = this.space!.names;
    let node = this.cap + bucket;
    const at = node * w;
    if (pos % BUCKET === 0) for (let r = 0; r < w; r++) this.max[at + r] = NONE;
    let changed = false;
    for (let r = 0; r < w; r++) {
      const v = room(bin, names[r]!);
      if (v > this.max[at + r]!) {
        this.max[at + r] = v;
        changed = true;
      }
    }
    if (!changed) return;
    for (node >>= 1; node >= 1; node >>= 1) this.pull(node);
  }

  /** Builds the tree afresh from the bins' current room. */
  private rebuild(): void {
    const buckets = Math.ceil(this.candidates.length / BUCKET);
    let cap = 1;
    while (cap < buckets) cap *= 2;
    this.cap = cap;
    this.max = new Float64Array(2 * cap * this.width).fill(NONE);
    for (let b = 0; b < buckets; b++) this.fillBucket(b);
    for (let node = cap - 1; node >= 1; node--) this.pull(node);
  }

  private refreshBucket(bucket: number): void {
    this.fillBucket(bucket);
    for (let node = (this.cap + bucket) >> 1; node >= 1; node >>= 1) this.pull(node);
  }

  /** Sets a bucket's leaf to the largest current room of its bins. */
  private fillBucket(bucket: number): void {
    const w = this.width;
    const names = this.space!.names;
    const at = (this.cap + bucket) * w;
    for (let r = 0; r < w; r++) this.max[at + r] = NONE;
    const end = Math.min(this.candidates.length, (bucket + 1) * BUCKET);
    for (let pos = bucket * BUCKET; pos < end; pos++) {
      const bin = this.candidates[pos];
      if (!bin || bin.closed) continue;
      for (let r = 0; r < w; r++) {
        const v = room(bin, names[r]!);
        if (v > this.max[at + r]!) this.max[at + r] = v;
      }
    }
  }

  private pull(node: number): void {
    const w = this.width;
    const at = node * w;
    const left = 2 * node * w;
    const right = left + w;
    for (let r = 0; r < w; r++) {
      const a = this.max[left + r]!;
      const b = this.max[right + r]!;
      this.max[at + r] = a > b ? a : b;
    }
  }

  private nodeCovers(node: number, want: Float64Array): boolean {
    const at = node * this.width;
    for (let r = 0; r < want.length; r++) if (this.max[at + r]! < want[r]!) return false;
    return true;
  }

  /** The first bucket at or after `from` whose stored room covers `want`, or -1. */
  private firstBucket(want: Float64Array, from: number): number {
    if (this.cap === 0) return -1;
    return this.descend(1, 0, this.cap, from, want);
  }

  private descend(node: number, lo: number, hi: number, from: number, want: Float64Array): number {
    if (hi <= from || !this.nodeCovers(node, want)) return -1;
    if (hi - lo === 1) return lo;
    const mid = (lo + hi) >> 1;
    const left = this.descend(2 * node, lo, mid, from, want);
    return left >= 0 ? left : this.descend(2 * node + 1, mid, hi, from, want);
  }
}
