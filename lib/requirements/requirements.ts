/**
 * A set of Requirements keyed by label key: the constraints of a pod, a NodePool, an instance type
 * or a claim being built. Immutable; `intersect` returns `this` when nothing narrows, which the
 * scheduler uses as a cheap "unchanged" test.
 */
import type { NodeSelectorRequirement } from "../api/types.ts";
import { Requirement } from "./requirement.ts";

/** Which keys a side may leave undefined without that meaning "label absent". */
export type AllowUndefined = (key: string) => boolean;

export interface CompatibilityNames {
  /** Who holds `this`, e.g. `NodePool default` (default `node`). */
  self?: string;
  /** Who holds the other side, e.g. `pod` (default `pod`). */
  other?: string;
}

export class Requirements {
  private readonly byKey: Map<string, Requirement>;
  private sig: string | undefined;

  private constructor(byKey: Map<string, Requirement>) {
    this.byKey = byKey;
  }

  static readonly EMPTY = new Requirements(new Map());

  static of(...requirements: Requirement[]): Requirements {
    const map = new Map<string, Requirement>();
    for (const r of requirements) {
      const prior = map.get(r.key);
      map.set(r.key, prior ? prior.intersect(r) : r);
    }
    return new Requirements(map);
  }

  /** ANDs node selector requirements; repeated keys intersect. `normalizeKey` maps aliases (beta labels). */
  static fromNodeSelector(list: readonly NodeSelectorRequirement[] | undefined, normalizeKey?: (key: string) => string): Requirements {
    if (!list || list.length === 0) return Requirements.EMPTY;
    const reqs: Requirement[] = [];
    for (const r of list) {
      const key = normalizeKey ? normalizeKey(r.key) : r.key;
      reqs.push(Requirement.fromNodeSelector(key === r.key ? r : { ...r, key }));
    }
    return Requirements.of(...reqs);
  }

  /** Each label as `key In [value]` (a nodeSelector map, a node's labels, template labels). */
  static fromLabels(labels: Readonly<Record<string, string>> | undefined, normalizeKey?: (key: string) => string): Requirements {
    if (!labels) return Requirements.EMPTY;
    const reqs: Requirement[] = [];
    for (const key of Object.keys(labels)) reqs.push(Requirement.single(normalizeKey ? normalizeKey(key) : key, labels[key]!));
    return reqs.length ? Requirements.of(...reqs) : Requirements.EMPTY;
  }

