/** Shared builders for the cloud tests. */
import type { EC2NodeClass, NodeSelectorRequirement } from "../../lib/api/types.ts";
import type { Clock } from "../../lib/ports/clock.ts";
import type { LaunchRequest } from "../../lib/ports/cloud.ts";
import type { InstanceType, Offering } from "../../lib/ports/instance-type.ts";

import { CLUSTER } from "./builders.ts";

export { CLUSTER };

/** The tags Karpenter puts on an instance it launched for CLUSTER (no Tenon ownership tag). */
export const KARPENTER_INSTANCE_TAGS: Record<string, string> = {
  "karpenter.sh/nodepool": "default",
  "karpenter.k8s.aws/ec2nodeclass": "default",
  "eks:eks-cluster-name": CLUSTER,
  [`kubernetes.io/cluster/${CLUSTER}`]: "owned",
  "karpenter.sh/nodeclaim": "default-karp1",
};

export class ManualClock implements Clock {
  constructor(public ms = Date.parse("2026-11-01T00:00:00Z")) {}
  now(): number {
    return this.ms;
  }
  async sleep(ms: number): Promise<void> {
    this.ms += ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}


export function launchRequest(nc: EC2NodeClass, instanceTypes: InstanceType[], overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    nodeClaimName: "default-abc12",
    nodeClaimUid: "7f1c3d2e-0000-4000-8000-000000000001",
    nodePoolName: "default",
    nodeClass: nc,
    requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }],
    instanceTypes,
    labels: { "karpenter.sh/nodepool": "default", team: "platform" },
    taints: [],
    startupTaints: [],
    ...overrides,
  };
}

/** A hand-built instance type: enough for the pure launch decisions. */
export function fakeType(name: string, offerings: Array<Partial<Offering> & { zone: string }>, labels: Record<string, string> = {}, pods = 29): InstanceType {
  const full: Offering[] = offerings.map((o) => ({ capacityType: "on-demand", price: 0.1, available: true, ...o }));
  const reqs: NodeSelectorRequirement[] = [
    { key: "node.kubernetes.io/instance-type", operator: "In", values: [name] },
    { key: "kubernetes.io/arch", operator: "In", values: [labels["kubernetes.io/arch"] ?? "amd64"] },
  ];
  return {
    name,
    capacity: { cpu: 2000, memory: 8 * 1024 ** 3, pods },
    overhead: { kubeReserved: {}, systemReserved: {}, evictionThreshold: {} },
    allocatable: { cpu: 1900, memory: 7 * 1024 ** 3, pods },
    requirements: reqs,
    labels: { "kubernetes.io/arch": "amd64", ...labels },
    offerings: full,
  };
}

/** An EventBridge event envelope as it lands in the interruption queue. */
export function event(source: string, detailType: string, detail: unknown, extra: Record<string, unknown> = {}) {
  return { version: "0", id: "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": detailType, source, account: "123456789012", time: "2026-11-01T12:00:00Z", region: "us-east-1", resources: [], detail, ...extra };
}
