/** Minimal valid Karpenter objects that tests mutate into bad ones. */
export function nodePool(): any {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: "default" },
    spec: {
      template: {
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
          requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }],
        },
      },
    },
  };
}

export function ec2NodeClass(): any {
  return {
    apiVersion: "karpenter.k8s.aws/v1",
    kind: "EC2NodeClass",
    metadata: { name: "default" },
    spec: {
      role: "KarpenterNodeRole-demo",
      amiSelectorTerms: [{ alias: "al2023@latest" }],
      subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "demo" } }],
      securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": "demo" } }],
    },
  };
}

export function nodeClaim(): any {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    metadata: { name: "default-abc12" },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
      requirements: [
        { key: "karpenter.sh/nodepool", operator: "In", values: ["default"] },
        { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] },
      ],
      resources: { requests: { cpu: "1500m", memory: "2Gi", pods: 3 } },
    },
    status: { providerID: "aws:///us-east-1a/i-0123456789abcdef0", capacity: { cpu: "2", memory: "8Gi", pods: "29" } },
  };
}
