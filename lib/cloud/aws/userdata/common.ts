/** What every node bootstrap needs to know, independent of the AMI family. */
import type { KubeletConfiguration, Taint } from "../../../api/types.ts";
import type { ClusterEndpointInfo } from "../config.ts";

export const UNREGISTERED_TAINT: Taint = { key: "karpenter.sh/unregistered", effect: "NoExecute" };
export const LABEL_DO_NOT_SYNC_TAINTS = "karpenter.sh/do-not-sync-taints";

export interface BootstrapInput {
  clusterName: string;
  cluster: ClusterEndpointInfo;
  kubelet?: KubeletConfiguration;
  /** Always written, so the kubelet and the scheduler agree on the pod count. */
  maxPods: number;
  labels: Record<string, string>;
  capacityType: string;
  taints: Taint[];
  startupTaints: Taint[];
  /** The NodeClass's spec.userData, merged in as the family allows. */
  userData?: string;
  instanceStorePolicy?: "RAID0";
}

/** Taints the node registers with: NodeClaim taints, startup taints, then Karpenter's unregistered taint. */
export function registerWithTaints(input: BootstrapInput): Taint[] {
  const seen = new Set<string>();
  const out: Taint[] = [];
  for (const t of [...input.taints, ...input.startupTaints, UNREGISTERED_TAINT]) {
    const key = `${t.key}=${t.value ?? ""}:${t.effect}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect });
  }
  return out;
}

export function nodeLabelsWithCapacityType(input: BootstrapInput): Record<string, string> {
  return { ...input.labels, "karpenter.sh/capacity-type": input.capacityType, [LABEL_DO_NOT_SYNC_TAINTS]: "true" };
}

export function clusterDnsIps(input: BootstrapInput): string[] | undefined {
  const fromKubelet = input.kubelet?.clusterDNS;
  if (fromKubelet && fromKubelet.length > 0) return fromKubelet;
  return input.cluster.dnsIp ? [input.cluster.dnsIp] : undefined;
}
