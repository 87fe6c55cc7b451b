/**
 * The simulated account's network and images: subnets, security groups, AMIs and the SSM parameters
 * that AMI aliases read. `defaultWorld` gives a cluster-ready VPC with a subnet per zone and
 * AL2023/Bottlerocket images, all discoverable with the `karpenter.sh/discovery` tag.
 */
import { aliasParameters } from "../aws/ami-alias.ts";
import type { ResolvedCapacityReservation } from "../../ports/cloud.ts";
import { catalogData } from "../aws/catalog/index.ts";

export interface SimSubnet {
  id: string;
  zone: string;
  zoneId?: string;
  availableIps: number;
  tags: Record<string, string>;
}

export interface SimSecurityGroup {
  id: string;
  name: string;
  tags: Record<string, string>;
}

export interface SimImage {
  id: string;
  name: string;
  /** `x86_64` or `arm64`. */
  architecture: string;
  creationDate: string;
  owner: string;
  tags: Record<string, string>;
  deprecated?: boolean;
}

export interface SimWorld {
  region: string;
  subnets: SimSubnet[];
  securityGroups: SimSecurityGroup[];
  images: SimImage[];
  ssmParameters: Map<string, string>;
  /** IAM role names; a NodeClass `role` must be one of them. */
  roles?: Set<string>;
  /** Instance profiles by name, as the simulated IAM holds them. */
  instanceProfiles?: Map<string, SimInstanceProfile>;
  capacityReservations?: SimCapacityReservation[];
}

export interface SimInstanceProfile {
  name: string;
  path: string;
  /** At most one, as in IAM. */
  roles: string[];
  tags: Record<string, string>;
}

/** A capacity reservation; `availableInstances` goes down as reserved launches use it. */
export interface SimCapacityReservation extends Omit<ResolvedCapacityReservation, "endTimeMs"> {
  state: "active" | "expired" | "cancelled" | "pending";
  endTimeMs?: number;
  tags: Record<string, string>;
}

/** The node role `defaultWorld` creates for a cluster. */
export function defaultNodeRole(clusterName: string): string {
  return `KarpenterNodeRole-${clusterName}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

export function defaultWorld(options: { region: string; clusterName: string; kubernetesVersion?: string }): SimWorld {
  const version = options.kubernetesVersion ?? "1.33";
  const region = catalogData().regions.get(options.region as never);
  const zones: Array<[string, string | undefined]> = region ? [...region.zones] : [[`${options.region}a`, undefined]];
  const discovery = { "karpenter.sh/discovery": options.clusterName };
  const subnets = zones.map(([zone, zoneId], i) => ({
    id: `subnet-${hex(i + 1, 17)}`, zone, ...(zoneId ? { zoneId } : {}), availableIps: 4000, tags: { ...discovery, Name: `private-${zone}` },
  }));
  const securityGroups = [{ id: `sg-${hex(1, 17)}`, name: `${options.clusterName}-node`, tags: { ...discovery } }];
  const images: SimImage[] = [];
  const ssmParameters = new Map<string, string>();
  let n = 1;
  for (const alias of [{ family: "AL2023" as const, version: "latest" }, { family: "Bottlerocket" as const, version: "latest" }]) {
    for (const p of aliasParameters(alias, version)) {
      const id = `ami-${hex(n++, 17)}`;
      const arch = p.requirements.find((r) => r.key === "kubernetes.io/arch")?.values?.[0] === "arm64" ? "arm64" : "x86_64";
      images.push({ id, name: p.path.split("/").slice(-4).join("-"), architecture: arch, creationDate: "2026-10-01T00:00:00.000Z", owner: "amazon", tags: {} });
      ssmParameters.set(p.path, id);
    }
  }
  return {
    region: options.region, subnets, securityGroups, images, ssmParameters,
    roles: new Set([defaultNodeRole(options.clusterName)]), instanceProfiles: new Map(), capacityReservations: [],
  };
}
