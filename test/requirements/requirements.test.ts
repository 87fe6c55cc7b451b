import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NodeSelectorRequirement, Operator } from "../../lib/api/types.ts";
import { allowWellKnown, Requirement, Requirements } from "../../lib/requirements/index.ts";

const ZONE = "topology.kubernetes.io/zone";
const ABSENT = Symbol("absent");
type LabelState = string | typeof ABSENT;

const req = (operator: Operator, values: string[] = [], key = "k"): Requirement => Requirement.fromNodeSelector({ key, operator, values });

/** Whether a node whose label is in `state` satisfies the requirement, straight from Kubernetes' definitions. */
function satisfiesKubernetes(r: NodeSelectorRequirement, state: LabelState): boolean {
  const values = r.values ?? [];
  const int = (s: string) => (/^-?\d+$/.test(s) ? Number(s) : undefined);
  switch (r.operator) {
    case "In":
      return state !== ABSENT && values.includes(state);
    case "NotIn":
      return state === ABSENT || !values.includes(state);
    case "Exists":
      return state !== ABSENT;
    case "DoesNotExist":
      return state === ABSENT;
    default: {
      if (state === ABSENT) return false;
      const n = int(state);
      const bound = int(values[0]!);
      if (n === undefined || bound === undefined) return false;
      if (r.operator === "Gt") return n > bound;
      if (r.operator === "Lt") return n < bound;
      if (r.operator === "Gte") return n >= bound;
      return n <= bound;
    }
  }
}

function allows(r: Requirement, state: LabelState): boolean {
  return state === ABSENT ? r.absentAllowed : r.has(state);
}

const valueArb: fc.Arbitrary<string> = fc.constantFrom("a", "b", "c", "1", "2", "3", "5", "-1");
const selectorArb: fc.Arbitrary<NodeSelectorRequirement> = fc.oneof(
  fc.record({ key: fc.constant("k"), operator: fc.constantFrom<Operator>("In", "NotIn"), values: fc.uniqueArray(valueArb, { maxLength: 4 }) }),
  fc.record({ key: fc.constant("k"), operator: fc.constantFrom<Operator>("Exists", "DoesNotExist"), values: fc.constant<string[]>([]) }),
  fc.record({ key: fc.constant("k"), operator: fc.constantFrom<Operator>("Gt", "Lt", "Gte", "Lte"), values: fc.tuple(fc.integer({ min: -3, max: 7 })).map(([n]) => [String(n)]) }),
);
const requirementArb = fc.array(selectorArb, { minLength: 1, maxLength: 3 }).map((list) => list.map((s) => Requirement.fromNodeSelector(s)).reduce((a, b) => a.intersect(b)));

/** Every label state that can tell two requirements apart: mentioned values, a fresh one, nearby integers, absence. */
function universe(...rs: Requirement[]): LabelState[] {
  const out = new Set<string>(["fresh-value"]);
  const ints: number[] = [0];
  for (const r of rs) {
    for (const v of r.values) {
      out.add(v);
      if (/^-?\d+$/.test(v)) ints.push(Number(v));
    }
    if (r.gt !== undefined) ints.push(r.gt);
    if (r.lt !== undefined) ints.push(r.lt);
  }
  for (let i = Math.min(...ints) - 3; i <= Math.max(...ints) + 3; i++) out.add(String(i));
  return [...out, ABSENT];
}

function sameSet(a: Requirement, b: Requirement): boolean {
  return universe(a, b).every((s) => allows(a, s) === allows(b, s));
}

