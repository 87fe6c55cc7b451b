/** The real `Cluster` adapter: client-node against an EKS API server. See docs/kubernetes.md. */
export { connectEksCluster, eksAccess, type EksAccess } from "./eks.ts";
export { KubeCluster, PENDING_PODS, UNFINISHED_PODS, podsOnNodeSelector } from "./kube-cluster.ts";
export { eksTokenProvider, presignEksToken, EKS_TOKEN_LIFETIME_MS, EKS_TOKEN_REFRESH_MARGIN_MS, type TokenProvider, type AwsCredentials } from "./eks-token.ts";
export { eksEndpointSource, ClusterEndpointError, type ClusterEndpoint, type EndpointSource } from "./eks-endpoint.ts";
export { KubeApiError, kubeConfigFor, makeClients, type KubeClients, type KubeEndpoint } from "./clients.ts";
export { podChangesSince, nodeChangesSince, DEFAULT_CATCH_UP_SECONDS } from "./pod-changes.ts";
