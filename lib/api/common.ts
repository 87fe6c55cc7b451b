/**
 * Parts NodePools and NodeClaims share: object metadata, the apiVersion/kind header, node
 * selector requirements, taints and the nodeClassRef, validated as Karpenter's CRDs and
 * admission rules do.
 */
import { OPERATORS, type NodeClassReference, type NodeSelectorRequirement, type ObjectMeta, type Operator, type Taint, type TaintEffect } from "./types.ts";
import { child, isRecord, quote, type Json, type Problems } from "./fields.ts";
import { WELL_KNOWN_LABEL_VALUES, labelValueProblem, qualifiedNameProblem, restrictedLabelReason, type LabelUse } from "./labels.ts";
import { isQuantity } from "../quantity/quantity.ts";
import { karpenterDurationProblem, parseGoDuration } from "./duration.ts";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Checks apiVersion and kind. */
export function checkHeader(raw: Json, problems: Problems, apiVersion: string, kind: string): void {
  if (raw["kind"] !== kind) problems.add("kind", `${quote(raw["kind"] ?? "(missing)")} must be ${kind}`);
  const version = raw["apiVersion"];
  if (version === apiVersion) return;
  const group = apiVersion.split("/")[0]!;
  if (typeof version === "string" && version.startsWith(`${group}/`)) {
    problems.add("apiVersion", `${quote(version)} is not supported; Karpenter v1 objects use ${apiVersion}`);
  } else {
    problems.add("apiVersion", `${quote(version ?? "(missing)")} must be ${apiVersion}`);
  }
}

/**
 * Object metadata. Only the name is required; other fields are kept when well typed and otherwise
 * ignored, since `kubectl get -o yaml` output carries server-set metadata we have no use for.
 */
export function parseMetadata(raw: unknown, problems: Problems): ObjectMeta | undefined {
  const metadata = problems.requiredRecord(raw, "metadata");
  if (!metadata) return undefined;
  const name = problems.requiredString(metadata["name"], "metadata.name");
  if (name === undefined) return undefined;
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return problems.add("metadata.name", `${quote(name)} must be a lowercase DNS subdomain (a-z, 0-9, '-', '.'; at most 253 characters)`);
  }
  const out: ObjectMeta = { name };
  const strings = ["namespace", "uid", "creationTimestamp", "deletionTimestamp", "resourceVersion"] as const;
  for (const field of strings) if (typeof metadata[field] === "string") out[field] = metadata[field] as string;
  if (typeof metadata["generation"] === "number") out.generation = metadata["generation"];
  const labels = problems.stringMap(metadata["labels"], "metadata.labels");
  if (labels) out.labels = labels;
  const annotations = problems.stringMap(metadata["annotations"], "metadata.annotations");
  if (annotations) out.annotations = annotations;
  if (Array.isArray(metadata["finalizers"])) out.finalizers = metadata["finalizers"].filter((f): f is string => typeof f === "string");
  if (Array.isArray(metadata["ownerReferences"])) {
    out.ownerReferences = metadata["ownerReferences"]
      .filter(isRecord)
      .filter((ref) => typeof ref["apiVersion"] === "string" && typeof ref["kind"] === "string" && typeof ref["name"] === "string")
      .map((ref) => ({
        apiVersion: ref["apiVersion"] as string,
        kind: ref["kind"] as string,
        name: ref["name"] as string,
        ...(typeof ref["uid"] === "string" ? { uid: ref["uid"] } : {}),
        ...(typeof ref["controller"] === "boolean" ? { controller: ref["controller"] } : {}),
      }));
  }
  return out;
}

const REQUIREMENT_FIELDS = ["key", "operator", "values", "minValues"];
const NUMERIC_OPERATORS: readonly Operator[] = ["Gt", "Lt", "Gte", "Lte"];

