/**
 * Where the cluster's API server is and which CA signs it, from EKS DescribeCluster. Both are
 * fixed for the life of a cluster, so one call per Lambda container is enough; the cache still
 * expires (default 1 h) so a container never outlives a replaced cluster by much.
 */
import { DescribeClusterCommand, type EKSClient } from "@aws-sdk/client-eks";
import type { Clock } from "../../ports/clock.ts";

export interface ClusterEndpoint {
  /** `https://…eks.amazonaws.com` */
  server: string;
  /** Base64 PEM bundle, exactly as EKS returns it (client-node decodes base64 `caData`). */
  caData: string;
}

export const ENDPOINT_CACHE_TTL_MS = 60 * 60 * 1000;

export class ClusterEndpointError extends Error {
  constructor(clusterName: string, reason: string) {
    super(`EKS cluster ${clusterName}: ${reason}`);
    this.name = "ClusterEndpointError";
  }
}

export type EndpointSource = () => Promise<ClusterEndpoint>;

export function eksEndpointSource(params: { eks: EKSClient; clusterName: string; clock: Clock; ttlMs?: number }): EndpointSource {
  const ttl = params.ttlMs ?? ENDPOINT_CACHE_TTL_MS;
  let cached: { value: ClusterEndpoint; expiresAtMs: number } | undefined;
  let inFlight: Promise<ClusterEndpoint> | undefined;

  const describe = async (): Promise<ClusterEndpoint> => {
    const { cluster } = await params.eks.send(new DescribeClusterCommand({ name: params.clusterName }));
    if (!cluster) throw new ClusterEndpointError(params.clusterName, "DescribeCluster returned no cluster");
    if (cluster.status && cluster.status !== "ACTIVE" && cluster.status !== "UPDATING") {
      throw new ClusterEndpointError(params.clusterName, `status is ${cluster.status}, not ACTIVE`);
    }
    if (!cluster.endpoint) throw new ClusterEndpointError(params.clusterName, "has no API endpoint yet");
    const caData = cluster.certificateAuthority?.data;
    if (!caData) throw new ClusterEndpointError(params.clusterName, "has no certificateAuthority.data");
    const value = { server: cluster.endpoint, caData };
    cached = { value, expiresAtMs: params.clock.now() + ttl };
    return value;
  };

  return () => {
    if (cached && params.clock.now() < cached.expiresAtMs) return Promise.resolve(cached.value);
    inFlight ??= describe().finally(() => (inFlight = undefined));
    return inFlight;
  };
}
