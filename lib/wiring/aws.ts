/**
 * The Lambda wiring: ports on DynamoDB, SQS, EC2 and the EKS API server, built from the
 * function's environment (set by the CDK stack: CLUSTER_NAME, TABLE_NAME, PROVISIONER_QUEUE_URL,
 * optional KUBERNETES_VERSION, CLUSTER_STATE_BUCKET and DISRUPTION_QUEUE_URL (consolidator and
 * drift only); AWS_REGION comes from Lambda). Clients and caches live for the
 * container, so warm invocations reuse connections, the EKS token and resolved NodeClasses.
 */
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import type { AwsCloud } from "../cloud/aws/aws-cloud.ts";
import type { ClusterEndpointInfo } from "../cloud/aws/config.ts";
import type { SnapshotBlobStore } from "../ports/blob.ts";
import { lazyBlobStore } from "../blob/lazy-blob-store.ts";
import { ClusterStateKeeper } from "../cluster-state/keeper.ts";
import { ClusterEndpointError } from "../cluster/kube/eks-endpoint.ts";
import { SqsDisruptionQueue } from "../queue/sqs/sqs-queue.ts";
import { wallClock } from "../ports/clock.ts";
import type { Runtime } from "./base.ts";
import { type FullPorts, type FunctionName, type Telemetry } from "../observe/ports.ts";
import { awsCore } from "./aws-core.ts";
import { clusterStatePrefix, DISRUPTION_QUEUE_URL_ENV, readClusterStateBucket, readMode, type Env } from "./settings.ts";

interface DescribedCluster {
  info: ClusterEndpointInfo;
  version: string;
}

/** One DescribeCluster per container: endpoint, CA, service CIDR and version never change under a running cluster. */
async function describeCluster(eks: EKSClient, clusterName: string): Promise<DescribedCluster> {
  const { cluster } = await eks.send(new DescribeClusterCommand({ name: clusterName }));
  if (!cluster?.endpoint || !cluster.certificateAuthority?.data) throw new ClusterEndpointError(clusterName, "DescribeCluster returned no endpoint or CA");
  const serviceCidr = cluster.kubernetesNetworkConfig?.serviceIpv4Cidr ?? cluster.kubernetesNetworkConfig?.serviceIpv6Cidr;
  if (!serviceCidr) throw new ClusterEndpointError(clusterName, "DescribeCluster returned no service CIDR");
  return {
    info: { endpoint: cluster.endpoint, certificateAuthority: cluster.certificateAuthority.data, serviceCidr },
    version: cluster.version ?? "",
  };
}

/** The snapshot's blob store on S3 when a bucket is configured; the S3 client loads on first use. */
function clusterStateBlobs(env: Env, region: string, clusterName: string): SnapshotBlobStore | undefined {
  const bucket = readClusterStateBucket(env);
  if (!bucket) return undefined;
  const prefix = clusterStatePrefix(clusterName);
  return lazyBlobStore(`s3://${bucket}/${prefix}`, async () => {
    const [{ S3Client }, { S3BlobStore }] = await Promise.all([import("@aws-sdk/client-s3"), import("../blob/s3/s3-blob-store.ts")]);
    return new S3BlobStore({ client: new S3Client({ region }), bucket, prefix });
  });
}

/** Prices are read again when older than this, as Karpenter's pricing controller. */
const PRICE_REFRESH_MS = 12 * 3_600_000;

export function awsRuntime(env: Env): Runtime {
  const { clusterName, region, store, sqs, core } = awsCore(env);
  const eks = new EKSClient({ region });
  let described: Promise<DescribedCluster> | undefined;
  let cloud: AwsCloud | undefined;
  let tokens: import("../cluster/kube/eks-token.ts").TokenProvider | undefined;
  // Lives as long as the container: warm invocations only replay the pod changes since the last one.
  const blobs = clusterStateBlobs(env, region, clusterName);
  const clusterState = new ClusterStateKeeper(blobs ? { blobs } : {});
  // Set for the functions that may wake the consolidator early; the others never see the queue. In
  // shadow mode no command is ever in flight, so the consolidator keeps to its minute tick.
  const disruptionQueueUrl = readMode(env) === "shadow" ? undefined : env[DISRUPTION_QUEUE_URL_ENV]?.trim();
  const disruptionQueue = disruptionQueueUrl ? new SqsDisruptionQueue(sqs, disruptionQueueUrl) : undefined;

  return {
    core: async (_fn: FunctionName, telemetry: Telemetry) => core(telemetry),
    full: async (_fn: FunctionName, telemetry: Telemetry): Promise<FullPorts> => {
      described ??= describeCluster(eks, clusterName).catch((error: unknown) => {
        described = undefined;
        throw error;
      });
      const { info, version } = await described;
      // Loaded on first use: the batcher never needs EC2, Kubernetes or the instance catalog.
      const [{ AwsCloud }, { createAwsClients, parseInstanceCatalogSource }, { eksTokenProvider }, { connectEksCluster }] = await Promise.all([
        import("../cloud/aws/aws-cloud.ts"),
        import("../cloud/aws/config.ts"),
        import("../cluster/kube/eks-token.ts"),
        import("../cluster/kube/eks.ts"),
      ]);
      tokens ??= eksTokenProvider({ clusterName, region, credentials: eks.config.credentials, clock: wallClock });
      cloud ??= new AwsCloud({
        clients: createAwsClients({ region }),
        config: { region, clusterName, cluster: info, kubernetesVersion: env["KUBERNETES_VERSION"] || version, instanceCatalog: parseInstanceCatalogSource(env["INSTANCE_CATALOG"]), priceRefreshMs: PRICE_REFRESH_MS },
        clock: wallClock,
        unavailable: store,
      });
      const cluster = await connectEksCluster({
        endpoint: async () => ({ server: info.endpoint, caData: info.certificateAuthority }),
        tokens,
        clock: wallClock,
      });
      return { ...core(telemetry), cloud, cluster, clusterState, ...(disruptionQueue ? { disruptionQueue } : {}) };
    },
  };
}
