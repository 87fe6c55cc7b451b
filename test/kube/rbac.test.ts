import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeApiServer, type FakeApiServer } from "../support/fake-apiserver.ts";
import { clusterAgainst, node, pod } from "./helpers.ts";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** The ClusterRole published in docs/kubernetes.md (the first yaml block). */
function documentedRules(): Rule[] {
  const markdown = readFileSync(new URL("../../docs/kubernetes.md", import.meta.url), "utf8");
  const block = /```yaml\n([\s\S]*?)```/.exec(markdown)?.[1];
  if (!block) throw new Error("docs/kubernetes.md has no yaml block");
  const role = parseAllDocuments(block)
    .map((d) => d.toJS() as { kind: string; rules?: Rule[] })
    .find((d) => d.kind === "ClusterRole");
  return role?.rules ?? [];
}

/** What RBAC checks for one request: API group, resource (with subresource) and verb. */
function attributesOf(method: string, path: string, query: Record<string, string> = {}): { group: string; resource: string; verb: string } {
  const parts = path.split("/").filter(Boolean);
  const group = parts[0] === "api" ? "" : parts[1]!;
  let rest = parts[0] === "api" ? parts.slice(2) : parts.slice(3);
  if (rest[0] === "namespaces" && rest.length >= 3) rest = rest.slice(2);
  const [resource, name, sub] = rest;
  const verb = { GET: name ? "get" : query.watch === "true" ? "watch" : "list", POST: "create", PATCH: "patch", DELETE: "delete", PUT: "update" }[method] ?? method;
  return { group, resource: sub ? `${resource}/${sub}` : resource!, verb };
}

const allows = (rules: Rule[], a: { group: string; resource: string; verb: string }) =>
  rules.some((r) => r.apiGroups.includes(a.group) && r.resources.includes(a.resource) && r.verbs.includes(a.verb));

describe("documented RBAC", () => {
  let server: FakeApiServer;
  beforeAll(async () => {
    server = await startFakeApiServer();
    server.put("/nodes", node("n1"));
    server.put("/pods", pod("p1", { nodeName: "n1" }));
    server.put("karpenter.sh/nodepools", { metadata: { name: "default" }, spec: {} });
    server.put("karpenter.k8s.aws/ec2nodeclasses", { metadata: { name: "default" }, spec: {} });
    const c = clusterAgainst(server);
    const condition = { type: "Ready", status: "True" as const, reason: "Ready", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" };
    // Every port method once.
    await c.listPendingPods();
    await c.listActivePods({ labelSelector: "app=web" });
    await c.listPodsOnNode("n1");
    await c.podChangesSince("1", { timeoutSeconds: 1 });
    await c.listNodes();
    const n = await c.getNode("n1");
    await c.listDaemonSets();
    await c.listPodDisruptionBudgets();
    await c.listPersistentVolumeClaims();
    await c.listPersistentVolumes();
    await c.listStorageClasses();
    await c.listCustomObjects("NodePool");
    await c.listCustomObjects("EC2NodeClass");
    await c.patchNodeMetadata("n1", { labels: { a: "b" } });
    await c.setNodeUnschedulable("n1", true);
    await c.replaceNodeTaints("n1", [], n!.metadata.resourceVersion!);
    await c.addNodeFinalizer("n1", "karpenter.sh/termination");
    await c.removeNodeFinalizer("n1", "karpenter.sh/termination");
    await c.setCustomObjectConditions("NodePool", "default", [condition]);
    await c.setCustomObjectConditions("EC2NodeClass", "default", [condition]);
    await c.recordEvent({ involvedObject: { kind: "Pod", name: "p1", namespace: "default" }, type: "Normal", reason: "Nominated", message: "m" });
    await c.evictPod("default", "p1");
    await c.deleteNode("n1");
  });
  afterAll(async () => {
    await server.close();
  });

  it("allows every request the adapter makes", () => {
    const rules = documentedRules();
    const denied = server.requests.map((r) => attributesOf(r.method, r.path, r.query)).filter((a) => !allows(rules, a));
    expect(denied).toEqual([]);
  });

  it("grants nothing the adapter does not use", () => {
    const used = new Set(server.requests.map((r) => attributesOf(r.method, r.path, r.query)).map((a) => `${a.group}|${a.resource}|${a.verb}`));
    const unused = documentedRules().flatMap((rule) =>
      rule.apiGroups.flatMap((g) => rule.resources.flatMap((res) => rule.verbs.map((v) => `${g}|${res}|${v}`))).filter((k) => !used.has(k)),
    );
    expect(unused).toEqual([]);
  });
});
