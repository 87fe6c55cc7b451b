/** Small builders for state tests. */
import type { NodeClaim } from "../../lib/api/types.ts";
import type { NodeClaimContent, NodeClaimPhase } from "../../lib/ports/store.ts";

export function nodeClaim(name: string, extra: { instanceType?: string; annotations?: Record<string, string> } = {}): NodeClaim {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    metadata: {
      name,
      labels: { "karpenter.sh/nodepool": "default" },
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
      requirements: [
        { key: "node.kubernetes.io/instance-type", operator: "In", values: [extra.instanceType ?? "m5.large"] },
        { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] },
      ],
      taints: [],
      startupTaints: [],
      resources: { requests: { cpu: "1500m", memory: "3Gi", pods: "4" } },
      expireAfter: 720 * 3600 * 1000,
    },
  };
}

export function claimContent(name: string, phase: NodeClaimPhase = "Pending", extra: Parameters<typeof nodeClaim>[1] = {}): NodeClaimContent {
  return { nodeClaim: nodeClaim(name, extra), phase, launch: { attempts: 0 } };
}

/** A node summary of roughly 1 KB, the kind of entry cluster state holds. */
export function nodeSummary(i: number): Record<string, unknown> {
  return {
    name: `ip-10-${(i >> 8) & 255}-${i & 255}-${i}.ec2.internal`,
    providerID: `aws:///us-east-1a/i-${i.toString(16).padStart(17, "0")}`,
    nodePool: "default",
    labels: {
      "node.kubernetes.io/instance-type": "m5.xlarge",
      "topology.kubernetes.io/zone": `us-east-1${"abc"[i % 3]}`,
      "karpenter.sh/capacity-type": i % 2 ? "spot" : "on-demand",
      "kubernetes.io/arch": "amd64",
      "kubernetes.io/os": "linux",
    },
    allocatable: { cpu: 3920, memory: 15_032_385_536, pods: 58 },
    requested: { cpu: (i * 37) % 3920, memory: (i * 1_048_576) % 15_032_385_536, pods: i % 58 },
    pods: Array.from({ length: 6 }, (_, p) => `team-${p}/web-${i}-${p}-7d9f8c6b5-x2k4q`),
    taints: [],
    createdAt: "2026-11-22T12:00:00Z",
  };
}
