/**
 * Shape checks for the core Kubernetes objects simulate reads (Karpenter objects are parsed by
 * lib/api/). Only what the simulation relies on is checked: names, the pod spec, and that every
 * resource quantity parses, so a typo becomes one clear line instead of a crash later.
 */
import type { InputProblem } from "../errors.ts";
import { QuantityError, parseQuantity } from "../quantity/quantity.ts";

type Problems = InputProblem[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const CLUSTER_SCOPED = new Set(["Node", "PersistentVolume", "StorageClass"]);

/** The object's name for error messages: `Pod default/web-0`, `Node ip-1`, or the document source when unnamed. */
export function describeObject(kind: string, doc: unknown, source: string): string {
  const meta = isRecord(doc) && isRecord(doc.metadata) ? doc.metadata : undefined;
  const name = typeof meta?.name === "string" && meta.name !== "" ? meta.name : undefined;
  if (!name) return `${kind} in ${source}`;
  if (CLUSTER_SCOPED.has(kind)) return `${kind} ${name}`;
  const namespace = typeof meta?.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default";
  return `${kind} ${namespace}/${name}`;
}

export function checkMetadata(doc: Record<string, unknown>, object: string, problems: Problems): void {
  const meta = doc.metadata;
  if (!isRecord(meta)) {
    problems.push({ object, path: "metadata", reason: "is required" });
    return;
  }
  if (typeof meta.name !== "string" || meta.name === "") problems.push({ object, path: "metadata.name", reason: "is required" });
  if (meta.namespace !== undefined && typeof meta.namespace !== "string") problems.push({ object, path: "metadata.namespace", reason: "must be a string" });
  if (meta.labels !== undefined && !isStringMap(meta.labels)) problems.push({ object, path: "metadata.labels", reason: "must map strings to strings" });
}

function isStringMap(value: unknown): boolean {
  return isRecord(value) && Object.values(value).every((v) => typeof v === "string");
}

export function checkQuantities(value: unknown, object: string, path: string, problems: Problems): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) {
    problems.push({ object, path, reason: "must be a map of resource name to quantity" });
    return;
  }
  for (const [name, quantity] of Object.entries(value)) {
    try {
      if (typeof quantity !== "string" && typeof quantity !== "number") throw new QuantityError(String(quantity), "expected a string or number");
      parseQuantity(quantity);
    } catch (error) {
      const reason = error instanceof QuantityError ? error.message : String(error);
      problems.push({ object, path: `${path}.${name}`, reason });
    }
  }
}

function checkResources(value: unknown, object: string, path: string, problems: Problems): void {
  if (value === undefined) return;
  if (!isRecord(value)) {
    problems.push({ object, path, reason: "must be an object with requests and limits" });
    return;
  }
  checkQuantities(value.requests, object, `${path}.requests`, problems);
  checkQuantities(value.limits, object, `${path}.limits`, problems);
}

