/**
 * The documented RBAC against the requests an adapter really made: the ClusterRoles and their
 * bindings are read from docs/kubernetes.md (its first yaml block), and each request recorded by
 * the fake API server is turned into what RBAC checks for it (API group, resource with
 * subresource, verb).
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

interface RbacObject {
  kind: string;
  metadata: { name: string };
  rules?: RbacRule[];
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string }>;
}

function documentedObjects(): RbacObject[] {
  const markdown = readFileSync(new URL("../../docs/kubernetes.md", import.meta.url), "utf8");
  const block = /```yaml\n([\s\S]*?)```/.exec(markdown)?.[1];
  if (!block) throw new Error("docs/kubernetes.md has no yaml block");
  return parseAllDocuments(block).map((d) => d.toJS() as RbacObject);
}

/**
 * The rules docs/kubernetes.md grants to a member of `groups` (through its ClusterRoleBindings);
 * without groups, every rule of every ClusterRole there: all that any Tenon function may do.
 */
export function documentedRules(groups?: readonly string[]): RbacRule[] {
  const objects = documentedObjects();
  const roles = objects.filter((o) => o.kind === "ClusterRole");
  if (groups === undefined) return roles.flatMap((r) => r.rules ?? []);
  const bound = new Set(
    objects
      .filter((o) => o.kind === "ClusterRoleBinding" && o.roleRef?.kind === "ClusterRole" && (o.subjects ?? []).some((s) => s.kind === "Group" && groups.includes(s.name)))
      .map((o) => o.roleRef!.name),
  );
  return roles.filter((r) => bound.has(r.metadata.name)).flatMap((r) => r.rules ?? []);
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
