/**
 * What a simulated kubelet does when its instance boots: register a Node carrying what the
 * NodeClaim asked for. Like the real user data Tenon renders, the kubelet registers with the
 * NodeClaim's labels and taints, its startup taints, and `karpenter.sh/unregistered:NoExecute`
 * (which Tenon's lifecycle function removes once it has linked the Node to its NodeClaim). Until
 * the node reports Ready it also carries `node.kubernetes.io/not-ready:NoSchedule`, as the node
 * lifecycle controller would put there.
 */
import type { Taint } from "../../api/types.ts";
import type { Node, QuantityMap } from "../../api/kubernetes.ts";

export const UNREGISTERED_TAINT: Taint = { key: "karpenter.sh/unregistered", effect: "NoExecute" };
export const NOT_READY_TAINT: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" };

export interface LaunchedInstance {
  /** `aws:///<zone>/<instance-id>` */
  providerID: string;
  instanceType: string;
  zone: string;
  capacityType: string;
  nodeClaimName: string;
  /** The NodeClaim's labels (NodePool template labels and single-valued requirements). */
  labels: Record<string, string>;
  taints: Taint[];
  startupTaints: Taint[];
  allocatable: QuantityMap;
  capacity: QuantityMap;
  /** Defaults to the instance id. */
  nodeName?: string;
  /** False simulates an instance that boots but never joins (bad user data, no route to the API). */
  joins?: boolean;
}

export function nodeNameFor(instance: Pick<LaunchedInstance, "providerID" | "nodeName">): string {
  if (instance.nodeName) return instance.nodeName;
  const id = instance.providerID.split("/").filter(Boolean).at(-1);
  return id ?? instance.providerID;
}

/** The Node as the kubelet first registers it: not Ready, all registration taints on. */
export function registeredNode(instance: LaunchedInstance, nowIso: string): Node {
  const name = nodeNameFor(instance);
  const labels: Record<string, string> = {
    "kubernetes.io/os": "linux",
    ...instance.labels,
    "kubernetes.io/hostname": name,
    "node.kubernetes.io/instance-type": instance.instanceType,
    "topology.kubernetes.io/zone": instance.zone,
    "karpenter.sh/capacity-type": instance.capacityType,
  };
  const taints = dedupeTaints([...instance.taints, ...instance.startupTaints, UNREGISTERED_TAINT, NOT_READY_TAINT]);
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels },
    spec: { providerID: instance.providerID, taints },
    status: {
      capacity: { ...instance.capacity },
      allocatable: { ...instance.allocatable },
      conditions: [{ type: "Ready", status: "False", reason: "KubeletNotReady", message: "container runtime network not ready", lastTransitionTime: nowIso }],
    },
  };
}

/** The node once the kubelet reports Ready: Ready=True and the not-ready taint gone. */
export function markReady(node: Node, nowIso: string): void {
  node.spec.taints = (node.spec.taints ?? []).filter((t) => t.key !== NOT_READY_TAINT.key);
  const others = (node.status?.conditions ?? []).filter((c) => c.type !== "Ready");
  node.status = {
    ...node.status,
    conditions: [...others, { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastTransitionTime: nowIso }],
  };
}

export function isNodeReady(node: Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

function dedupeTaints(taints: Taint[]): Taint[] {
  const seen = new Set<string>();
  return taints.filter((t) => {
    const key = `${t.key}:${t.effect}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
