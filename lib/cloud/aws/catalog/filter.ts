/**
 * Label filters over instance types, as `tenon instance-types --filter` takes them: `key=value`, `key!=value`, and numeric
 * `key>=n`, `key<=n`, `key>n`, `key<n`. A key matches a label, or the values of an `In`
 * requirement (so zone and capacity-type filters work too). Keys without a `/` are looked up as
 * `karpenter.k8s.aws/<key>` unless they name a well-known label (`arch`, `zone`, ...).
 */
import { InputError } from "../../../errors.ts";
import type { InstanceType } from "../../../ports/instance-type.ts";

export type FilterOperator = "=" | "!=" | ">=" | "<=" | ">" | "<";

export interface InstanceTypeFilter {
  text: string;
  key: string;
  operator: FilterOperator;
  value: string;
}

const SHORT_KEYS: Record<string, string> = {
  arch: "kubernetes.io/arch",
  os: "kubernetes.io/os",
  zone: "topology.kubernetes.io/zone",
  region: "topology.kubernetes.io/region",
  "zone-id": "topology.k8s.aws/zone-id",
  "capacity-type": "karpenter.sh/capacity-type",
  "instance-type": "node.kubernetes.io/instance-type",
};

const FILTER_PATTERN = /^([^=<>!\s]+)\s*(>=|<=|!=|=|>|<)\s*(.*)$/;

function filterError(text: string, reason: string): InputError {
  return new InputError({ object: `filter ${JSON.stringify(text)}`, path: "", reason });
}

export function parseFilter(text: string): InstanceTypeFilter {
  const match = FILTER_PATTERN.exec(text.trim());
  if (!match) throw filterError(text, "expected key=value, key!=value, key>=n, key<=n, key>n or key<n");
  const [, rawKey = "", operator, value = ""] = match;
  const key = rawKey.includes("/") ? rawKey : (SHORT_KEYS[rawKey] ?? `karpenter.k8s.aws/${rawKey}`);
  if (operator !== "=" && operator !== "!=" && !isNumber(value)) throw filterError(text, `${operator} needs a number, got "${value}"`);
  return { text, key, operator: operator as FilterOperator, value };
}

function isNumber(text: string): boolean {
  return text.trim() !== "" && Number.isFinite(Number(text));
}

/** The values a type has for a key: its label, or the values of its `In` requirement on the key. */
function valuesOf(it: InstanceType, key: string): string[] {
  const label = it.labels[key];
  if (label !== undefined) return [label];
  return it.requirements.filter((r) => r.key === key && r.operator === "In").flatMap((r) => r.values ?? []);
}

export function matchesFilter(it: InstanceType, filter: InstanceTypeFilter): boolean {
  const values = valuesOf(it, filter.key);
  switch (filter.operator) {
    case "=":
      return values.includes(filter.value);
    case "!=":
      return !values.includes(filter.value);
    default: {
      const bound = Number(filter.value);
      return values.some((v) => {
        if (!isNumber(v)) return false;
        const n = Number(v);
        return filter.operator === ">=" ? n >= bound : filter.operator === "<=" ? n <= bound : filter.operator === ">" ? n > bound : n < bound;
      });
    }
  }
}

export function matchesAll(it: InstanceType, filters: readonly InstanceTypeFilter[]): boolean {
  return filters.every((f) => matchesFilter(it, f));
}
