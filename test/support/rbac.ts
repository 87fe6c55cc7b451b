/**
 * The documented RBAC against the requests an adapter really made: the ClusterRole is read from
 * docs/kubernetes.md (its first yaml block), and each request recorded by the fake API server is
 * turned into what RBAC checks for it (API group, resource with subresource, verb).
 */
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import type { RecordedRequest } from "../../lib/cluster/kube/fake-apiserver.ts";

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** What RBAC checks for one request; the core group is "". */
export interface RbacAttributes {
  group: string;
  resource: string;
  verb: string;
}

/** The rules of the ClusterRole published in docs/kubernetes.md. */
export function documentedRules(): RbacRule[] {
  const markdown = readFileSync(new URL("../../docs/kubernetes.md", import.meta.url), "utf8");
  const block = /```yaml\n([\s\S]*?)```/.exec(markdown)?.[1];
  if (!block) throw new Error("docs/kubernetes.md has no yaml block");
  const role = parseAllDocuments(block)
    .map((d) => d.toJS() as { kind: string; rules?: RbacRule[] })
    .find((d) => d.kind === "ClusterRole");
  return role?.rules ?? [];
}

/** The RBAC attributes of one request to the core or a named API group. */
export function attributesOf(request: Pick<RecordedRequest, "method" | "path" | "query">): RbacAttributes {
  const parts = request.path.split("/").filter(Boolean);
  const group = parts[0] === "api" ? "" : parts[1]!;
  let rest = parts[0] === "api" ? parts.slice(2) : parts.slice(3);
  if (rest[0] === "namespaces" && rest.length >= 3) rest = rest.slice(2);
  const [resource, name, sub] = rest;
  const verb =
    { GET: name ? "get" : request.query["watch"] === "true" ? "watch" : "list", POST: "create", PATCH: "patch", DELETE: "delete", PUT: "update" }[request.method] ??
    request.method;
  return { group, resource: sub ? `${resource}/${sub}` : resource!, verb };
}

/** One comparable key per (group, resource, verb). */
export function rbacKey(a: RbacAttributes): string {
  return `${a.group}|${a.resource}|${a.verb}`;
}

/** Every (group, resource, verb) the rules grant, as keys, one per combination a rule lists. */
export function grantedKeys(rules: readonly RbacRule[]): string[] {
  return rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => rbacKey({ group, resource, verb })))));
}

export function allows(rules: readonly RbacRule[], a: RbacAttributes): boolean {
  return rules.some((r) => r.apiGroups.includes(a.group) && r.resources.includes(a.resource) && r.verbs.includes(a.verb));
}
