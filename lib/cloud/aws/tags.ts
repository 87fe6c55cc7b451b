/**
 * The tags every launched resource carries, and the keys users may not set (they are how Tenon
 * finds its own resources, so a user value would hide one from garbage collection or hand it to
 * another controller).
 *
 * Ownership: Tenon recognises what it launched by one tag of its own, TAG_MANAGED_BY with the
 * cluster name as value. It is on every instance, volume, network interface, Spot request, fleet,
 * launch template and instance profile Tenon creates; every list Tenon acts on (garbage collection,
 * instance listing, launch-template and instance-profile clean-up) filters by it, and the IAM
 * policy (infra/policies.ts) requires it to create, tag, terminate or delete. Karpenter's tags
 * (`karpenter.sh/nodepool`, `karpenter.k8s.aws/ec2nodeclass`, `eks:eks-cluster-name`) therefore
 * never make a resource Tenon's. The other way round, Karpenter lists its instances by
 * `karpenter.sh/nodepool` + `karpenter.k8s.aws/ec2nodeclass` + `eks:eks-cluster-name` and its
 * launch templates by `eks:eks-cluster-name`: Tenon's instances carry its own NodeClass tag
 * instead of Karpenter's, and its launch templates no `eks:eks-cluster-name`, so a Karpenter
 * running beside Tenon never collects them.
 */
export const TAG_MANAGED_BY = "tenon.sh/managed-by";
export const TAG_NODEPOOL = "karpenter.sh/nodepool";
export const TAG_NODECLAIM = "karpenter.sh/nodeclaim";
/** The EC2NodeClass a resource was made for (defined with the Cloud port, which the lifecycle reads it through). */
import { TAG_NODECLASS } from "../../ports/cloud.ts";
export { TAG_NODECLASS };
/** Karpenter's NodeClass tag: never set by Tenon, and not settable through a NodeClass's tags. */
export const TAG_KARPENTER_NODECLASS = "karpenter.k8s.aws/ec2nodeclass";
export const TAG_EKS_CLUSTER = "eks:eks-cluster-name";
export const clusterOwnershipTag = (cluster: string): string => `kubernetes.io/cluster/${cluster}`;

/** The ownership tag as a key/value pair, for requests and conditions. */
export function managedByTag(clusterName: string): Record<string, string> {
  return { [TAG_MANAGED_BY]: clusterName };
}

/** True when the tags say Tenon made the resource for this cluster. */
export function isManagedBy(tags: Record<string, string>, clusterName: string): boolean {
  return tags[TAG_MANAGED_BY] === clusterName;
}

export function isRestrictedTagKey(key: string): boolean {
  return (
    // EC2 reserves the aws: prefix; a request carrying one fails.
    key.toLowerCase().startsWith("aws:") ||
    key.startsWith("tenon.sh/") ||
    key === TAG_NODEPOOL ||
    key === TAG_NODECLAIM ||
    key === TAG_KARPENTER_NODECLASS ||
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
  tags[TAG_MANAGED_BY] = input.clusterName;
  tags[TAG_NODEPOOL] = input.nodePoolName;
  tags[TAG_EKS_CLUSTER] = input.clusterName;
  tags[TAG_NODECLASS] = input.nodeClassName;
  return tags;
}

/**
 * Tags on launch templates: the ownership tag, which clean-up lists by, and the NodeClass. No
 * `eks:eks-cluster-name`: Karpenter lists (and, as its cache expires, deletes) templates by it.
 */
export function launchTemplateTags(clusterName: string, nodeClassName: string): Record<string, string> {
  return {
    [clusterOwnershipTag(clusterName)]: "owned",
    [TAG_MANAGED_BY]: clusterName,
    [TAG_NODECLASS]: nodeClassName,
  };
}

/** The EC2 filter that selects resources (instances, launch templates) Tenon made for this cluster. */
export function managedByFilter(clusterName: string): { Name: string; Values: string[] } {
  return { Name: `tag:${TAG_MANAGED_BY}`, Values: [clusterName] };
}

export function toTagList(tags: Record<string, string>): Array<{ Key: string; Value: string }> {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function fromTagList(tags: Array<{ Key?: string | undefined; Value?: string | undefined }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}

/** EC2 filters that select this cluster's Tenon-launched instances: Tenon's ownership tag, and a NodePool. */
export function clusterInstanceFilters(clusterName: string): Array<{ Name: string; Values: string[] }> {
  // EC2 filter values take `*` wildcards; one filter per key keeps the keys ANDed.
  return [managedByFilter(clusterName), { Name: `tag:${TAG_NODEPOOL}`, Values: ["*"] }];
}

/** True when the tags mark an instance as launched by Tenon for this cluster (same rule as the filters). */
export function isClusterInstance(tags: Record<string, string>, clusterName: string): boolean {
  return isManagedBy(tags, clusterName) && TAG_NODEPOOL in tags;
}
