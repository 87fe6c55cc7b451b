/**
 * AMI aliases (`al2023@latest`, `bottlerocket@v1.26.0`, ...) resolve to the public SSM parameters the
 * EKS-optimized images are published under, one per architecture and variant. Each variant carries
 * the requirements that decide which instance types may boot it (GPU images only on GPU types, ...).
 */
import { aliasFamily, ALIAS_FAMILIES } from "../../api/ami-family.ts";
import { LABEL_ARCH, LABEL_INSTANCE_ACCELERATOR_COUNT, LABEL_INSTANCE_GPU_COUNT } from "../../api/labels.ts";
import type { AMIFamily, NodeSelectorRequirement } from "../../api/types.ts";
import type { ResolvedAmi } from "../../ports/cloud.ts";

export interface ParsedAlias {
  family: AMIFamily;
  /** `latest` or a pinned version as written after `@`. */
  version: string;
}

/** Returns the parsed alias, or a reason it is not one. */
export function parseAmiAlias(alias: string): ParsedAlias | { error: string } {
  const match = /^([a-z0-9]+)@(.+)$/.exec(alias);
  if (!match) return { error: `alias "${alias}" is not of the form family@version` };
  const family = aliasFamily(match[1]!);
  if (!family) return { error: `alias family "${match[1]}" is not one of ${Object.keys(ALIAS_FAMILIES).join(", ")}` };
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
    reqs.push({ key: LABEL_INSTANCE_GPU_COUNT, operator: "DoesNotExist" }, { key: LABEL_INSTANCE_ACCELERATOR_COUNT, operator: "DoesNotExist" });
  } else if (variant === "nvidia") {
    reqs.push({ key: LABEL_INSTANCE_GPU_COUNT, operator: "Exists" });
  } else {
    reqs.push({ key: LABEL_INSTANCE_ACCELERATOR_COUNT, operator: "Exists" });
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

/** The SSM parameters an `alias` term reads, or why the alias is not one (for the AMIsReady condition). */
export function aliasTermParameters(alias: string, k8sVersion: string, prefix?: string): AliasParameter[] | { error: string } {
  const parsed = parseAmiAlias(alias);
  return "error" in parsed ? parsed : aliasParameters(parsed, k8sVersion, prefix);
}

/**
 * The AMIs an alias term resolves to, given the parameter values that were found (path -> image
 * id): one per parameter that exists, with its variant's requirements; a problem when none does.
 */
export function aliasTermAmis(
  alias: string,
  params: readonly AliasParameter[],
  values: ReadonlyMap<string, string>,
  toAmi: (imageId: string, requirements: NodeSelectorRequirement[]) => ResolvedAmi,
): { amis: ResolvedAmi[]; problem?: string } {
  const amis: ResolvedAmi[] = [];
  for (const p of params) {
    const id = values.get(p.path);
    if (id) amis.push(toAmi(id, p.requirements));
  }
  return amis.length > 0 ? { amis } : { amis, problem: `no SSM parameter for alias ${alias} (${params[0]?.path ?? "?"} ...)` };
}
