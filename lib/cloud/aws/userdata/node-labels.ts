/**
 * Which labels a kubelet may set on its own node. The NodeRestriction admission plugin rejects
 * kubelet-set labels in the kubernetes.io and k8s.io domains except a few, so those are stripped.
 */
const KUBELET_ALLOWED = new Set([
  "kubernetes.io/hostname",
  "kubernetes.io/arch",
  "kubernetes.io/os",
  "beta.kubernetes.io/arch",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/instance-type",
  "node.kubernetes.io/instance-type",
  "topology.kubernetes.io/region",
  "topology.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
]);

export function kubeletMaySetLabel(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash < 0) return true;
  const domain = key.slice(0, slash);
  const restrictedDomain = domain === "kubernetes.io" || domain.endsWith(".kubernetes.io") || domain === "k8s.io" || domain.endsWith(".k8s.io");
  if (!restrictedDomain) return true;
  if (KUBELET_ALLOWED.has(key)) return true;
  return domain === "kubelet.kubernetes.io" || domain.endsWith(".kubelet.kubernetes.io") ||
    domain === "node.kubernetes.io" || domain.endsWith(".node.kubernetes.io");
}

/** Labels for the kubelet's `--node-labels`, sorted, restricted ones removed. */
export function kubeletNodeLabels(labels: Record<string, string>): Array<[string, string]> {
  return Object.entries(labels)
    .filter(([k]) => kubeletMaySetLabel(k))
    .sort(([a], [b]) => a.localeCompare(b));
}