  get size(): number {
    return this.byKey.size;
  }
  get(key: string): Requirement | undefined {
    return this.byKey.get(key);
  }
  hasKey(key: string): boolean {
    return this.byKey.has(key);
  }
  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }
  values(): IterableIterator<Requirement> {
    return this.byKey.values();
  }

  /** Whether a node with label `key=value` satisfies the requirement on `key` (true when unconstrained). */
  allows(key: string, value: string): boolean {
    const r = this.byKey.get(key);
    return r ? r.has(value) : true;
  }

  /** Both sets of constraints at once. Returns `this` when `other` narrows nothing. */
  intersect(other: Requirements): Requirements {
    if (other === this || other.byKey.size === 0) return this;
    if (this.byKey.size === 0) return other;
    let out: Map<string, Requirement> | undefined;
    for (const [key, theirs] of other.byKey) {
      const mine = this.byKey.get(key);
      const merged = mine ? mine.intersect(theirs) : theirs;
      if (merged !== mine) {
        out ??= new Map(this.byKey);
        out.set(key, merged);
      }
    }
    return out ? new Requirements(out) : this;
  }

  /** Adds (intersects) one requirement. */
  with(requirement: Requirement): Requirements {
    const mine = this.byKey.get(requirement.key);
    const merged = mine ? mine.intersect(requirement) : requirement;
    if (merged === mine) return this;
    const out = new Map(this.byKey);
    out.set(requirement.key, merged);
    return new Requirements(out);
  }

  /** Without the given key. */
  without(key: string): Requirements {
    if (!this.byKey.has(key)) return this;
    const out = new Map(this.byKey);
    out.delete(key);
    return new Requirements(out);
  }

  /**
   * Whether `other` (e.g. a pod's constraints) can be met by something described by `this`
   * (e.g. a NodePool): some labelling satisfies both. Returns undefined when compatible, else the reason. A key `this` does not
   * define means "label absent" unless `allowUndefined(key)` (well-known labels whose value
   * is decided later, such as zone or instance type).
   */
  compatible(other: Requirements, allowUndefined?: AllowUndefined, names?: CompatibilityNames): string | undefined {
    for (const [key, theirs] of other.byKey) {
      const mine = this.byKey.get(key);
      if (!mine) {
        if (theirs.absentAllowed || (allowUndefined && allowUndefined(key))) continue;
        return `label ${key}: ${names?.other ?? "pod"} wants ${theirs}, ${names?.self ?? "node"} does not define it`;
      }
      if (!mine.intersects(theirs)) return `key ${key}: ${names?.other ?? "pod"} wants ${theirs}, ${names?.self ?? "node"} allows ${mine}`;
    }
    // A key that admits nothing at all (contradictory requirements) fits nobody.
    for (const [key, mine] of this.byKey) {
      if (!other.byKey.has(key) && mine.isEmpty()) return `key ${key}: ${names?.self ?? "node"} allows nothing (its requirements contradict each other)`;
    }
    return undefined;
  }

  /** Allocation-free `compatible(...) === undefined`. */
  isCompatible(other: Requirements, allowUndefined?: AllowUndefined): boolean {
    for (const [key, theirs] of other.byKey) {
      const mine = this.byKey.get(key);
      if (!mine) {
        if (theirs.absentAllowed || (allowUndefined && allowUndefined(key))) continue;
        return false;
      }
      if (!mine.intersects(theirs)) return false;
    }
    for (const [key, mine] of this.byKey) if (!other.byKey.has(key) && mine.isEmpty()) return false;
    return true;
  }

  /** True when some key admits no label state at all. */
  isUnsatisfiable(): boolean {
    for (const r of this.byKey.values()) if (r.isEmpty()) return true;
    return false;
  }

  /** Keys resolved to exactly one value, as labels. */
  labels(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of [...this.byKey.keys()].sort()) {
      const v = this.byKey.get(key)!.singleValue();
      if (v !== undefined) out[key] = v;
    }
    return out;
  }

  /** Requirements carrying minValues. */
  withMinValues(): Requirement[] {
    const out: Requirement[] = [];
    for (const r of this.byKey.values()) if (r.minValues !== undefined) out.push(r);
    return out;
  }

  /** Node selector requirements sorted by key, then as each Requirement writes itself. */
  toNodeSelector(skip?: (key: string) => boolean): NodeSelectorRequirement[] {
    const out: NodeSelectorRequirement[] = [];
    for (const key of [...this.byKey.keys()].sort()) {
      if (skip && skip(key)) continue;
      out.push(...this.byKey.get(key)!.toNodeSelector());
    }
    return out;
  }

  /**
   * A string equal for equal requirement sets (order-independent), e.g. for caching instance-type
   * filtering. `skipKey` leaves one key out (the scheduler skips the per-claim hostname).
   */
  signature(skipKey?: string): string {
    if (skipKey === undefined && this.sig !== undefined) return this.sig;
    const parts: string[] = [];
    for (const key of [...this.byKey.keys()].sort()) {
      if (key === skipKey) continue;
      const r = this.byKey.get(key)!;
      parts.push(`${key}${r.complement ? "!" : "="}${r.absentAllowed ? "?" : ""}${[...r.values].sort().join(",")}${r.gt ?? ""}<${r.lt ?? ""}#${r.minValues ?? ""}`);
    }
    const s = parts.join(";");
    if (skipKey === undefined) this.sig = s;
    return s;
  }

  toString(): string {
    return [...this.byKey.keys()].sort().map((k) => `${k} ${this.byKey.get(k)}`).join(", ");
  }
}
