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

/** The object's name for error messages: `Pod default/web-0`, or the document source when unnamed. */
export function describeObject(kind: string, doc: unknown, source: string): string {
  const meta = isRecord(doc) && isRecord(doc.metadata) ? doc.metadata : undefined;
  const name = typeof meta?.name === "string" && meta.name !== "" ? meta.name : undefined;
  if (!name) return `${kind} in ${source}`;
  const namespace = typeof meta?.namespace === "string" && meta.namespace !== "" ? meta.namespace : undefined;
  return namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
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
  if (Array.isArray(spec.topologySpreadConstraints)) {
    spec.topologySpreadConstraints.forEach((c, i) => {
      const at = `${path}.topologySpreadConstraints[${i}]`;
      if (!isRecord(c)) return problems.push({ object, path: at, reason: "must be an object" });
      if (typeof c.topologyKey !== "string" || c.topologyKey === "") problems.push({ object, path: `${at}.topologyKey`, reason: "is required" });
      if (typeof c.maxSkew !== "number" || !Number.isInteger(c.maxSkew) || c.maxSkew < 1) {
        problems.push({ object, path: `${at}.maxSkew`, reason: "must be an integer of at least 1" });
      }
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
  if (spec.taints !== undefined && !Array.isArray(spec.taints)) problems.push({ object, path: "spec.taints", reason: "must be a list" });
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
