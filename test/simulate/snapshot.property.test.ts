/**
 * Properties of the snapshot over random raw clusters: pending pods are exactly the unbound,
 * non-DaemonSet, non-terminating ones; every Node is one ExistingNode; a NodeClaim is folded into
 * its Node when provider IDs match and stands alone (by its own name) otherwise; bound pods land
 * on their node; and nothing in the input is modified.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NodeClaim } from "../../lib/api/types.ts";
import type { Node, Pod } from "../../lib/api/kubernetes.ts";
import { buildSchedulingInput, type ClusterObjects } from "../../lib/scheduling/snapshot.ts";
import { GiB, instanceType, nodePool } from "../support/scheduling-properties/fixtures.ts";

const m5 = instanceType("m5.large", 2000, 8 * GiB, [{ zone: "a", capacityType: "on-demand", price: 0.1 }]);

const clusterArb = fc
  .record({
    nodes: fc.array(fc.record({ initialized: fc.boolean(), managed: fc.boolean(), hasClaim: fc.boolean() }), { maxLength: 5 }),
    strayClaims: fc.integer({ min: 0, max: 3 }),
    pods: fc.array(
      fc.record({ node: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }), daemon: fc.boolean(), deleting: fc.boolean(), phase: fc.constantFrom(undefined, "Running", "Succeeded") }),
      { maxLength: 20 },
    ),
  })
  .map(({ nodes, strayClaims, pods }) => {
    const nodeObjects: Node[] = nodes.map((n, i) => ({
      metadata: { name: `node-${i}`, labels: n.managed ? { "karpenter.sh/nodepool": "default", ...(n.initialized ? { "karpenter.sh/initialized": "true" } : {}) } : {} },
      spec: { providerID: `aws:///a/i-${i}`, taints: [{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }] },
      status: { allocatable: { cpu: "2", memory: "8Gi", pods: "29" } },
    }));
    const claim = (name: string, providerID: string): NodeClaim => ({
      apiVersion: "karpenter.sh/v1",
      kind: "NodeClaim",
      metadata: { name, labels: { "karpenter.sh/nodepool": "default" } },
      spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "x" }, requirements: [], taints: [], startupTaints: [], expireAfter: null },
      status: { providerID },
    });
    const claims = [
      ...nodes.flatMap((n, i) => (n.hasClaim ? [claim(`claim-of-node-${i}`, `aws:///a/i-${i}`)] : [])),
      ...Array.from({ length: strayClaims }, (_, i) => claim(`in-flight-${i}`, `aws:///a/i-stray-${i}`)),
    ];
    const podObjects: Pod[] = pods.map((p, i) => ({
      metadata: {
        name: `pod-${i}`,
        ...(p.daemon ? { ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "ds" }] } : {}),
        ...(p.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
      },
      spec: { containers: [{ name: "c", resources: { requests: { cpu: "100m" } } }], ...(p.node !== undefined ? { nodeName: `node-${p.node}` } : {}) },
      ...(p.phase ? { status: { phase: p.phase } } : {}),
    }));
    const objects: ClusterObjects = {
      pods: podObjects,
      nodes: nodeObjects,
      nodeClaims: claims,
      nodePools: [{ nodePool: nodePool("default"), instanceTypes: [m5] }],
      daemonSets: [],
      persistentVolumeClaims: [],
      persistentVolumes: [],
      storageClasses: [],
    };
    return objects;
  });

describe("buildSchedulingInput over random clusters", () => {
  it("keeps the contract's pending, Node/NodeClaim and bound-pod rules", () => {
    fc.assert(
      fc.property(clusterArb, (objects) => {
        const before = structuredClone(objects);
        const input = buildSchedulingInput(objects);
        expect(objects).toEqual(before);

        const pending = objects.pods.filter((p) => !p.spec.nodeName && !p.metadata.ownerReferences && !p.metadata.deletionTimestamp);
        expect(input.pods.map((p) => p.metadata.name)).toEqual(pending.map((p) => p.metadata.name));

        const nodeNames = objects.nodes.map((n) => n.metadata.name);
        const matchedClaims = objects.nodeClaims.filter((c) => objects.nodes.some((n) => n.spec.providerID === c.status?.providerID));
        const inFlight = objects.nodeClaims.filter((c) => !matchedClaims.includes(c)).map((c) => c.metadata.name);
        expect(input.existingNodes.map((n) => n.name)).toEqual([...nodeNames, ...inFlight]);

        for (const existing of input.existingNodes) {
          const node = objects.nodes.find((n) => n.metadata.name === existing.name);
          if (!node) {
            expect(existing.initialized).toBe(false);
            expect(existing.pods).toEqual([]);
            continue;
          }
          expect(existing.nodeClaim?.status?.providerID).toBe(matchedClaims.find((c) => c.status?.providerID === node.spec.providerID)?.status?.providerID);
          const initialized = !node.metadata.labels?.["karpenter.sh/nodepool"] || node.metadata.labels["karpenter.sh/initialized"] === "true";
          expect(existing.initialized).toBe(initialized);
          expect(existing.taints.some((t) => t.key === "node.kubernetes.io/not-ready")).toBe(initialized);
          const bound = objects.pods.filter((p) => p.spec.nodeName === existing.name && p.status?.phase !== "Succeeded");
          expect(existing.pods.map((p) => p.metadata.name)).toEqual(bound.map((p) => p.metadata.name));
        }
      }),
      { numRuns: 200, seed: 99 },
    );
  });
});
