/** Pod label selectors (matchLabels / matchExpressions) compiled once into predicates. */
import type { LabelSelector, LabelSelectorRequirement } from "../api/kubernetes.ts";

export interface CompiledSelector {
  /** Stable text for grouping identical selectors. */
  readonly signature: string;
  /** `key=value` every selected pod has, when the selector requires one; for indexing. */
  readonly indexLabel: string | undefined;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

const NOTHING: CompiledSelector = { signature: "<none>", indexLabel: "\u0000none", matches: () => false };

/**
 * Compiles a selector; `extra` adds expressions (matchLabelKeys / mismatchLabelKeys). An absent
 * selector selects no pods, as Kubernetes reads a nil selector in affinity and spread terms.
 */
export function compileSelector(selector: LabelSelector | undefined, extra: LabelSelectorRequirement[] = []): CompiledSelector {
  if (!selector && extra.length === 0) return NOTHING;
  const exprs: LabelSelectorRequirement[] = [];
  for (const key of Object.keys(selector?.matchLabels ?? {}).sort()) exprs.push({ key, operator: "In", values: [selector!.matchLabels![key]!] });
  for (const e of selector?.matchExpressions ?? []) exprs.push({ key: e.key, operator: e.operator, values: [...(e.values ?? [])].sort() });
  exprs.push(...extra);
  const signature = JSON.stringify(exprs.map((e) => [e.key, e.operator, e.values ?? []]).sort());
  const compiled = exprs.map((e) => ({ key: e.key, op: e.operator, values: new Set(e.values ?? []) }));
  const required = compiled.find((e) => e.op === "In" && e.values.size === 1);
  return {
    signature,
    indexLabel: required ? `${required.key}=${[...required.values][0]}` : undefined,
    matches(labels) {
      for (const e of compiled) {
        const v = labels?.[e.key];
        switch (e.op) {
          case "In":
            if (v === undefined || !e.values.has(v)) return false;
            break;
          case "NotIn":
            if (v !== undefined && e.values.has(v)) return false;
            break;
          case "Exists":
            if (v === undefined) return false;
            break;
          case "DoesNotExist":
            if (v !== undefined) return false;
            break;
        }
      }
      return true;
    },
  };
}
