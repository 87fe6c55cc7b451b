import type { EC2NodeClass, EC2NodeClassSpec } from "../../../../lib/api/types.ts";

export const MI = 1024 ** 2;
export const GI = 1024 ** 3;

/** A minimal parsed EC2NodeClass with the given spec fields. */
export function nodeClass(spec: Partial<EC2NodeClassSpec> = {}, name = "test"): EC2NodeClass {
  return {
    apiVersion: "karpenter.k8s.aws/v1",
    kind: "EC2NodeClass",
    metadata: { name },
    spec: {
      subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "c" } }],
      securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": "c" } }],
      amiSelectorTerms: [{ alias: "al2023@latest" }],
      tags: {},
      metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
      ...spec,
    },
  };
}
