/**
 * AL2023 user data: a MIME multipart document whose last part is a nodeadm NodeConfig. The user's
 * own parts (a MIME archive, a NodeConfig, or a shell script) go first, unchanged, so nodeadm merges
 * ours over theirs.
 */
import { stringify } from "yaml";
import { buildMime, isMimeDocument, parseMime, type MimePart } from "./mime.ts";
import { kubeletNodeLabels } from "./node-labels.ts";
import { clusterDnsIps, nodeLabelsWithCapacityType, registerWithTaints, type BootstrapInput } from "./common.ts";

export const NODEADM_CONTENT_TYPE = "application/node.eks.aws";

/** Kubelet keys Tenon computes itself or that are not KubeletConfiguration fields. */
const KUBELET_KEYS_HANDLED = new Set(["maxPods", "clusterDNS"]);

function userParts(userData: string | undefined): MimePart[] {
  if (!userData || userData.trim() === "") return [];
  if (isMimeDocument(userData)) return parseMime(userData);
  if (/^\s*apiVersion:\s*node\.eks\.aws\//m.test(userData)) return [{ contentType: NODEADM_CONTENT_TYPE, body: userData }];
  return [{ contentType: 'text/x-shellscript; charset="us-ascii"', body: userData }];
}

export function nodeConfig(input: BootstrapInput): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input.kubelet ?? {})) {
    if (v !== undefined && !KUBELET_KEYS_HANDLED.has(k)) config[k] = v;
  }
  config.maxPods = input.maxPods;
  const dns = clusterDnsIps(input);
  if (dns) config.clusterDNS = dns;
  config.registerWithTaints = registerWithTaints(input);
  const labels = kubeletNodeLabels(nodeLabelsWithCapacityType(input));
  return {
    apiVersion: "node.eks.aws/v1alpha1",
    kind: "NodeConfig",
    spec: {
      cluster: {
        name: input.clusterName,
        apiServerEndpoint: input.cluster.endpoint,
        certificateAuthority: input.cluster.certificateAuthority,
        cidr: input.cluster.serviceCidr,
      },
      ...(input.instanceStorePolicy === "RAID0" ? { instance: { localStorage: { strategy: "RAID0" } } } : {}),
      kubelet: {
        config,
        flags: [`--node-labels="${labels.map(([k, v]) => `${k}=${v}`).join(",")}"`],
      },
    },
  };
}

/** The plain (not base64) MIME document. */
export function al2023UserData(input: BootstrapInput): string {
  const ours: MimePart = { contentType: NODEADM_CONTENT_TYPE, body: `# Tenon generated NodeConfig\n${stringify(nodeConfig(input))}` };
  return buildMime([...userParts(input.userData), ours]);
}