/** Checks a pod spec (of a Pod, or a workload's or DaemonSet's template) at `path`. */
export function checkPodSpec(spec: unknown, object: string, path: string, problems: Problems): void {
  if (!isRecord(spec)) {
    problems.push({ object, path, reason: "is required" });
    return;
  }
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    problems.push({ object, path: `${path}.containers`, reason: "must list at least one container" });
  }
  for (const field of ["containers", "initContainers"] as const) {
    const list = spec[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.push({ object, path: `${path}.${field}`, reason: "must be a list" });
      continue;
    }
    list.forEach((container, i) => {
      if (!isRecord(container)) problems.push({ object, path: `${path}.${field}[${i}]`, reason: "must be an object" });
      else checkResources(container.resources, object, `${path}.${field}[${i}].resources`, problems);
    });
  }
  checkResources(spec.resources, object, `${path}.resources`, problems);
  checkQuantities(spec.overhead, object, `${path}.overhead`, problems);
  if (spec.nodeName !== undefined && typeof spec.nodeName !== "string") problems.push({ object, path: `${path}.nodeName`, reason: "must be a string" });
  if (spec.nodeSelector !== undefined && !isStringMap(spec.nodeSelector)) {
    problems.push({ object, path: `${path}.nodeSelector`, reason: "must map strings to strings" });
  }
  for (const field of ["tolerations", "topologySpreadConstraints", "volumes"] as const) {
    if (spec[field] !== undefined && !Array.isArray(spec[field])) problems.push({ object, path: `${path}.${field}`, reason: "must be a list" });
  }
  if (Array.isArray(spec.tolerations)) checkTolerations(spec.tolerations, object, `${path}.tolerations`, problems);
  if (spec.affinity !== undefined) checkAffinity(spec.affinity, object, `${path}.affinity`, problems);
  if (Array.isArray(spec.volumes)) {
    spec.volumes.forEach((v, i) => {
      const at = `${path}.volumes[${i}]`;
      if (!isRecord(v) || typeof v.name !== "string" || v.name === "") return problems.push({ object, path: `${at}.name`, reason: "is required" });
      if (v.persistentVolumeClaim !== undefined && !(isRecord(v.persistentVolumeClaim) && typeof v.persistentVolumeClaim.claimName === "string" && v.persistentVolumeClaim.claimName !== "")) {
        problems.push({ object, path: `${at}.persistentVolumeClaim.claimName`, reason: "is required" });
      }
    });
  }
  for (const field of ["containers", "initContainers"] as const) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      if (!isRecord(c) || c.ports === undefined) return;
      if (!Array.isArray(c.ports)) return problems.push({ object, path: `${path}.${field}[${i}].ports`, reason: "must be a list" });
      c.ports.forEach((port, j) => {
        const at = `${path}.${field}[${i}].ports[${j}]`;
        for (const key of ["containerPort", "hostPort"] as const) {
          const n = isRecord(port) ? port[key] : undefined;
          if (n !== undefined && !(typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 65535)) problems.push({ object, path: `${at}.${key}`, reason: "must be a port number (0-65535)" });
        }
      });
    });
  }
  if (Array.isArray(spec.topologySpreadConstraints)) {
    spec.topologySpreadConstraints.forEach((c, i) => {
      const at = `${path}.topologySpreadConstraints[${i}]`;
      if (!isRecord(c)) return problems.push({ object, path: at, reason: "must be an object" });
      if (typeof c.topologyKey !== "string" || c.topologyKey === "") problems.push({ object, path: `${at}.topologyKey`, reason: "is required" });
      if (typeof c.maxSkew !== "number" || !Number.isInteger(c.maxSkew) || c.maxSkew < 1) {
        problems.push({ object, path: `${at}.maxSkew`, reason: "must be an integer of at least 1" });
      }
      checkLabelSelector(c.labelSelector, object, `${at}.labelSelector`, problems);
      if (c.whenUnsatisfiable !== "DoNotSchedule" && c.whenUnsatisfiable !== "ScheduleAnyway") {
        problems.push({ object, path: `${at}.whenUnsatisfiable`, reason: `${JSON.stringify(c.whenUnsatisfiable)} is not one of DoNotSchedule, ScheduleAnyway` });
      }
    });
  }
}

/** A pod template (`spec.template` of a workload or DaemonSet). */
export function checkTemplate(spec: unknown, object: string, problems: Problems): void {
  if (!isRecord(spec)) {
    problems.push({ object, path: "spec", reason: "is required" });
    return;
  }
  if (!isRecord(spec.template)) {
    problems.push({ object, path: "spec.template", reason: "is required" });
    return;
  }
  const meta = spec.template.metadata;
  if (meta !== undefined && isRecord(meta) && meta.labels !== undefined && !isStringMap(meta.labels)) {
    problems.push({ object, path: "spec.template.metadata.labels", reason: "must map strings to strings" });
  }
  checkPodSpec(spec.template.spec, object, "spec.template.spec", problems);
}

export function checkCount(value: unknown, object: string, path: string, problems: Problems): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) problems.push({ object, path, reason: "must be a non-negative integer" });
}

export function checkNode(doc: Record<string, unknown>, object: string, problems: Problems): void {
  const spec = doc.spec ?? {};
  if (!isRecord(spec)) return void problems.push({ object, path: "spec", reason: "must be an object" });
  checkTaints(spec.taints, object, "spec.taints", problems);
  const status = doc.status;
  if (status !== undefined && isRecord(status)) {
    checkQuantities(status.capacity, object, "status.capacity", problems);
    checkQuantities(status.allocatable, object, "status.allocatable", problems);
  }
}

export function checkPersistentVolumeClaim(doc: Record<string, unknown>, object: string, problems: Problems): void {
  const spec = doc.spec;
  if (!isRecord(spec)) return void problems.push({ object, path: "spec", reason: "is required" });
  if (isRecord(spec.resources)) checkQuantities(spec.resources.requests, object, "spec.resources.requests", problems);
}

export function checkPersistentVolume(doc: Record<string, unknown>, object: string, problems: Problems): void {
  const spec = doc.spec;
  if (!isRecord(spec)) return void problems.push({ object, path: "spec", reason: "is required" });
  checkQuantities(spec.capacity, object, "spec.capacity", problems);
}

export function checkStorageClass(doc: Record<string, unknown>, object: string, problems: Problems): void {
  if (typeof doc.provisioner !== "string" || doc.provisioner === "") problems.push({ object, path: "provisioner", reason: "is required" });
  const mode = doc.volumeBindingMode;
  if (mode !== undefined && mode !== "Immediate" && mode !== "WaitForFirstConsumer") {
    problems.push({ object, path: "volumeBindingMode", reason: `${JSON.stringify(mode)} is not one of Immediate, WaitForFirstConsumer` });
  }
}

const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"];
const NODE_SELECTOR_OPERATORS = [...SELECTOR_OPERATORS, "Gt", "Lt"];

