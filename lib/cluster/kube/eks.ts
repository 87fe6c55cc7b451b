/**
 * Wiring for the functions: the `Cluster` port for one EKS cluster. Create the endpoint source
 * and token provider once per Lambda container (module scope) so both caches survive across
 * invocations; `connectEksCluster` itself is cheap after the first call.
 */
import { EKSClient } from "@aws-sdk/client-eks";
import type { Clock } from "../../ports/clock.ts";
import type { Cluster } from "../../ports/cluster.ts";
import { kubeConfigFor, makeClients } from "./clients.ts";
import { eksEndpointSource, type EndpointSource } from "./eks-endpoint.ts";
import { eksTokenProvider, type AwsCredentials, type TokenProvider } from "./eks-token.ts";
import { KubeCluster } from "./kube-cluster.ts";

export interface EksAccess {
  endpoint: EndpointSource;
  tokens: TokenProvider;
  clock: Clock;
}

export function eksAccess(params: { clusterName: string; region: string; clock: Clock; eks?: EKSClient; credentials?: AwsCredentials }): EksAccess {
  const eks = params.eks ?? new EKSClient({ region: params.region });
  return {
    endpoint: eksEndpointSource({ eks, clusterName: params.clusterName, clock: params.clock }),
    tokens: eksTokenProvider({
      clusterName: params.clusterName,
      region: params.region,
      // The EKS client already resolved the default credential chain (Lambda role, env, profile).
      credentials: params.credentials ?? eks.config.credentials,
      clock: params.clock,
    }),
    clock: params.clock,
  };
}

export async function connectEksCluster(access: EksAccess): Promise<Cluster> {
  const endpoint = await access.endpoint();
  return new KubeCluster(makeClients(kubeConfigFor(endpoint)), access.tokens, access.clock);
}
