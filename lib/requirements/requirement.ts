/**
 * One label key's constraint, as a set of allowed label states. A label is either absent or has
 * one string value; a Requirement says which of those states are acceptable:
 *
 * - `complement = false`: exactly the values in `values` (In; DoesNotExist when empty).
 * - `complement = true`: every value except `values` (NotIn / Exists), further limited to the
 *   integers strictly between `gt` and `lt` when either bound is set (Gt/Lt/Gte/Lte).
 * - `absentAllowed`: whether a node without the label satisfies it (NotIn, DoesNotExist).
 *
 * Instances are immutable; operations return `this` or the other operand when the result would
 * equal it, so callers can detect "nothing changed" by identity and the hot path allocates little.
 */
import type { NodeSelectorRequirement, Operator } from "../api/types.ts";

const INTEGER = /^-?\d+$/;
const EMPTY_SET: ReadonlySet<string> = new Set<string>();

/** The integer a label value stands for under Gt/Lt, or undefined when it is not an integer. */
export function labelInteger(value: string): number | undefined {
  if (!INTEGER.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

export class Requirement {
  readonly key: string;
  readonly complement: boolean;
  readonly values: ReadonlySet<string>;
  /** Exclusive lower bound (Gte n is stored as n-1). Only meaningful when complement. */
  readonly gt: number | undefined;
  /** Exclusive upper bound (Lte n is stored as n+1). Only meaningful when complement. */
  readonly lt: number | undefined;
  readonly absentAllowed: boolean;
  /** Karpenter's minValues: the claim must keep at least this many distinct values among its instance types. */
  readonly minValues: number | undefined;

  constructor(
    key: string,
    complement: boolean,
    values: ReadonlySet<string>,
    absentAllowed: boolean,
    gt?: number,
    lt?: number,
    minValues?: number,
  ) {
    this.key = key;
    this.complement = complement;
    this.absentAllowed = absentAllowed;
    this.minValues = minValues;
    if (complement) {
      this.gt = gt;
      this.lt = lt;
      // Excluded values the bounds already exclude add nothing; dropping them keeps one canonical form.
      if ((gt !== undefined || lt !== undefined) && values.size > 0) {
        const kept = new Set<string>();
        for (const v of values) if (withinBounds(v, gt, lt)) kept.add(v);
        this.values = kept;
      } else this.values = values;
    } else {
      this.gt = undefined;
      this.lt = undefined;
      this.values = values;
    }
  }

  static in(key: string, values: Iterable<string>, minValues?: number): Requirement {
    return new Requirement(key, false, new Set(values), false, undefined, undefined, minValues);
  }
  static notIn(key: string, values: Iterable<string>, minValues?: number): Requirement {
    return new Requirement(key, true, new Set(values), true, undefined, undefined, minValues);
  }
  static exists(key: string, minValues?: number): Requirement {
    return new Requirement(key, true, EMPTY_SET, false, undefined, undefined, minValues);
  }
  static doesNotExist(key: string): Requirement {
    return new Requirement(key, false, EMPTY_SET, true);
  }
  /** The requirement a single label `key=value` stands for. */
  static single(key: string, value: string): Requirement {
    return new Requirement(key, false, new Set([value]), false);
  }

  /**
   * Builds from one node selector requirement. Gt/Lt/Gte/Lte take one integer value; a value
   * that is not an integer leaves nothing that can match (Kubernetes rejects such a pod spec).
   */
  static fromNodeSelector(r: NodeSelectorRequirement): Requirement {
    const values = r.values ?? [];
    switch (r.operator) {
      case "In":
        return Requirement.in(r.key, values, r.minValues);
      case "NotIn":
        return Requirement.notIn(r.key, values, r.minValues);
      case "Exists":
        return Requirement.exists(r.key, r.minValues);
      case "DoesNotExist":
        return Requirement.doesNotExist(r.key);
      case "Gt":
      case "Lt":
      case "Gte":
      case "Lte": {
        const n = values.length === 1 ? labelInteger(values[0]!) : undefined;
        if (n === undefined) return new Requirement(r.key, false, EMPTY_SET, false);
        const gt = r.operator === "Gt" ? n : r.operator === "Gte" ? n - 1 : undefined;
        const lt = r.operator === "Lt" ? n : r.operator === "Lte" ? n + 1 : undefined;
        return new Requirement(r.key, true, EMPTY_SET, false, gt, lt, r.minValues);
      }
      default:
        return new Requirement(r.key, false, EMPTY_SET, false);
    }
  }

  /** Whether a node whose label `key` has `value` satisfies this requirement. */
  has(value: string): boolean {
    if (!this.complement) return this.values.has(value);
    if (this.values.has(value)) return false;
    return withinBounds(value, this.gt, this.lt);
  }

  get hasBounds(): boolean {
    return this.gt !== undefined || this.lt !== undefined;
  }

  /** The one value this requirement allows, when it allows exactly one and requires the label. */
  singleValue(): string | undefined {
    if (!this.complement && this.values.size === 1 && !this.absentAllowed) {
      for (const v of this.values) return v;
    }
    if (this.complement && this.gt !== undefined && this.lt !== undefined && this.lt - this.gt === 2 && !this.absentAllowed) {
      const v = String(this.gt + 1);
      return this.values.has(v) ? undefined : v;
    }
    return undefined;
  }

  /** True when some label value (not absence) satisfies it. */
  anyValueAllowed(): boolean {
    if (!this.complement) return this.values.size > 0;
    if (this.gt === undefined || this.lt === undefined) return true;
    const integers = this.lt - this.gt - 1;
    if (integers <= 0) return false;
    return integers > this.values.size; // every excluded value kept here lies inside the bounds
  }

  /** True when no label state at all satisfies it. */
  isEmpty(): boolean {
    return !this.absentAllowed && !this.anyValueAllowed();
  }

  /** Label states both allow. Returns `this` when the result equals this requirement. */
  intersect(other: Requirement): Requirement {
    if (other === this) return this;
    const absent = this.absentAllowed && other.absentAllowed;
    const minValues = maxDefined(this.minValues, other.minValues);
    if (!this.complement && !other.complement) {
      let subset = true;
      for (const v of this.values) if (!other.values.has(v)) { subset = false; break; }
      if (subset && absent === this.absentAllowed && minValues === this.minValues) return this;
      const kept = new Set<string>();
      for (const v of this.values) if (other.values.has(v)) kept.add(v);
      return new Requirement(this.key, false, kept, absent, undefined, undefined, minValues);
    }
    if (!this.complement || !other.complement) {
      const finite = this.complement ? other : this;
      const open = this.complement ? this : other;
      let subset = true;
      for (const v of finite.values) if (!open.has(v)) { subset = false; break; }
      if (subset && finite === this && absent === this.absentAllowed && minValues === this.minValues) return this;
      const kept = new Set<string>();
      for (const v of finite.values) if (open.has(v)) kept.add(v);
      return new Requirement(this.key, false, kept, absent, undefined, undefined, minValues);
    }
    const gt = maxDefined(this.gt, other.gt);
    const lt = minDefined(this.lt, other.lt);
    let superset = true;
    for (const v of other.values) if (!this.values.has(v) && withinBounds(v, gt, lt)) { superset = false; break; }
    if (superset && gt === this.gt && lt === this.lt && absent === this.absentAllowed && minValues === this.minValues) return this;
    const excluded = new Set<string>(this.values);
    for (const v of other.values) excluded.add(v);
    return new Requirement(this.key, true, excluded, absent, gt, lt, minValues);
  }

  /** Whether some label state satisfies both. Allocation-free. */
  intersects(other: Requirement): boolean {
    if (this.absentAllowed && other.absentAllowed) return true;
    if (!this.complement) {
      for (const v of this.values) if (other.has(v)) return true;
      return false;
    }
    if (!other.complement) {
      for (const v of other.values) if (this.has(v)) return true;
      return false;
    }
    const gt = maxDefined(this.gt, other.gt);
    const lt = minDefined(this.lt, other.lt);
    if (gt === undefined || lt === undefined) return true;
    const integers = lt - gt - 1;
    if (integers <= 0) return false;
    let excluded = 0;
    for (const v of this.values) if (withinBounds(v, gt, lt)) excluded++;
    for (const v of other.values) if (!this.values.has(v) && withinBounds(v, gt, lt)) excluded++;
    return integers > excluded;
  }

  /** The operator this requirement is written with when it needs one entry. */
  operator(): Operator {
    // An empty finite set that doesn't allow absence matches nothing: written as `In []`.
    if (!this.complement) return this.values.size === 0 && this.absentAllowed ? "DoesNotExist" : "In";
    if (this.values.size > 0 && !this.hasBounds) return "NotIn";
    if (this.gt !== undefined && this.lt === undefined && this.values.size === 0) return "Gt";
    if (this.lt !== undefined && this.gt === undefined && this.values.size === 0) return "Lt";
    return "Exists";
  }

  /**
   * Node selector requirements that mean exactly this one: usually one entry; bounds with
   * exclusions or an absent-forbidding NotIn need a few. Values sorted for stable output.
   */
  toNodeSelector(): NodeSelectorRequirement[] {
    const out: NodeSelectorRequirement[] = [];
    const sorted = [...this.values].sort();
    if (!this.complement) {
      if (this.values.size === 0) {
        // Nothing at all may match when even absence is forbidden: an In with no values says that.
        out.push(this.absentAllowed ? { key: this.key, operator: "DoesNotExist" } : { key: this.key, operator: "In", values: [] });
      } else {
        // A finite value set never also allows absence: only NotIn/DoesNotExist forms allow it and
        // intersecting two of those never yields a finite set.
        out.push({ key: this.key, operator: "In", values: sorted });
      }
    } else {
      if (this.gt !== undefined) out.push({ key: this.key, operator: "Gt", values: [String(this.gt)] });
      if (this.lt !== undefined) out.push({ key: this.key, operator: "Lt", values: [String(this.lt)] });
      if (sorted.length > 0) out.push({ key: this.key, operator: "NotIn", values: sorted });
      if (!this.absentAllowed && !this.hasBounds) {
        if (sorted.length > 0) out.unshift({ key: this.key, operator: "Exists" });
        else out.push({ key: this.key, operator: "Exists" });
      }
      // complement, no values, absent allowed, no bounds: no constraint at all; NotIn [] says so.
      if (out.length === 0) out.push({ key: this.key, operator: "NotIn", values: [] });
    }
    if (this.minValues !== undefined && out.length > 0) out[0] = { ...out[0]!, minValues: this.minValues };
    return out;
  }

  toString(): string {
    const op = this.operator();
    const sorted = [...this.values].sort();
    switch (op) {
      case "In":
        return `In [${sorted.join(" ")}]`;
      case "NotIn":
        return `NotIn [${sorted.join(" ")}]`;
      case "DoesNotExist":
        return "DoesNotExist";
      case "Gt":
        return `Gt ${this.gt}`;
      case "Lt":
        return `Lt ${this.lt}`;
      default: {
        const parts: string[] = [];
        if (this.gt !== undefined) parts.push(`Gt ${this.gt}`);
        if (this.lt !== undefined) parts.push(`Lt ${this.lt}`);
        if (sorted.length > 0) parts.push(`NotIn [${sorted.join(" ")}]`);
        return parts.length ? parts.join(", ") : "Exists";
      }
    }
  }
}

function withinBounds(value: string, gt: number | undefined, lt: number | undefined): boolean {
  if (gt === undefined && lt === undefined) return true;
  const n = labelInteger(value);
  if (n === undefined) return false;
  return (gt === undefined || n > gt) && (lt === undefined || n < lt);
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}
function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}
