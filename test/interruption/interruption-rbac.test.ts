/**
 * The interruption path through the real Kubernetes adapter: every request it makes (list nodes,
 * read the Node, taint and delete it, Events on it, list its pods and evict them) is allowed by the
 * ClusterRole in docs/kubernetes.md.
 * test/cluster/kube/rbac.test.ts covers each adapter method once; this covers what handleInterruption
 * actually calls, so a new call there cannot go out without a matching rule.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyInterruptionMessage } from "../../lib/cloud/aws/interruption/classify.ts";
import type { Cloud, CloudInstance } from "../../lib/ports/cloud.ts";
import { handleInterruption } from "../../lib/interruption/interruption.ts";
import { randomIds } from "../../lib/wiring/base.ts";
import { type FullPorts } from "../../lib/observe/ports.ts";
import { MemoryProvisionerQueue } from "../../lib/queue/in-memory/memory-queue.ts";
import { DEFAULT_SETTINGS } from "../../lib/ports/settings.ts";
import { RecordingTelemetry } from "../../lib/ports/telemetry.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { clusterAgainst, fixedClock, node, pod } from "../support/kube.ts";
import { startFakeApiServer, type FakeApiServer } from "../../lib/cluster/kube/fake-apiserver.ts";
import { claimContent } from "../support/records.ts";
import { attributesOf, documentedRules, grantedKeys, rbacKey } from "../support/rbac.ts";

describe("interruption handling under the documented RBAC", () => {
  let server: FakeApiServer;
  const clock = fixedClock();
  const telemetry = new RecordingTelemetry();
  const instance: CloudInstance = {
    providerId: "aws:///us-east-1a/i-0a1b2c3d",
    instanceId: "i-0a1b2c3d",
    instanceType: "m5.large",
    zone: "us-east-1a",
    capacityType: "spot",
    imageId: "ami-1",
    launchTimeMs: 0,
    state: "running",
    tags: { "karpenter.sh/nodeclaim": "default-abcde" },
    nodeClaimName: "default-abcde",
  };
  const store = createMemoryStore({ clusterName: "demo" });

  beforeAll(async () => {
    // Tenon launched this instance: its record is what allows the drain (issue 17.2).
    const content = claimContent("default-abcde", "Initialized");
    content.nodeClaim.status = { providerID: instance.providerId, nodeName: "0a1b2c3d" };
    await store.createNodeClaim({ ...content, launch: { attempts: 1, instanceId: instance.instanceId } }, 0);
    server = await startFakeApiServer();
    server.put("/nodes", node("0a1b2c3d", { labels: { "karpenter.sh/nodepool": "default" }, finalizers: ["karpenter.sh/termination"] }));
    server.put("/pods", pod("web-1", { nodeName: "0a1b2c3d" }));
    // The node helper names its instance i-<node name>. Only `get` is on the interruption path.
    const cloud = { get: async (id: string) => (id === instance.instanceId ? instance : undefined) } as unknown as Cloud;
    const ports: FullPorts = {
      clusterName: "demo",
      store,
      queue: new MemoryProvisionerQueue(clock.now),
      clock,
      log: telemetry,
      metrics: telemetry,
      settings: DEFAULT_SETTINGS,
      ids: randomIds,
      cloud,
      cluster: clusterAgainst(server, undefined, clock),
    };
    const body = JSON.stringify({
      version: "0",
      id: "e-1",
      "detail-type": "EC2 Spot Instance Interruption Warning",
      source: "aws.ec2",
      account: "123456789012",
      time: "2026-01-01T00:00:00Z",
      region: "us-east-1",
      resources: [],
      detail: { "instance-id": "i-0a1b2c3d", "instance-action": "terminate" },
    });
    const message = classifyInterruptionMessage(body);
    if (!message.ok) throw new Error(message.reason);
    const report = await handleInterruption(ports, message);
    expect(report).toMatchObject({ terminating: ["0a1b2c3d"], evictionsRequested: 1, wokeProvisioner: true });
  });
  afterAll(async () => {
    await server.close();
  });

  it("taints and deletes the Node, records Events, lists and evicts its pods, each allowed by the ClusterRole", () => {
    const made = new Set(server.requests.map((r) => rbacKey(attributesOf(r))));
    expect([...made].sort()).toEqual(["|events|create", "|nodes|delete", "|nodes|get", "|nodes|list", "|nodes|patch", "|pods/eviction|create", "|pods|list"]);
    const allowed = new Set(grantedKeys(documentedRules()));
    expect([...made].filter((a) => !allowed.has(a))).toEqual([]);
  });
});
