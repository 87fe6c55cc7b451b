/**
 * An AwsCloud for aws-sdk-client-mock tests: the mocks intercept every client of a class, so the
 * clients only need a region and dummy credentials; the cluster facts are fixed test values.
 */
import { AwsCloud } from "../../lib/cloud/aws/aws-cloud.ts";
import { type AwsCloudConfig, createAwsClients } from "../../lib/cloud/aws/config.ts";
import type { Clock } from "../../lib/ports/clock.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";

export const MOCKED_KUBERNETES_VERSION = "1.33";

/** The SSM parameter the al2023@latest alias reads for x86_64 at MOCKED_KUBERNETES_VERSION. */
export const AL2023_X86_PARAMETER = `/aws/service/eks/optimized-ami/${MOCKED_KUBERNETES_VERSION}/amazon-linux-2023/x86_64/standard/recommended/image_id`;

/** An AwsCloud in us-east-1 for `clusterName`, with an in-memory unavailable-offerings store. */
export function mockedAwsCloud<C extends Clock>(clusterName: string, clock: C, config: Partial<AwsCloudConfig> = {}) {
  const unavailable = createMemoryStore();
  const cloud = new AwsCloud({
    clients: createAwsClients({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } }),
    config: {
      region: "us-east-1",
      clusterName,
      kubernetesVersion: MOCKED_KUBERNETES_VERSION,
      cluster: { endpoint: "https://k8s.example", certificateAuthority: "Q0E=", serviceCidr: "10.100.0.0/16" },
      ...config,
    },
    clock,
    unavailable,
  });
  return { cloud, clock, unavailable };
}
