import type { Taint } from "../../lib/api/types.ts";
import type { Node, Pod, Workload } from "../../lib/api/kubernetes.ts";
import type { LaunchedInstance } from "../../lib/cluster/in-memory/kubelet.ts";
import { SimulatedCluster, type SimulatedClusterOptions } from "../../lib/cluster/in-memory/in-memory-cluster.ts";

export function simulatedCluster(options: Partial<SimulatedClusterOptions> = {}): SimulatedCluster {
  return new SimulatedCluster(options);
}

export function instance(id: string, extra: Partial<LaunchedInstance> = {}): LaunchedInstance {
  return {
    providerID: `aws:///us-east-1a/${id}`,
    instanceType: "m5.large",
    zone: "us-east-1a",
    capacityType: "on-demand",
    nodeClaimName: `default-${id}`,
    labels: { "karpenter.sh/nodepool": "default", "kubernetes.io/arch": "amd64", team: "web" },
    taints: [],
    startupTaints: [],
    allocatable: { cpu: "1930m", memory: "7Gi", pods: "29" },
    capacity: { cpu: "2", memory: "8Gi", pods: "29" },
    ...extra,
  };
}

export function readyNode(name: string, allocatable = { cpu: "2", memory: "8Gi", pods: "110" }, taints: Taint[] = []): Node {
  return {
    metadata: { name, labels: { "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": "us-east-1a", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" } },
    spec: { providerID: `aws:///us-east-1a/${name}`, taints },
    status: { allocatable, capacity: allocatable, conditions: [{ type: "Ready", status: "True" }] },
  };
}

export function podRequesting(name: string, cpu: string, extra: Partial<Pod["spec"]> = {}, namespace = "default"): Pod {
  return {
    metadata: { name, namespace, labels: { app: name } },
    spec: { containers: [{ name: "app", resources: { requests: { cpu, memory: "256Mi" } } }], ...extra },
  };
}

export function deployment(name: string, replicas: number, cpu = "500m", namespace = "default"): Workload {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", resources: { requests: { cpu, memory: "256Mi" } } }] } },
    },
  };
}

export const taintKeys = (node: Node | undefined): string[] => (node?.spec.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
