/**
 * AMI families as the EC2NodeClass defines them: the `amiFamily` values, the alias families
 * (`al2023@latest` names AL2023), and the family a NodeClass boots. The one place that maps an
 * alias to a family; validation (ec2nodeclass.ts), alias resolution and the catalog all use it.
 */
import type { AMIFamily, EC2NodeClass } from "./types.ts";

export const AMI_FAMILIES: readonly AMIFamily[] = ["AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022", "Windows2025"];

/** Alias family (the part before `@`) -> amiFamily. */
export const ALIAS_FAMILIES: Readonly<Record<string, AMIFamily>> = {
  al2: "AL2",
  al2023: "AL2023",
  bottlerocket: "Bottlerocket",
  windows2019: "Windows2019",
  windows2022: "Windows2022",
  windows2025: "Windows2025",
};

/** The family an alias family name stands for (`al2023` -> AL2023), if it is one. */
export function aliasFamily(name: string): AMIFamily | undefined {
  return Object.hasOwn(ALIAS_FAMILIES, name) ? ALIAS_FAMILIES[name] : undefined;
}

/** spec.amiFamily, else the family named by an `alias` selector term, else AL2023. */
export function amiFamilyOf(nodeClass: EC2NodeClass | undefined): AMIFamily {
  if (!nodeClass) return "AL2023";
  if (nodeClass.spec.amiFamily) return nodeClass.spec.amiFamily;
  for (const term of nodeClass.spec.amiSelectorTerms ?? []) {
    const family = term.alias ? aliasFamily(term.alias.split("@")[0]!.toLowerCase()) : undefined;
    if (family) return family;
  }
  return "AL2023";
}
