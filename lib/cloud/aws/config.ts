/** Configuration and SDK clients of the EC2 adapter. Endpoints are injectable so tests can use moto. */
import { EC2Client, type EC2ClientConfig } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { PricingClient } from "@aws-sdk/client-pricing";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { InstanceCatalogSource } from "./instance-catalog-source.ts";

export { INSTANCE_CATALOG_SOURCES, parseInstanceCatalogSource, type InstanceCatalogSource } from "./instance-catalog-source.ts";

export interface ClusterEndpointInfo {
  endpoint: string;
  /** Base64 PEM, as DescribeCluster returns it. */
  certificateAuthority: string;
  /** The Service CIDR; nodeadm requires it. */
  serviceCidr: string;
  /** kube-dns ClusterIP; the NodeClass's kubelet.clusterDNS wins. */
  dnsIp?: string;
}

export interface AwsCloudConfig {
  region: string;
  clusterName: string;
  cluster: ClusterEndpointInfo;
  /** Minor version, `1.31`: picks the EKS-optimized AMI parameters. */
  kubernetesVersion: string;
  /** Replaces `/aws/service` in alias SSM paths (moto rejects parameters under /aws/). */
  ssmParameterPrefix?: string;
  /** How long resolved subnets, security groups and AMIs are reused. Default 60 s. */
  resolveCacheTtlMs?: number;
  vmMemoryOverheadPercent?: number;
  reservedENIs?: number;
  /**
   * Where instance types and offerings come from: `bundled` (the catalog in the package; three
   * regions), `live` (DescribeInstanceTypes and DescribeInstanceTypeOfferings, as Karpenter), or
   * `auto` (default: bundled in a bundled region, live elsewhere). Setting INSTANCE_CATALOG.
   */
  instanceCatalog?: InstanceCatalogSource;
  /** How long a live read is reused. Default 6 h. */
  instanceCatalogTtlMs?: number;
  /**
   * Read on-demand (Pricing API) and spot (spot price history) prices when the last read is older
   * than this (Karpenter: 12 h); a failed read is tried again after 5 minutes. Undefined: never,
   * the bundled prices stand (tests on moto, whose spot prices are all $0.00001).
   */
  priceRefreshMs?: number;
  /** How long a call waits for a price read in progress before going on with the prices it has. Default 2 s. */
  priceWaitMs?: number;
}


export interface AwsClients {
  ec2: EC2Client;
  ssm: SSMClient;
  pricing: PricingClient;
  /** Instance profiles for NodeClasses that name a `role`. */
  iam: IAMClient;
}

/** The Pricing API lives in three regions; the nearest one serves every other region. */
export function pricingEndpointRegion(region: string): string {
  if (region.startsWith("cn-")) return "cn-northwest-1";
  if (region.startsWith("ap-")) return "ap-south-1";
  if (region.startsWith("eu-")) return "eu-central-1";
  return "us-east-1";
}

export interface ClientOptions {
  region: string;
  /** One endpoint for every service (moto), or per service. */
  endpoint?: string;
  endpoints?: Partial<Record<keyof AwsClients, string>>;
  credentials?: EC2ClientConfig["credentials"];
  maxAttempts?: number;
}

export function createAwsClients(options: ClientOptions): AwsClients {
  const common = (service: keyof AwsClients) => {
    const endpoint = options.endpoints?.[service] ?? options.endpoint;
    return {
      ...(endpoint ? { endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    };
  };
  return {
    ec2: new EC2Client({ region: options.region, ...common("ec2") }),
    ssm: new SSMClient({ region: options.region, ...common("ssm") }),
    pricing: new PricingClient({ region: pricingEndpointRegion(options.region), ...common("pricing") }),
    // IAM is global; the SDK sends every region's requests to the one endpoint.
    iam: new IAMClient({ region: options.region, ...common("iam") }),
  };
}
