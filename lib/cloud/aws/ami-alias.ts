/**
 * AMI aliases (`al2023@latest`, `bottlerocket@v1.26.0`, ...) resolve to the public SSM parameters the
 * EKS-optimized images are published under, one per architecture and variant. Each variant carries
 * the requirements that decide which instance types may boot it (GPU images only on GPU types, ...).
 */
import type { AMIFamily, NodeSelectorRequirement } from "../../api/types.ts";

export const LABEL_ARCH = "kubernetes.io/arch";
export const LABEL_GPU_COUNT = "karpenter.k8s.aws/instance-gpu-count";
export const LABEL_ACCELERATOR_COUNT = "karpenter.k8s.aws/instance-accelerator-count";

export interface ParsedAlias {
  family: AMIFamily;
  /** `latest` or a pinned version as written after `@`. */
  version: string;
}

const FAMILY_BY_ALIAS: Record<string, AMIFamily> = {
  al2: "AL2",
  al2023: "AL2023",
  bottlerocket: "Bottlerocket",
  windows2019: "Windows2019",
  windows2022: "Windows2022",
  windows2025: "Windows2025",
};

/** Returns the parsed alias, or a reason it is not one. */
export function parseAmiAlias(alias: string): ParsedAlias | { error: string } {
  const match = /^([a-z0-9]+)@(.+)$/.exec(alias);
  if (!match) return { error: `alias "${alias}" is not of the form family@version` };
  const family = FAMILY_BY_ALIAS[match[1]!];
  if (!family) return { error: `alias family "${match[1]}" is not one of ${Object.keys(FAMILY_BY_ALIAS).join(", ")}` };
  const version = match[2]!;
  if (family.startsWith("Windows") && version !== "latest") return { error: `alias "${alias}": Windows allows only @latest` };
  return { family, version };
}

export interface AliasParameter {
  path: string;
  requirements: NodeSelectorRequirement[];
}

type Variant = "standard" | "nvidia" | "neuron";

function variantRequirements(arch: "amd64" | "arm64", variant: Variant): NodeSelectorRequirement[] {
  const reqs: NodeSelectorRequirement[] = [{ key: LABEL_ARCH, operator: "In", values: [arch] }];
  if (variant === "standard") {
    reqs.push({ key: LABEL_GPU_COUNT, operator: "DoesNotExist" }, { key: LABEL_ACCELERATOR_COUNT, operator: "DoesNotExist" });
  } else if (variant === "nvidia") {
    reqs.push({ key: LABEL_GPU_COUNT, operator: "Exists" });
  } else {
    reqs.push({ key: LABEL_ACCELERATOR_COUNT, operator: "Exists" });
  }
  return reqs;
}

const AWS_ARCH = { amd64: "x86_64", arm64: "arm64" } as const;

/**
 * The SSM parameters an alias reads. `prefix` replaces `/aws/service` (emulators can't hold
 * parameters under the reserved /aws/ path); `k8sVersion` is the cluster's minor version, `1.31`.
 */
export function aliasParameters(alias: ParsedAlias, k8sVersion: string, prefix = "/aws/service"): AliasParameter[] {
  const out: AliasParameter[] = [];
  const v = alias.version;
  switch (alias.family) {
    case "AL2023": {
      const combos: Array<[keyof typeof AWS_ARCH, Variant]> = [
        ["amd64", "standard"], ["arm64", "standard"], ["amd64", "nvidia"], ["arm64", "nvidia"], ["amd64", "neuron"],
      ];
      for (const [arch, variant] of combos) {
        const release = v === "latest" ? "recommended" : `amazon-eks-node-al2023-${AWS_ARCH[arch]}-${variant}-${k8sVersion}-${v}`;
        out.push({
          path: `${prefix}/eks/optimized-ami/${k8sVersion}/amazon-linux-2023/${AWS_ARCH[arch]}/${variant}/${release}/image_id`,
          requirements: variantRequirements(arch, variant),
        });
      }
      break;
    }
    case "Bottlerocket": {
      const version = v === "latest" ? "latest" : v.replace(/^v/, "");
      for (const arch of ["amd64", "arm64"] as const) {
        for (const variant of ["standard", "nvidia"] as const) {
          const flavour = variant === "nvidia" ? `aws-k8s-${k8sVersion}-nvidia` : `aws-k8s-${k8sVersion}`;
          out.push({
            path: `${prefix}/bottlerocket/${flavour}/${AWS_ARCH[arch]}/${version}/image_id`,
            requirements: variantRequirements(arch, variant),
          });
        }
      }
      break;
    }
    case "AL2": {
      const release = v === "latest" ? "recommended" : `amazon-eks-node-${k8sVersion}-${v}`;
      const base = `${prefix}/eks/optimized-ami/${k8sVersion}`;
      out.push(
        { path: `${base}/amazon-linux-2/${release}/image_id`, requirements: variantRequirements("amd64", "standard") },
        { path: `${base}/amazon-linux-2-arm64/${release}/image_id`, requirements: variantRequirements("arm64", "standard") },
        { path: `${base}/amazon-linux-2-gpu/${release}/image_id`, requirements: variantRequirements("amd64", "nvidia") },
      );
      break;
    }
    default: {
      const year = alias.family.replace("Windows", "");
      out.push({
        path: `${prefix}/ami-windows-latest/Windows_Server-${year}-English-Core-EKS_Optimized-${k8sVersion}/image_id`,
        requirements: [{ key: LABEL_ARCH, operator: "In", values: ["amd64"] }],
      });
    }
  }
  return out;
}

/** The requirement an AMI found by id/name/tags carries: only its architecture. */
export function architectureRequirements(ec2Architecture: string | undefined): NodeSelectorRequirement[] {
  const arch = ec2Architecture === "arm64" ? "arm64" : ec2Architecture === "x86_64" ? "amd64" : undefined;
  return arch ? [{ key: LABEL_ARCH, operator: "In", values: [arch] }] : [];
}
