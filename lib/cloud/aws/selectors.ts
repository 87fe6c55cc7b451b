/**
 * EC2NodeClass selector terms: terms are ORed, the fields of one term ANDed, and a tag value of `*`
 * matches any value of that key. Each term becomes one Describe call's filter list; the same rule is
 * also available as an in-memory matcher (the simulated cloud uses it).
 */
import type { AMISelectorTerm, SelectorTerm } from "../../api/types.ts";

export interface Ec2Filter {
  Name: string;
  Values: string[];
}

export type SelectorKind = "subnet" | "security-group";

/** True when the term names at least one field; an empty term would select everything. */
export function isEmptyTerm(term: SelectorTerm | AMISelectorTerm): boolean {
  return Object.values(term).every((v) => v === undefined || (typeof v === "object" && Object.keys(v).length === 0));
}

function tagFilters(tags: Record<string, string> | undefined): Ec2Filter[] {
  // `tag:<key>` with value `*` is EC2's wildcard form; it matches the key with any value.
  return Object.entries(tags ?? {}).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] }));
}

export function selectorTermFilters(kind: SelectorKind, term: SelectorTerm): Ec2Filter[] {
  const filters: Ec2Filter[] = [];
  if (term.id !== undefined) filters.push({ Name: kind === "subnet" ? "subnet-id" : "group-id", Values: [term.id] });
  if (term.name !== undefined && kind === "security-group") filters.push({ Name: "group-name", Values: [term.name] });
  filters.push(...tagFilters(term.tags));
  return filters;
}

/** Filters for DescribeImages; `name` may hold wildcards, which EC2 accepts as they are. */
export function amiTermFilters(term: AMISelectorTerm): { filters: Ec2Filter[]; owners?: string[]; imageIds?: string[] } {
  const filters: Ec2Filter[] = tagFilters(term.tags);
  if (term.name !== undefined) filters.push({ Name: "name", Values: [term.name] });
  const owners = term.owner !== undefined ? [term.owner] : term.name !== undefined ? ["self", "amazon"] : undefined;
  return { filters, ...(owners ? { owners } : {}), ...(term.id !== undefined ? { imageIds: [term.id] } : {}) };
}

export interface TaggedResource {
  id: string;
  name?: string;
  tags: Record<string, string>;
}

function wildcardMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return regex.test(value);
}

export function matchesTerm(resource: TaggedResource, term: SelectorTerm): boolean {
  if (isEmptyTerm(term)) return false;
  if (term.id !== undefined && term.id !== resource.id) return false;
  if (term.name !== undefined && (resource.name === undefined || !wildcardMatch(term.name, resource.name))) return false;
  for (const [key, value] of Object.entries(term.tags ?? {})) {
    const actual = resource.tags[key];
    if (actual === undefined || !wildcardMatch(value, actual)) return false;
  }
  return true;
}

/** Resources matched by any term, each once, in input order. */
export function selectResources<T extends TaggedResource>(resources: T[], terms: SelectorTerm[]): T[] {
  return resources.filter((r) => terms.some((t) => matchesTerm(r, t)));
}
