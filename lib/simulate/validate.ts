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
  if (meta.annotations !== undefined && meta.annotations !== null && !isStringMap(meta.annotations)) problems.push({ object, path: "metadata.annotations", reason: "must map strings to strings" });
  const owners = meta.ownerReferences;
  if (owners !== undefined && owners !== null) {
    if (!Array.isArray(owners)) problems.push({ object, path: "metadata.ownerReferences", reason: "must be a list" });
    else
      owners.forEach((o, i) => {
        if (!isRecord(o) || typeof o.kind !== "string" || typeof o.name !== "string") problems.push({ object, path: `metadata.ownerReferences[${i}]`, reason: "must have a kind and a name" });
      });
  }
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
      if (v.ephemeral !== undefined && v.ephemeral !== null) {
        const template = isRecord(v.ephemeral) ? v.ephemeral.volumeClaimTemplate : undefined;
        if (!isRecord(template) || !isRecord(template.spec)) problems.push({ object, path: `${at}.ephemeral.volumeClaimTemplate.spec`, reason: "is required" });
        else {
          if (template.metadata !== undefined && !(isRecord(template.metadata) && (template.metadata.labels === undefined || isStringMap(template.metadata.labels)))) {
            problems.push({ object, path: `${at}.ephemeral.volumeClaimTemplate.metadata.labels`, reason: "must map strings to strings" });
          }
          checkClaimSpec(template.spec, object, `${at}.ephemeral.volumeClaimTemplate.spec`, problems);
        }
      }
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
        if (!isRecord(port)) return problems.push({ object, path: at, reason: "must be an object" });
        for (const key of ["protocol", "hostIP"] as const) {
          if (port[key] !== undefined && port[key] !== null && typeof port[key] !== "string") problems.push({ object, path: `${at}.${key}`, reason: "must be a string" });
        }
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
      if (c.minDomains !== undefined && c.minDomains !== null && !(typeof c.minDomains === "number" && Number.isInteger(c.minDomains) && c.minDomains >= 1)) {
        problems.push({ object, path: `${at}.minDomains`, reason: "must be an integer of at least 1" });
      }
      for (const policy of ["nodeAffinityPolicy", "nodeTaintsPolicy"] as const) {
        if (c[policy] !== undefined && c[policy] !== null) oneOf(c[policy], ["Honor", "Ignore"], object, `${at}.${policy}`, problems);
      }
      checkStringList(c.matchLabelKeys, object, `${at}.matchLabelKeys`, problems);
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
  checkClaimSpec(spec, object, "spec", problems);
}

export function checkClaimSpec(spec: Record<string, unknown>, object: string, path: string, problems: Problems): void {
  if (isRecord(spec.resources)) checkQuantities(spec.resources.requests, object, `${path}.resources.requests`, problems);
  for (const field of ["storageClassName", "volumeName"] as const) {
    if (spec[field] !== undefined && spec[field] !== null && typeof spec[field] !== "string") problems.push({ object, path: `${path}.${field}`, reason: "must be a string" });
  }
}

export function checkPersistentVolume(doc: Record<string, unknown>, object: string, problems: Problems): void {
  const spec = doc.spec;
  if (!isRecord(spec)) return void problems.push({ object, path: "spec", reason: "is required" });
  checkQuantities(spec.capacity, object, "spec.capacity", problems);
  const affinity = spec.nodeAffinity;
  if (affinity === undefined || affinity === null) return;
  const required = isRecord(affinity) ? affinity.required : undefined;
  if (required === undefined && isRecord(affinity)) return;
  if (!isRecord(required) || !Array.isArray(required.nodeSelectorTerms)) return void problems.push({ object, path: "spec.nodeAffinity.required.nodeSelectorTerms", reason: "must be a list" });
  required.nodeSelectorTerms.forEach((term, i) => checkNodeSelectorTerm(term, object, `spec.nodeAffinity.required.nodeSelectorTerms[${i}]`, problems));
}