function oneOf(value: unknown, allowed: readonly string[], object: string, path: string, problems: Problems): void {
  if (value === undefined) problems.push({ object, path, reason: `is required (one of ${allowed.join(", ")})` });
  else if (typeof value !== "string" || !allowed.includes(value)) problems.push({ object, path, reason: `${JSON.stringify(value)} is not one of ${allowed.join(", ")}` });
}

export function checkTaints(taints: unknown, object: string, path: string, problems: Problems): void {
  if (taints === undefined) return;
  if (!Array.isArray(taints)) return void problems.push({ object, path, reason: "must be a list" });
  taints.forEach((t, i) => {
    if (!isRecord(t) || typeof t.key !== "string" || t.key === "") return problems.push({ object, path: `${path}[${i}].key`, reason: "is required" });
    oneOf(t.effect, TAINT_EFFECTS, object, `${path}[${i}].effect`, problems);
  });
}

function checkTolerations(tolerations: unknown[], object: string, path: string, problems: Problems): void {
  tolerations.forEach((t, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(t)) return problems.push({ object, path: at, reason: "must be an object" });
    if (t.operator !== undefined) oneOf(t.operator, ["Exists", "Equal"], object, `${at}.operator`, problems);
    if (t.effect !== undefined && t.effect !== "") oneOf(t.effect, TAINT_EFFECTS, object, `${at}.effect`, problems);
    if ((t.key === undefined || t.key === "") && t.operator !== "Exists") problems.push({ object, path: `${at}.operator`, reason: "must be Exists when key is empty" });
  });
}

function checkRequirements(list: unknown, operators: readonly string[], object: string, path: string, problems: Problems): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) return void problems.push({ object, path, reason: "must be a list" });
  list.forEach((r, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(r) || typeof r.key !== "string" || r.key === "") return problems.push({ object, path: `${at}.key`, reason: "is required" });
    oneOf(r.operator, operators, object, `${at}.operator`, problems);
    if (r.values !== undefined && !(Array.isArray(r.values) && r.values.every((v) => typeof v === "string"))) problems.push({ object, path: `${at}.values`, reason: "must be a list of strings" });
  });
}

function checkLabelSelector(selector: unknown, object: string, path: string, problems: Problems): void {
  if (selector === undefined || selector === null) return;
  if (!isRecord(selector)) return void problems.push({ object, path, reason: "must be an object" });
  if (selector.matchLabels !== undefined && !isStringMap(selector.matchLabels)) problems.push({ object, path: `${path}.matchLabels`, reason: "must map strings to strings" });
  checkRequirements(selector.matchExpressions, SELECTOR_OPERATORS, object, `${path}.matchExpressions`, problems);
}

function checkAffinity(affinity: unknown, object: string, path: string, problems: Problems): void {
  if (!isRecord(affinity)) return void problems.push({ object, path, reason: "must be an object" });
  const node = affinity.nodeAffinity;
  if (isRecord(node)) {
    const required = node.requiredDuringSchedulingIgnoredDuringExecution;
    if (isRecord(required) && Array.isArray(required.nodeSelectorTerms)) {
      required.nodeSelectorTerms.forEach((term, i) => {
        const at = `${path}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[${i}]`;
        if (isRecord(term)) checkRequirements(term.matchExpressions, NODE_SELECTOR_OPERATORS, object, `${at}.matchExpressions`, problems);
      });
    }
    const preferred = node.preferredDuringSchedulingIgnoredDuringExecution;
    if (Array.isArray(preferred)) {
      preferred.forEach((p, i) => {
        const at = `${path}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
        if (isRecord(p) && isRecord(p.preference)) checkRequirements(p.preference.matchExpressions, NODE_SELECTOR_OPERATORS, object, `${at}.preference.matchExpressions`, problems);
      });
    }
  }
  for (const kind of ["podAffinity", "podAntiAffinity"] as const) {
    const block = affinity[kind];
    if (!isRecord(block)) continue;
    const required = block.requiredDuringSchedulingIgnoredDuringExecution;
    const preferred = block.preferredDuringSchedulingIgnoredDuringExecution;
    const terms: Array<[unknown, string]> = [
      ...(Array.isArray(required) ? required.map((t, i): [unknown, string] => [t, `${path}.${kind}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`]) : []),
      ...(Array.isArray(preferred)
        ? preferred.map((p, i): [unknown, string] => [isRecord(p) ? p.podAffinityTerm : undefined, `${path}.${kind}.preferredDuringSchedulingIgnoredDuringExecution[${i}].podAffinityTerm`])
        : []),
    ];
    for (const [term, at] of terms) {
      if (!isRecord(term)) {
        problems.push({ object, path: at, reason: "must be an object" });
        continue;
      }
      if (typeof term.topologyKey !== "string" || term.topologyKey === "") problems.push({ object, path: `${at}.topologyKey`, reason: "is required" });
      checkLabelSelector(term.labelSelector, object, `${at}.labelSelector`, problems);
    }
  }
}