/** The operator/values/minValues rules of Karpenter's CRD, plus known values of well-known keys. */
function checkValueRules(key: string | undefined, operator: Operator, values: string[], minValues: number | undefined, path: string, problems: Problems): void {
  const count = values.length;
  if (operator === "In" && count === 0) {
    problems.add(child(path, "values"), "requirements with operator 'In' must have a value defined");
  }
  if ((operator === "Exists" || operator === "DoesNotExist") && count > 0) {
    problems.add(child(path, "values"), `operator ${operator} takes no values`);
  }
  if (NUMERIC_OPERATORS.includes(operator) && (count !== 1 || !/^\d+$/.test(values[0]!))) {
    problems.add(child(path, "values"), `operator ${operator} must have a single non-negative integer value`);
  }
  if (operator === "In" && minValues !== undefined && count > 0 && count < minValues) {
    problems.add(child(path, "minValues"), `${minValues} is more than the ${count} value(s) given; requirements with 'minValues' must have at least that many values`);
  }
  // Karpenter refuses an In over a well-known key (capacity type, tenancy) when no value is one it knows.
  const known = key !== undefined && Object.hasOwn(WELL_KNOWN_LABEL_VALUES, key) ? WELL_KNOWN_LABEL_VALUES[key] : undefined;
  if (operator === "In" && known && count > 0) {
    const valid = values.filter((value) => known.includes(value));
    if (valid.length === 0) {
      problems.add(child(path, "values"), `none of ${values.map(quote).join(", ")} is a known value of ${key}; expected one of ${known.join(", ")}`);
    } else if (minValues !== undefined && valid.length < minValues) {
      problems.add(child(path, "minValues"), `${minValues} is more than the ${valid.length} known value(s) of ${key} given`);
    }
  }
}

function parseRequirement(raw: unknown, path: string, problems: Problems, use: LabelUse): NodeSelectorRequirement | undefined {
  const item = problems.requiredRecord(raw, path);
  if (!item) return undefined;
  const before = problems.list.length;
  problems.unknownFields(item, path, REQUIREMENT_FIELDS);
  const key = problems.requiredString(item["key"], child(path, "key"));
  if (key !== undefined) {
    const syntax = key.length > 316 ? `${quote(key)} is longer than 316 characters` : qualifiedNameProblem(key);
    if (syntax) problems.add(child(path, "key"), syntax);
    else {
      const restricted = restrictedLabelReason(key, use);
      if (restricted) problems.add(child(path, "key"), restricted);
    }
  }
  const operator = item["operator"] === undefined ? problems.add(child(path, "operator"), "is required") : problems.oneOf(item["operator"], child(path, "operator"), OPERATORS);
  const values = problems.stringList(item["values"], child(path, "values"));
  values?.forEach((value, i) => {
    const problem = labelValueProblem(value);
    if (problem) problems.add(child(child(path, "values"), i), problem);
  });
  const minValues = problems.integer(item["minValues"], child(path, "minValues"), 1, 50);
  // Count rules need the operator and a readable values list (absent counts as empty).
  if (operator !== undefined && (item["values"] === undefined || values !== undefined)) {
    checkValueRules(key, operator, values ?? [], minValues, path, problems);
  }
  if (problems.list.length > before || key === undefined || operator === undefined) return undefined;
  const out: NodeSelectorRequirement = { key, operator };
  if (values !== undefined) out.values = values;
  if (minValues !== undefined) out.minValues = minValues;
  return out;
}

/** A requirements list: at most 100 entries, each checked as Karpenter's CRD and webhook do. */
export function parseRequirements(raw: unknown, path: string, problems: Problems, use: LabelUse): NodeSelectorRequirement[] | undefined {
  if (raw === undefined || raw === null) return problems.add(path, "is required (use [] for none)");
  const items = problems.array(raw, path, 100);
  if (!items) return undefined;
  const out = items.map((item, i) => parseRequirement(item, child(path, i), problems, use));
  return out.every((r) => r !== undefined) ? (out as NodeSelectorRequirement[]) : undefined;
}

const TAINT_EFFECTS: readonly TaintEffect[] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const TAINT_FIELDS = ["key", "value", "effect", "timeAdded"];

