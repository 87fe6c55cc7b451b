/** Realistic EKS Nodes for the benchmarks: as the adapter hands them over, or (`heavy`) as the API server sends them. */
import type { Node } from "../lib/api/kubernetes.ts";

const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];

/** Node `i`: its instance is `i-<i in hex, 17 digits>` in zone `ZONES[i % 3]`. */
export function node(i: number, heavy = false): Node {
  const name = `ip-10-${(i >> 8) & 255}-${i & 255}-${i % 7}.ec2.internal`;
  const zone = ZONES[i % 3]!;
  const out: Node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      uid: `node-uid-${i}`,
      labels: {
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": zone, "topology.kubernetes.io/region": "us-east-1", "node.kubernetes.io/instance-type": "m6i.2xlarge",
        "karpenter.sh/nodepool": "default", "karpenter.sh/capacity-type": i % 4 === 0 ? "spot" : "on-demand", "karpenter.sh/initialized": "true",
        "karpenter.sh/registered": "true", "karpenter.k8s.aws/instance-family": "m6i", "karpenter.k8s.aws/instance-size": "2xlarge",
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "failure-domain.beta.kubernetes.io/zone": zone,
      },
      annotations: { "alpha.kubernetes.io/provided-node-ip": "10.0.0.1", "karpenter.sh/nodepool-hash": "1234567890", "node.alpha.kubernetes.io/ttl": "0" },
    },
    spec: { providerID: `aws:///${zone}/i-${i.toString(16).padStart(17, "0")}` },
    status: {
      capacity: { cpu: "8", memory: "32329556Ki", pods: "58", "ephemeral-storage": "83873772Ki" },
      allocatable: { cpu: "7910m", memory: "31312724Ki", pods: "58", "ephemeral-storage": "76224326324" },
      conditions: ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"].map((type) => ({
        type, status: type === "Ready" ? "True" : "False", reason: `Kubelet${type}`, message: `kubelet reports ${type}`,
        lastHeartbeatTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z",
      })) as Node["status"] extends infer S ? S extends { conditions?: infer C } ? C : never : never,
    },
  };
  if (heavy) {
    // What the API server sends before slimming: images and managedFields dominate.
    const raw = out as unknown as { status: Record<string, unknown>; metadata: Record<string, unknown> };
    raw.status.images = Array.from({ length: 40 }, (_, k) => ({ names: [`123456789012.dkr.ecr.us-east-1.amazonaws.com/team/service-${k}@sha256:${"ab".repeat(32)}`, `123456789012.dkr.ecr.us-east-1.amazonaws.com/team/service-${k}:v1.${k}`], sizeBytes: 123456789 }));
    raw.metadata.managedFields = [{ manager: "kubelet", operation: "Update", apiVersion: "v1", time: "2026-01-01T00:00:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:status": { "f:conditions": {}, "f:images": {}, "f:nodeInfo": {} } } }];
    raw.status.nodeInfo = { kubeletVersion: "v1.31.0-eks", osImage: "Amazon Linux 2023", containerRuntimeVersion: "containerd://1.7.0", kernelVersion: "6.1.0", architecture: "amd64", operatingSystem: "linux", machineID: "x", systemUUID: "y", bootID: "z", kubeProxyVersion: "v1.31.0" };
  }
  return out;
}
