/**
 * Kubernetes rules the placement checker needs, written straight from the Kubernetes documentation
 * and deliberately independent of lib/scheduling and lib/requirements, so a shared misunderstanding
 * can't hide a bug. Node constraints are judged against what a node launched from a claim could
 * carry: for each label key, the set of values it may have (or that it will be absent).
 */
import type { NodeSelectorRequirement, Taint } from "../../../lib/api/types.ts";
import type { Container, LabelSelector, Pod, Toleration } from "../../../lib/api/kubernetes.ts";
import { parseResources, type Resources } from "../../../lib/quantity/resources.ts";

// ---- requests ----------------------------------------------------------------------------------

function sum(a: Record<string, number>, b: Resources): Record<string, number> {
  for (const k in b) a[k] = (a[k] ?? 0) + b[k]!;
  return a;
}
function max(a: Record<string, number>, b: Resources): Record<string, number> {
  for (const k in b) a[k] = Math.max(a[k] ?? 0, b[k]!);
  return a;
}

/** Effective pod requests (kubernetes.io docs, "Resource Management for Pods", sidecars and init containers). */
export function requestsOf(pod: Pod): Record<string, number> {
  const req = (c: Container) => parseResources({ ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) });
  let sidecarSum: Record<string, number> = {};
  let initMax: Record<string, number> = {};
  for (const c of pod.spec.initContainers ?? []) {
    if (c.restartPolicy === "Always") {
      sidecarSum = sum(sidecarSum, req(c));
      initMax = max(initMax, sidecarSum);
    } else {
      initMax = max(initMax, sum({ ...sidecarSum }, req(c)));
    }
  }
  let app: Record<string, number> = { ...sidecarSum };
  for (const c of pod.spec.containers) app = sum(app, req(c));
  let total = max(app, initMax);
  const level = pod.spec.resources;
  if (level?.requests || level?.limits) Object.assign(total, parseResources({ ...(level.limits ?? {}), ...(level.requests ?? {}) }));
  total = sum(total, parseResources(pod.spec.overhead));
  total.pods = (total.pods ?? 0) + 1;
  return total;
}

// ---- possible label values of a node -----------------------------------------------------------

/** What a node may carry for one key: a finite set of values, any value except some, or no label. */
export type Possible = { kind: "set"; values: Set<string> } | { kind: "except"; values: Set<string> } | { kind: "absent" } | { kind: "unknown" };

/** The possible value of `key` on a node obeying all `requirements` (labels given as single-value In). */
export function possibleValues(key: string, requirements: readonly NodeSelectorRequirement[]): Possible {
  let positive: Set<string> | undefined;
  const excluded = new Set<string>();
  let exists = false;
  let doesNotExist = false;
  let numeric = false;
  for (const r of requirements) {
    if (r.key !== key) continue;
    if (r.operator === "In") positive = positive ? new Set([...positive].filter((v) => r.values!.includes(v))) : new Set(r.values);
    else if (r.operator === "NotIn") for (const v of r.values ?? []) excluded.add(v);
    else if (r.operator === "Exists") exists = true;
    else if (r.operator === "DoesNotExist") doesNotExist = true;
    else numeric = true;
  }
  if (positive) {
    for (const v of excluded) positive.delete(v);
    if (doesNotExist) positive.clear();
    return { kind: "set", values: positive };
  }
  if (numeric) return { kind: "unknown" };
  if (exists && !doesNotExist) return { kind: "except", values: excluded };
  // A key only excluded (or not mentioned) is not a label the node gets.
  return { kind: "absent" };
}

/** Whether every node with these possible values satisfies the pod's expression. Numeric bounds on unknowns pass (lenient). */
export function surelySatisfies(possible: Possible, expr: NodeSelectorRequirement): boolean {
  const values = expr.values ?? [];
  const numberOk = (v: string) => {
    const n = Number(v);
    const b = Number(values[0]);
    if (!Number.isInteger(n)) return false;
    return expr.operator === "Gt" ? n > b : expr.operator === "Lt" ? n < b : expr.operator === "Gte" ? n >= b : n <= b;
  };
  switch (possible.kind) {
    case "unknown":
      return true;
    case "absent":
      return expr.operator === "NotIn" || expr.operator === "DoesNotExist";
    case "except":
      if (expr.operator === "Exists") return true;
      if (expr.operator === "NotIn") return values.every((v) => possible.values.has(v));
      if (expr.operator === "In" || expr.operator === "DoesNotExist") return false;
      return true;
    case "set": {
      const s = [...possible.values];
      if (expr.operator === "In") return s.every((v) => values.includes(v));
      if (expr.operator === "NotIn") return s.every((v) => !values.includes(v));
      if (expr.operator === "Exists") return true;
      if (expr.operator === "DoesNotExist") return s.length === 0;
      return s.every(numberOk);
    }
  }
}