/** taints and startupTaints; a key/effect pair may appear only once across both lists. */
export function parseTaints(raw: unknown, path: string, problems: Problems, seen: Set<string>): Taint[] | undefined {
  if (raw === undefined || raw === null) return [];
  const items = problems.array(raw, path);
  if (!items) return undefined;
  const before = problems.list.length;
  const out: Taint[] = [];
  items.forEach((rawTaint, i) => {
    const at = child(path, i);
    const taint = problems.requiredRecord(rawTaint, at);
    if (!taint) return;
    problems.unknownFields(taint, at, TAINT_FIELDS);
    const key = problems.requiredString(taint["key"], child(at, "key"));
    if (key !== undefined) {
      const problem = key === "" ? "may not be empty" : qualifiedNameProblem(key);
      if (problem) problems.add(child(at, "key"), problem);
    }
    const value = problems.string(taint["value"], child(at, "value"));
    // Kubernetes allows an empty value, Karpenter's CRD does not: leave `value` out instead.
    if (value === "") problems.add(child(at, "value"), "may not be empty (leave it out for a taint without a value)");
    if (value) {
      const problem = qualifiedNameProblem(value);
      if (problem) problems.add(child(at, "value"), problem.replace("is not a qualified name", "is not a valid taint value"));
    }
    const effect = taint["effect"] === undefined ? problems.add(child(at, "effect"), "is required") : problems.oneOf(taint["effect"], child(at, "effect"), TAINT_EFFECTS);
    const timeAdded = problems.string(taint["timeAdded"], child(at, "timeAdded"));
    if (timeAdded !== undefined && Number.isNaN(Date.parse(timeAdded))) problems.add(child(at, "timeAdded"), `${quote(timeAdded)} is not a date-time`);
    if (key === undefined || effect === undefined) return;
    const pair = `${key}:${effect}`;
    if (seen.has(pair)) problems.add(at, `duplicate taint key/effect pair ${key}:${effect}`);
    seen.add(pair);
    out.push({ key, effect, ...(value ? { value } : {}), ...(timeAdded !== undefined ? { timeAdded } : {}) });
  });
  return problems.list.length > before ? undefined : out;
}

export function parseNodeClassRef(raw: unknown, path: string, problems: Problems): NodeClassReference | undefined {
  const ref = problems.requiredRecord(raw, path);
  if (!ref) return undefined;
  problems.unknownFields(ref, path, ["group", "kind", "name"]);
  const group = problems.nonEmptyString(ref["group"], child(path, "group"), true);
  if (group?.includes("/")) problems.add(child(path, "group"), `${quote(group)} may not contain "/" (a group, not an apiVersion)`);
  const kind = problems.nonEmptyString(ref["kind"], child(path, "kind"), true);
  const name = problems.nonEmptyString(ref["name"], child(path, "name"), true);
  if (!group || !kind || !name || group.includes("/")) return undefined;
  return { group, kind, name };
}

/** A resource list (`cpu: "4"`, `memory: 16Gi`): integers or quantity strings, kept as strings. */
export function parseResourceList(raw: unknown, path: string, problems: Problems): Record<string, string> | undefined {
  const map = problems.record(raw, path);
  if (!map) return undefined;
  const out: Record<string, string> = {};
  let ok = true;
  for (const [name, value] of Object.entries(map)) {
    if ((typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && isQuantity(value) && value.trim() === value)) {
      out[name] = String(value);
    } else {
      ok = false;
      problems.add(child(path, name), `${quote(value)} is not a quantity (like 100m, 4, 16Gi)`);
    }
  }
  return ok ? out : undefined;
}

/** A duration field: returns ms, null for Never, undefined when absent or bad. */
export function readDuration(problems: Problems, value: unknown, path: string, kind: "duration" | "duration-or-never" | "budget"): number | null | undefined {
  const text = problems.string(value, path);
  if (text === undefined) return undefined;
  const problem = karpenterDurationProblem(text, kind);
  if (problem) return problems.add(path, problem);
  return text === "Never" ? null : parseGoDuration(text);
}
