/**
 * Bottlerocket user data: TOML settings. The user's TOML is parsed and Tenon's cluster and kubelet
 * settings are written over it under [settings.kubernetes]; everything else the user set is kept.
 */
import type { TomlTable, TomlValue } from "./toml.ts";
import { parseToml, stringifyToml } from "./toml.ts";
import { kubeletNodeLabels } from "./node-labels.ts";
import { clusterDnsIps, nodeLabelsWithCapacityType, registerWithTaints, type BootstrapInput } from "./common.ts";

function child(table: TomlTable, key: string): TomlTable {
  const existing = Object.hasOwn(table, key) ? table[key] : undefined;
  if (typeof existing === "object" && existing !== null && !Array.isArray(existing)) return existing;
  const created: TomlTable = {};
  table[key] = created;
  return created;
}

function stringMap(map: Record<string, string> | undefined): TomlTable | undefined {
  if (!map || Object.keys(map).length === 0) return undefined;
  return { ...map };
}

export function bottlerocketSettings(input: BootstrapInput): TomlTable {
  let root: TomlTable;
  try {
    root = input.userData?.trim() ? parseToml(input.userData) : {};
  } catch (err) {
    throw new Error(`EC2NodeClass spec.userData: not valid Bottlerocket TOML: ${(err as Error).message}`);
  }
  const k8s = child(child(root, "settings"), "kubernetes");
  const kubelet = input.kubelet ?? {};
  k8s["api-server"] = input.cluster.endpoint;
  k8s["cluster-certificate"] = input.cluster.certificateAuthority;
  k8s["cluster-name"] = input.clusterName;
  const dns = clusterDnsIps(input);
  if (dns) k8s["cluster-dns-ip"] = dns.length === 1 ? dns[0]! : dns;
  k8s["max-pods"] = input.maxPods;
  const maps: Array<[string, Record<string, string> | undefined]> = [
    ["kube-reserved", kubelet.kubeReserved],
    ["system-reserved", kubelet.systemReserved],
    ["eviction-hard", kubelet.evictionHard],
    ["eviction-soft", kubelet.evictionSoft],
    ["eviction-soft-grace-period", kubelet.evictionSoftGracePeriod],
  ];
  for (const [key, map] of maps) {
    const table = stringMap(map);
    if (table) k8s[key] = table;
  }
  const scalars: Array<[string, TomlValue | undefined]> = [
    ["eviction-max-pod-grace-period", kubelet.evictionMaxPodGracePeriod],
    ["image-gc-high-threshold-percent", kubelet.imageGCHighThresholdPercent],
    ["image-gc-low-threshold-percent", kubelet.imageGCLowThresholdPercent],
    ["cpu-cfs-quota-enforced", kubelet.cpuCFSQuota],
  ];
  for (const [key, value] of scalars) if (value !== undefined) k8s[key] = value;

  const labels = child(k8s, "node-labels");
  for (const [k, v] of kubeletNodeLabels(nodeLabelsWithCapacityType(input))) labels[k] = v;
  const taints = child(k8s, "node-taints");
  for (const t of registerWithTaints(input)) {
    const entry = `${t.value ?? ""}:${t.effect}`;
    const existing = taints[t.key];
    taints[t.key] = Array.isArray(existing) ? [...existing.filter((e) => e !== entry), entry] : [entry];
  }
  if (input.instanceStorePolicy === "RAID0") {
    const commands = child(child(child(root, "settings"), "bootstrap-commands"), "000-mount-instance-storage");
    commands.commands = [["apiclient", "ephemeral-storage", "init"], ["apiclient", "ephemeral-storage", "bind", "--dirs", "/var/lib/containerd", "/var/lib/kubelet", "/var/log/pods"]];
    commands.mode = "always";
    commands.essential = true;
  }
  return root;
}

/** The plain (not base64) TOML document. */
export function bottlerocketUserData(input: BootstrapInput): string {
  return stringifyToml(bottlerocketSettings(input));
}