/** Required node constraints of a pod: nodeSelector entries and the OR of required affinity terms. */
export function podNodeTerms(pod: Pod): { selector: NodeSelectorRequirement[]; terms: Array<{ expressions: NodeSelectorRequirement[]; fields: NodeSelectorRequirement[] }> } {
  const selector = Object.entries(pod.spec.nodeSelector ?? {}).map(([key, v]) => ({ key, operator: "In" as const, values: [v] }));
  const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return { selector, terms: required.map((t) => ({ expressions: t.matchExpressions ?? [], fields: t.matchFields ?? [] })) };
}

/** Checks a pod's node constraints against a node described by requirements; returns a failure text or undefined. */
export function nodeConstraintFailure(pod: Pod, nodeRequirements: readonly NodeSelectorRequirement[], nodeName: string | undefined): string | undefined {
  const { selector, terms } = podNodeTerms(pod);
  for (const expr of selector) {
    if (!surelySatisfies(possibleValues(expr.key, nodeRequirements), expr)) return `nodeSelector ${expr.key}=${expr.values![0]}`;
  }
  if (terms.length === 0) return undefined;
  const termOk = (t: { expressions: NodeSelectorRequirement[]; fields: NodeSelectorRequirement[] }) => {
    if (t.expressions.length === 0 && t.fields.length === 0) return false;
    if (t.fields.length > 0 && nodeName === undefined) return false;
    const nameReqs: NodeSelectorRequirement[] = nodeName === undefined ? [] : [{ key: "metadata.name", operator: "In", values: [nodeName] }];
    return (
      t.expressions.every((e) => surelySatisfies(possibleValues(e.key, nodeRequirements), e)) &&
      t.fields.every((f) => surelySatisfies(possibleValues("metadata.name", nameReqs), { ...f, key: "metadata.name" }))
    );
  };
  return terms.some(termOk) ? undefined : "required node affinity (no term satisfied)";
}

export function labelsAsRequirements(labels: Readonly<Record<string, string>>): NodeSelectorRequirement[] {
  return Object.entries(labels).map(([key, v]) => ({ key, operator: "In" as const, values: [v] }));
}

// ---- taints ------------------------------------------------------------------------------------

export function toleratesTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect !== undefined && t.effect !== taint.effect) return false;
    if (t.key === undefined || t.key === "") return t.operator === "Exists";
    if (t.key !== taint.key) return false;
    return t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "");
  });
}

/** The first NoSchedule/NoExecute taint the pod does not tolerate. */
export function untoleratedTaint(pod: Pod, taints: readonly Taint[]): Taint | undefined {
  return taints.find((t) => t.effect !== "PreferNoSchedule" && !toleratesTaint(pod.spec.tolerations, t));
}

// ---- label selectors ---------------------------------------------------------------------------

export function selectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false; // a nil selector selects nothing
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const v = labels[e.key];
    const vals = e.values ?? [];
    if (e.operator === "In" && (v === undefined || !vals.includes(v))) return false;
    if (e.operator === "NotIn" && v !== undefined && vals.includes(v)) return false;
    if (e.operator === "Exists" && v === undefined) return false;
    if (e.operator === "DoesNotExist" && v !== undefined) return false;
  }
  return true;
}

/** A selector extended with `matchLabelKeys` taken from the pod's own labels. */
export function withMatchLabelKeys(selector: LabelSelector | undefined, keys: readonly string[] | undefined, pod: Pod): LabelSelector | undefined {
  if (!selector || !keys?.length) return selector;
  const extra = keys.filter((k) => pod.metadata.labels?.[k] !== undefined).map((k) => ({ key: k, operator: "In" as const, values: [pod.metadata.labels![k]!] }));
  return { ...selector, matchExpressions: [...(selector.matchExpressions ?? []), ...extra] };
}

export function namespaceOf(pod: Pod): string {
  return pod.metadata.namespace || "default";
}

// ---- host ports --------------------------------------------------------------------------------

export interface HostPort {
  port: number;
  protocol: string;
  ip: string;
}

export function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) out.push({ port: p.hostPort, protocol: p.protocol ?? "TCP", ip: p.hostIP && p.hostIP !== "0.0.0.0" ? p.hostIP : "" });
    }
  }
  return out;
}

export function hostPortsConflict(a: HostPort, b: HostPort): boolean {
  return a.port === b.port && a.protocol === b.protocol && (a.ip === "" || b.ip === "" || a.ip === b.ip);
}