export function checkStorageClass(doc: Record<string, unknown>, object: string, problems: Problems): void {
  if (typeof doc.provisioner !== "string" || doc.provisioner === "") problems.push({ object, path: "provisioner", reason: "is required" });
  const topologies = doc.allowedTopologies;
  if (topologies !== undefined && topologies !== null) {
    if (!Array.isArray(topologies)) problems.push({ object, path: "allowedTopologies", reason: "must be a list" });
    else
      topologies.forEach((t, i) => {
        if (!isRecord(t)) return problems.push({ object, path: `allowedTopologies[${i}]`, reason: "must be an object with matchLabelExpressions" });
        const at = `allowedTopologies[${i}].matchLabelExpressions`;
        const expressions = t.matchLabelExpressions;
        if (expressions === undefined || expressions === null) return;
        if (!Array.isArray(expressions)) return problems.push({ object, path: at, reason: "must be a list" });
        expressions.forEach((e, j) => {
          if (!isRecord(e) || typeof e.key !== "string" || e.key === "") return problems.push({ object, path: `${at}[${j}].key`, reason: "is required" });
          if (!Array.isArray(e.values) || !e.values.every((v) => typeof v === "string")) problems.push({ object, path: `${at}[${j}].values`, reason: "must be a list of strings" });
        });
      });
  }
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
    for (const field of ["key", "value"] as const) {
      if (t[field] !== undefined && t[field] !== null && typeof t[field] !== "string") problems.push({ object, path: `${at}.${field}`, reason: "must be a string" });
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && typeof t.tolerationSeconds !== "number") problems.push({ object, path: `${at}.tolerationSeconds`, reason: "must be a number" });
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
  if (affinity.nodeAffinity !== undefined) checkNodeAffinity(affinity.nodeAffinity, object, `${path}.nodeAffinity`, problems);
  for (const kind of ["podAffinity", "podAntiAffinity"] as const) {
    const block = affinity[kind];
    if (block === undefined) continue;
    const at = `${path}.${kind}`;
    if (!isRecord(block)) {
      problems.push({ object, path: at, reason: "must be an object" });
      continue;
    }
    const required = block.requiredDuringSchedulingIgnoredDuringExecution;
    if (required !== undefined) {
      if (!Array.isArray(required)) problems.push({ object, path: `${at}.requiredDuringSchedulingIgnoredDuringExecution`, reason: "must be a list" });
      else required.forEach((t, i) => checkPodAffinityTerm(t, object, `${at}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`, problems));
    }
    const preferred = block.preferredDuringSchedulingIgnoredDuringExecution;
    if (preferred !== undefined) {
      if (!Array.isArray(preferred)) problems.push({ object, path: `${at}.preferredDuringSchedulingIgnoredDuringExecution`, reason: "must be a list" });
      else
        preferred.forEach((p, i) => {
          const item = `${at}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
          if (!isRecord(p)) return problems.push({ object, path: item, reason: "must be an object" });
          checkWeight(p.weight, object, `${item}.weight`, problems);
          checkPodAffinityTerm(p.podAffinityTerm, object, `${item}.podAffinityTerm`, problems);
        });
    }
  }
}

function checkNodeAffinity(node: unknown, object: string, path: string, problems: Problems): void {
  if (!isRecord(node)) return void problems.push({ object, path, reason: "must be an object" });
  const required = node.requiredDuringSchedulingIgnoredDuringExecution;
  if (required !== undefined) {
    const at = `${path}.requiredDuringSchedulingIgnoredDuringExecution`;
    if (!isRecord(required) || !Array.isArray(required.nodeSelectorTerms)) problems.push({ object, path: `${at}.nodeSelectorTerms`, reason: "must be a list" });
    else required.nodeSelectorTerms.forEach((term, i) => checkNodeSelectorTerm(term, object, `${at}.nodeSelectorTerms[${i}]`, problems));
  }
  const preferred = node.preferredDuringSchedulingIgnoredDuringExecution;
  if (preferred === undefined) return;
  const at = `${path}.preferredDuringSchedulingIgnoredDuringExecution`;
  if (!Array.isArray(preferred)) return void problems.push({ object, path: at, reason: "must be a list" });
  preferred.forEach((p, i) => {
    if (!isRecord(p)) return problems.push({ object, path: `${at}[${i}]`, reason: "must be an object" });
    checkWeight(p.weight, object, `${at}[${i}].weight`, problems);
    checkNodeSelectorTerm(p.preference, object, `${at}[${i}].preference`, problems);
  });
}

function checkNodeSelectorTerm(term: unknown, object: string, path: string, problems: Problems): void {
  if (!isRecord(term)) return void problems.push({ object, path, reason: "must be an object" });
  checkRequirements(term.matchExpressions, NODE_SELECTOR_OPERATORS, object, `${path}.matchExpressions`, problems);
  checkRequirements(term.matchFields, NODE_SELECTOR_OPERATORS, object, `${path}.matchFields`, problems);
}

/** Kubernetes' preference weights: an integer from 1 to 100. */
function checkWeight(weight: unknown, object: string, path: string, problems: Problems): void {
  if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 1 || weight > 100) problems.push({ object, path, reason: "must be an integer from 1 to 100" });
}

function checkPodAffinityTerm(term: unknown, object: string, at: string, problems: Problems): void {
  if (!isRecord(term)) return void problems.push({ object, path: at, reason: "must be an object" });
  if (typeof term.topologyKey !== "string" || term.topologyKey === "") problems.push({ object, path: `${at}.topologyKey`, reason: "is required" });
  checkLabelSelector(term.labelSelector, object, `${at}.labelSelector`, problems);
  checkLabelSelector(term.namespaceSelector, object, `${at}.namespaceSelector`, problems);
  for (const field of ["namespaces", "matchLabelKeys", "mismatchLabelKeys"] as const) checkStringList(term[field], object, `${at}.${field}`, problems);
}

export function checkStringList(value: unknown, object: string, path: string, problems: Problems): void {
  if (value !== undefined && value !== null && !(Array.isArray(value) && value.every((v) => typeof v === "string"))) problems.push({ object, path, reason: "must be a list of strings" });
}

function checkIntOrPercent(value: unknown, object: string, path: string, problems: Problems): void {
  if (value === undefined || value === null) return;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return;
  if (typeof value === "string" && /^\d+%?$/.test(value)) return;
  problems.push({ object, path, reason: `${JSON.stringify(value)} is not a non-negative integer or a percentage like 50%` });
}

/** What disruption reads from a PDB: its selector, minAvailable / maxUnavailable (not both), the eviction policy and status.disruptionsAllowed. */
export function checkPodDisruptionBudget(doc: Record<string, unknown>, object: string, problems: Problems): void {
  const spec = doc.spec;
  if (spec === undefined || spec === null) return;
  if (!isRecord(spec)) return void problems.push({ object, path: "spec", reason: "must be an object" });
  checkLabelSelector(spec.selector, object, "spec.selector", problems);
  checkIntOrPercent(spec.minAvailable, object, "spec.minAvailable", problems);
  checkIntOrPercent(spec.maxUnavailable, object, "spec.maxUnavailable", problems);
  if (spec.minAvailable !== undefined && spec.minAvailable !== null && spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    problems.push({ object, path: "spec", reason: "minAvailable and maxUnavailable cannot both be set" });
  }
  oneOf(spec.unhealthyPodEvictionPolicy ?? "IfHealthyBudget", ["IfHealthyBudget", "AlwaysAllow"], object, "spec.unhealthyPodEvictionPolicy", problems);
  const status = doc.status;
  if (isRecord(status) && status.disruptionsAllowed !== undefined && !(typeof status.disruptionsAllowed === "number" && Number.isInteger(status.disruptionsAllowed) && status.disruptionsAllowed >= 0)) {
    problems.push({ object, path: "status.disruptionsAllowed", reason: "must be a non-negative integer" });
  }
}
