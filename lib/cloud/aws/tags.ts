/**
 * The tags every launched resource carries, and the keys users may not set (they are how Tenon
 * finds its own instances, so a user value would hide an instance from garbage collection).
 */
export const TAG_NODEPOOL = "karpenter.sh/nodepool";
export const TAG_NODECLAIM = "karpenter.sh/nodeclaim";
import { TAG_NODECLASS } from "../../ports/cloud.ts";
export { TAG_NODECLASS };
export const TAG_EKS_CLUSTER = "eks:eks-cluster-name";
export const clusterOwnershipTag = (cluster: string): string => `kubernetes.io/cluster/${cluster}`;

export function isRestrictedTagKey(key: string): boolean {
  return (
    // EC2 reserves the aws: prefix; a request carrying one fails.
    key.toLowerCase().startsWith("aws:") ||
    key === TAG_NODEPOOL ||
    key === TAG_NODECLAIM ||
    key === TAG_NODECLASS ||
    key === TAG_EKS_CLUSTER ||
    key.startsWith("kubernetes.io/cluster/")
  );
}

export interface LaunchTagInput {
  clusterName: string;
  nodePoolName: string;
  nodeClaimName: string;
  nodeClassName: string;
  nodeClassTags: Record<string, string>;
}

/** Tags on the instance, its volumes and the fleet: NodeClass tags first, then ours; a user tag on a restricted key is dropped, never wins. */
export function launchTags(input: LaunchTagInput): Record<string, string> {
  return { ...launchedResourceTags(input), [TAG_NODECLAIM]: input.nodeClaimName };
}

/**
 * Tags the launch template puts on the other resources a launch creates (network interfaces, Spot
 * requests): the instance's tags without the NodeClaim name, because one template serves many
 * NodeClaims. They carry the cluster tag, so IAM can require it on every resource a launch creates.
 */
export function launchedResourceTags(input: Omit<LaunchTagInput, "nodeClaimName">): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.nodeClassTags)) if (!isRestrictedTagKey(k)) tags[k] = v;
  tags[clusterOwnershipTag(input.clusterName)] = "owned";
  tags[TAG_NODEPOOL] = input.nodePoolName;
  tags[TAG_EKS_CLUSTER] = input.clusterName;
  tags[TAG_NODECLASS] = input.nodeClassName;
  return tags;
}

/** Tags on launch templates: enough to find and clean up this cluster's templates. */
export function launchTemplateTags(clusterName: string, nodeClassName: string): Record<string, string> {
  return {
    [clusterOwnershipTag(clusterName)]: "owned",
    [TAG_EKS_CLUSTER]: clusterName,
    [TAG_NODECLASS]: nodeClassName,
  };
}

export function toTagList(tags: Record<string, string>): Array<{ Key: string; Value: string }> {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function fromTagList(tags: Array<{ Key?: string | undefined; Value?: string | undefined }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}

/** EC2 filters that select this cluster's Tenon-launched instances (as Karpenter's GC lists them). */
export function clusterInstanceFilters(clusterName: string): Array<{ Name: string; Values: string[] }> {
  return [
    // EC2 filter values take `*` wildcards; one filter per key keeps the keys ANDed.
    { Name: `tag:${TAG_NODEPOOL}`, Values: ["*"] },
    { Name: `tag:${TAG_NODECLASS}`, Values: ["*"] },
    { Name: `tag:${TAG_EKS_CLUSTER}`, Values: [clusterName] },
  ];
}

/** True when the tags mark an instance as launched by Tenon for this cluster (same rule as the filters). */
export function isClusterInstance(tags: Record<string, string>, clusterName: string): boolean {
  return TAG_NODEPOOL in tags && TAG_NODECLASS in tags && tags[TAG_EKS_CLUSTER] === clusterName;
}