describe("Requirement: one key", () => {
  it("has() follows the Kubernetes meaning of each operator, absence included", () => {
    fc.assert(
      fc.property(selectorArb, fc.oneof(valueArb, fc.constant<LabelState>(ABSENT), fc.integer({ min: -5, max: 9 }).map(String)), (sel, state) => {
        expect(allows(Requirement.fromNodeSelector(sel), state)).toBe(satisfiesKubernetes(sel, state));
      }),
    );
  });

  it("intersection allows exactly the states both allow", () => {
    fc.assert(
      fc.property(requirementArb, requirementArb, (a, b) => {
        const both = a.intersect(b);
        for (const s of universe(a, b)) expect(allows(both, s)).toBe(allows(a, s) && allows(b, s));
      }),
    );
  });

  it("intersection is commutative, associative and idempotent", () => {
    fc.assert(
      fc.property(requirementArb, requirementArb, requirementArb, (a, b, c) => {
        expect(sameSet(a.intersect(b), b.intersect(a))).toBe(true);
        expect(sameSet(a.intersect(b).intersect(c), a.intersect(b.intersect(c)))).toBe(true);
        expect(sameSet(a.intersect(a), a)).toBe(true);
      }),
    );
  });

  it("intersects(a, b) holds iff some label state satisfies both (brute force)", () => {
    fc.assert(
      fc.property(requirementArb, requirementArb, (a, b) => {
        const witness = universe(a, b).some((s) => allows(a, s) && allows(b, s));
        expect(a.intersects(b)).toBe(witness);
        expect(b.intersects(a)).toBe(witness);
        expect(a.intersect(b).isEmpty()).toBe(!witness);
      }),
    );
  });

  it("round-trips through node selector requirements", () => {
    fc.assert(
      fc.property(requirementArb, (a) => {
        const back = Requirements.fromNodeSelector(a.toNodeSelector()).get("k")!;
        expect(sameSet(a, back)).toBe(true);
      }),
    );
  });

  it("returns the same object when intersecting narrows nothing", () => {
    const ab = req("In", ["a", "b"]);
    expect(ab.intersect(req("Exists"))).toBe(ab);
    expect(ab.intersect(req("NotIn", ["c"]))).toBe(ab);
    expect(ab.intersect(req("In", ["a"]))).not.toBe(ab);
  });

  it("Gte/Lte are inclusive, Gt/Lt exclusive, and non-integers never satisfy bounds", () => {
    const r = req("Gte", ["4"]).intersect(req("Lte", ["6"]));
    expect(["4", "5", "6"].every((v) => r.has(v))).toBe(true);
    expect(r.has("3") || r.has("7") || r.has("five")).toBe(false);
    expect(req("Gt", ["4"]).intersect(req("Lt", ["5"])).isEmpty()).toBe(true);
    expect(req("Gt", ["4"]).intersect(req("Lt", ["6"])).singleValue()).toBe("5");
    expect(req("In", ["3", "8", "x"]).intersect(req("Gt", ["4"])).toString()).toBe("In [8]");
  });

  it("keeps the larger minValues", () => {
    const a = Requirement.fromNodeSelector({ key: "k", operator: "Exists", minValues: 2 });
    const b = Requirement.fromNodeSelector({ key: "k", operator: "In", values: ["a", "b", "c"], minValues: 3 });
    expect(a.intersect(b).minValues).toBe(3);
    expect(a.intersect(b).toNodeSelector()).toEqual([{ key: "k", operator: "In", values: ["a", "b", "c"], minValues: 3 }]);
  });
});

describe("Requirements: a collection keyed by label", () => {
  const nodePool = Requirements.fromNodeSelector([{ key: ZONE, operator: "In", values: ["us-east-1b", "us-east-1a"] }]);

  it("explains incompatibility naming the key and both sides", () => {
    const pod = Requirements.fromLabels({ [ZONE]: "us-east-1d" });
    expect(nodePool.compatible(pod, undefined, { self: "NodePool", other: "pod" })).toBe(
      "key topology.kubernetes.io/zone: pod wants In [us-east-1d], NodePool allows In [us-east-1a us-east-1b]",
    );
    expect(nodePool.compatible(Requirements.fromLabels({ [ZONE]: "us-east-1a" }))).toBeUndefined();
  });

  it("treats an undefined key as absent unless it is allowed to be undefined", () => {
    const pod = Requirements.fromLabels({ "example.com/team": "a" });
    expect(nodePool.compatible(pod)).toMatch(/label example.com\/team: pod wants In \[a\], node does not define it/);
    expect(nodePool.compatible(pod, (k) => k === "example.com/team")).toBeUndefined();
    // NotIn and DoesNotExist are met by a node without the label.
    expect(nodePool.compatible(Requirements.fromNodeSelector([{ key: "x", operator: "NotIn", values: ["a"] }]))).toBeUndefined();
    expect(nodePool.compatible(Requirements.fromNodeSelector([{ key: "x", operator: "DoesNotExist" }]))).toBeUndefined();
  });

  it("compatible(a, b) iff some node labelling satisfies both (brute force over one key)", () => {
    fc.assert(
      fc.property(requirementArb, requirementArb, (a, b) => {
        const witness = universe(a, b).some((s) => allows(a, s) && allows(b, s));
        expect(Requirements.of(a).compatible(Requirements.of(b)) === undefined).toBe(witness);
        expect(Requirements.of(a).isCompatible(Requirements.of(b))).toBe(witness);
      }),
    );
  });

  it("compatible over several keys iff some node labelling satisfies both sides (absent keys on the node side mean absent)", () => {
    const keyed = (key: string) => requirementArb.map((r) => Requirements.fromNodeSelector(r.toNodeSelector().map((s) => ({ ...s, key }))));
    const collection = fc.tuple(fc.option(keyed("k1")), fc.option(keyed("k2"))).map(([a, b]) => (a ?? Requirements.EMPTY).intersect(b ?? Requirements.EMPTY));
    fc.assert(
      fc.property(collection, collection, (node, pod) => {
        const states = (key: string) => universe(...[node.get(key), pod.get(key)].filter((r): r is Requirement => r !== undefined));
        const ok = (side: Requirements, key: string, s: LabelState, missingMeansAbsent: boolean) => {
          const r = side.get(key);
          if (!r) return missingMeansAbsent ? s === ABSENT : true;
          return allows(r, s);
        };
        let witness = false;
        for (const s1 of states("k1")) for (const s2 of states("k2")) {
          if (ok(node, "k1", s1, true) && ok(node, "k2", s2, true) && ok(pod, "k1", s1, false) && ok(pod, "k2", s2, false)) witness = true;
        }
        expect(node.compatible(pod) === undefined).toBe(witness);
      }),
      { numRuns: 300 },
    );
  });

  it("intersect merges per key and returns this when unchanged", () => {
    const pod = Requirements.fromLabels({ [ZONE]: "us-east-1a", "kubernetes.io/arch": "amd64" });
    const merged = nodePool.intersect(pod);
    expect(merged.labels()).toEqual({ [ZONE]: "us-east-1a", "kubernetes.io/arch": "amd64" });
    expect(merged.intersect(pod)).toBe(merged);
    expect(nodePool.intersect(Requirements.EMPTY)).toBe(nodePool);
  });

  it("writes node selector requirements sorted by key with sorted values", () => {
    const r = Requirements.fromNodeSelector([
      { key: "z", operator: "In", values: ["b", "a"] },
      { key: "a", operator: "Gte", values: ["3"] },
      { key: "m", operator: "NotIn", values: ["y", "x"] },
    ]);
    expect(r.toNodeSelector()).toEqual([
      { key: "a", operator: "Gt", values: ["2"] },
      { key: "m", operator: "NotIn", values: ["x", "y"] },
      { key: "z", operator: "In", values: ["a", "b"] },
    ]);
  });

  it("allows well-known keys to stay undefined, and custom keys only when listed", () => {
    const allow = allowWellKnown(["example.com/catalog-label"]);
    const empty = Requirements.EMPTY;
    expect(empty.compatible(Requirements.fromLabels({ [ZONE]: "a", "karpenter.k8s.aws/instance-family": "m7g" }), allow)).toBeUndefined();
    expect(empty.compatible(Requirements.fromLabels({ "example.com/catalog-label": "x" }), allow)).toBeUndefined();
    expect(empty.compatible(Requirements.fromLabels({ "example.com/team": "x" }), allow)).toMatch(/example.com\/team/);
  });

  it("normalizes aliased keys when asked", () => {
    const r = Requirements.fromLabels({ "failure-domain.beta.kubernetes.io/zone": "a" }, (k) => (k.startsWith("failure-domain") ? ZONE : k));
    expect(r.get(ZONE)?.singleValue()).toBe("a");
  });

  it("has an order-independent signature", () => {
    const a = Requirements.fromLabels({ x: "1", y: "2" });
    const b = Requirements.fromLabels({ y: "2", x: "1" });
    expect(a.signature()).toBe(b.signature());
    expect(a.signature("y")).toBe(Requirements.fromLabels({ x: "1" }).signature());
  });
});
