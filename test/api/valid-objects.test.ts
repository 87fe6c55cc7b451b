import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseAllDocuments } from "yaml";
import { formatProblem } from "../../lib/errors.ts";
import { parseNodePool } from "../../lib/api/nodepool.ts";
import { parseEC2NodeClass, validateEC2NodeClass } from "../../lib/api/ec2nodeclass.ts";
import { parseNodeClaim, validateNodeClaim } from "../../lib/api/nodeclaim.ts";
import { ec2NodeClass, nodeClaim, nodePool } from "./samples.ts";

const HOUR = 3_600_000;
const docs = parseAllDocuments(readFileSync(new URL("./fixtures/karpenter-docs.yaml", import.meta.url), "utf8")).map((d) => d.toJS());

describe("a minimal NodePool gets Karpenter's defaults", () => {
  const np = parseNodePool(nodePool());

  it("expires nodes after 720h", () => expect(np.spec.template.spec.expireAfter).toBe(720 * HOUR));
  it("consolidates when empty or underutilized, immediately", () => {
    expect(np.spec.disruption).toEqual({ consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: 0, budgets: [{ nodes: "10%" }] });
  });
  it("has no limits, weight, taints, labels or grace period", () => {
    expect(np.spec.limits).toEqual({});
    expect(np.spec.weight).toBeUndefined();
    expect(np.spec.template.spec.taints).toEqual([]);
    expect(np.spec.template.spec.startupTaints).toEqual([]);
    expect(np.spec.template.metadata).toEqual({ labels: {}, annotations: {} });
    expect(np.spec.template.spec.terminationGracePeriod).toBeUndefined();
  });
  it("fills a budget's nodes with 10% when left out", () => {
    const doc = nodePool();
    doc.spec.disruption = { consolidateAfter: "0s", budgets: [{ reasons: ["Drifted"] }] };
    expect(parseNodePool(doc).spec.disruption.budgets).toEqual([{ nodes: "10%", reasons: ["Drifted"] }]);
  });
  it("reads Never as null", () => {
    const doc = nodePool();
    doc.spec.template.spec.expireAfter = "Never";
    doc.spec.disruption = { consolidateAfter: "Never", consolidationPolicy: "WhenEmpty" };
    const parsed = parseNodePool(doc);
    expect(parsed.spec.template.spec.expireAfter).toBeNull();
    expect(parsed.spec.disruption.consolidateAfter).toBeNull();
    expect(parsed.spec.disruption.consolidationPolicy).toBe("WhenEmpty");
  });
});

describe("the Karpenter documentation's NodePool", () => {
  const np = parseNodePool(docs[0]);

  it("keeps Gt/Gte/Lte requirements, minValues and Exists with minValues", () => {
    const reqs = np.spec.template.spec.requirements;
    expect(reqs).toHaveLength(11);
    expect(reqs[1]).toEqual({ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5", "m5d", "c5", "c5d", "c4", "r4"], minValues: 5 });
    expect(reqs.map((r) => r.operator)).toEqual(["In", "In", "In", "In", "Gt", "Gte", "Lte", "In", "In", "In", "Exists"]);
    expect(reqs[10]).toEqual({ key: "karpenter.k8s.aws/instance-family", operator: "Exists", minValues: 3 });
  });
  it("reads budgets with schedules, durations and reasons", () => {
    expect(np.spec.disruption.budgets).toEqual([
      { nodes: "20%", reasons: ["Empty", "Drifted"] },
      { nodes: "5" },
      { nodes: "0", schedule: "@daily", duration: 10 * 60_000, reasons: ["Underutilized"] },
      { nodes: "0", schedule: "0 9 * * mon-fri", duration: 8 * HOUR },
    ]);
    expect(np.spec.disruption.consolidateAfter).toBe(60_000);
  });
  it("keeps labels in allowed kubernetes.io subdomains, taints, limits and weight", () => {
    expect(np.spec.template.metadata.labels).toEqual({ "billing-team": "my-team", "node.kubernetes.io/role": "worker" });
    expect(np.spec.template.spec.taints).toEqual([{ key: "example.com/special-taint", effect: "NoSchedule" }]);
    expect(np.spec.template.spec.terminationGracePeriod).toBe(48 * HOUR);
    expect(np.spec.limits).toEqual({ cpu: "1000", memory: "1000Gi" });
    expect(np.spec.weight).toBe(10);
  });
  it("accepts a static NodePool with only a nodes limit", () => {
    const doc = nodePool();
    Object.assign(doc.spec, { replicas: 3, limits: { nodes: 5 } });
    expect(parseNodePool(doc).spec).toMatchObject({ replicas: 3, limits: { nodes: "5" } });
  });
  it("accepts the beta arch/os/zone keys, reserved capacity and the AWS well-known keys", () => {
    const doc = nodePool();
    doc.spec.template.spec.requirements = [
      { key: "beta.kubernetes.io/arch", operator: "In", values: ["amd64"] },
      { key: "failure-domain.beta.kubernetes.io/zone", operator: "NotIn", values: ["us-east-1e"] },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["reserved", "on-demand"] },
      { key: "karpenter.k8s.aws/capacity-reservation-id", operator: "Exists" },
      { key: "topology.k8s.aws/zone-id", operator: "In", values: ["use1-az1"] },
      { key: "node.kubernetes.io/instance-type", operator: "NotIn", values: [] },
      { key: "kops.k8s.io/instancegroup", operator: "Exists" },
    ];
    expect(parseNodePool(doc).spec.template.spec.requirements).toHaveLength(7);
  });
});

describe("EC2NodeClass defaults and documentation example", () => {
  it("defaults metadataOptions and takes the AMI family from the alias", () => {
    const nc = parseEC2NodeClass(ec2NodeClass());
    expect(nc.spec.metadataOptions).toEqual({ httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" });
    expect(nc.spec.amiFamily).toBe("AL2023");
    expect(nc.spec.tags).toEqual({});
  });
  it("fills the metadataOptions fields left out", () => {
    const doc = ec2NodeClass();
    doc.spec.metadataOptions = { httpTokens: "optional" };
    expect(parseEC2NodeClass(doc).spec.metadataOptions).toEqual({ httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "optional" });
  });
  it.each([
    ["bottlerocket@v1.20.0", "Bottlerocket"],
    ["al2@latest", "AL2"],
    ["windows2025@latest", "Windows2025"],
  ])("alias %s means amiFamily %s", (alias, family) => {
    const doc = ec2NodeClass();
    doc.spec.amiSelectorTerms = [{ alias }];
    expect(parseEC2NodeClass(doc).spec.amiFamily).toBe(family);
  });
  it("keeps an explicit Custom family beside an alias, and a family with tag-selected AMIs", () => {
    const custom = ec2NodeClass();
    custom.spec.amiFamily = "Custom";
    expect(parseEC2NodeClass(custom).spec.amiFamily).toBe("Custom");
    const tagged = ec2NodeClass();
    tagged.spec.amiFamily = "Bottlerocket";
    tagged.spec.amiSelectorTerms = [{ tags: { "karpenter.sh/discovery": "demo" } }, { name: "my-ami-*", owner: "self" }, { ssmParameter: "/my/ami" }];
    expect(parseEC2NodeClass(tagged).spec.amiFamily).toBe("Bottlerocket");
  });
  it("reads the documentation's EC2NodeClass with kubelet, block devices and tags", () => {
    const result = validateEC2NodeClass(docs[1]);
    expect(result.problems.map(formatProblem)).toEqual([]);
    const nc = result.value!;
    expect(nc.spec.kubelet).toMatchObject({ maxPods: 20, podsPerCore: 2, kubeReserved: { cpu: "200m" }, evictionHard: { "memory.available": "5%" } });
    expect(nc.spec.blockDeviceMappings?.[0]?.ebs).toMatchObject({ volumeSize: "100Gi", volumeType: "gp3", iops: 10000 });
    expect(nc.spec.metadataOptions.httpPutResponseHopLimit).toBe(2);
    expect(nc.spec.role).toBe("KarpenterNodeRole-${CLUSTER_NAME}");
    expect(nc.spec.userData).toBe('echo "Hello world"\n');
  });
  it("refuses kubelet settings Karpenter's CRD does not define, as kubectl's strict field validation does", () => {
    const doc = ec2NodeClass();
    doc.spec.kubelet = { shutdownGracePeriod: "30s", maxPods: 110 };
    expect(() => parseEC2NodeClass(doc)).toThrow(/spec\.kubelet\.shutdownGracePeriod: unknown field/);
    doc.spec.kubelet = { maxPods: 110 };
    expect(parseEC2NodeClass(doc).spec.kubelet).toEqual({ maxPods: 110 });
  });
  it("accepts an instance profile instead of a role", () => {
    const doc = ec2NodeClass();
    delete doc.spec.role;
    doc.spec.instanceProfile = "KarpenterNodeInstanceProfile";
    expect(parseEC2NodeClass(doc).spec.instanceProfile).toBe("KarpenterNodeInstanceProfile");
  });
});

describe("NodeClaim", () => {
  it("parses a NodeClaim as kubectl prints it, with status, defaults and the owning NodePool requirement", () => {
    const nc = parseNodeClaim(nodeClaim());
    expect(nc.spec.requirements[0]).toEqual({ key: "karpenter.sh/nodepool", operator: "In", values: ["default"] });
    expect(nc.spec.resources).toEqual({ requests: { cpu: "1500m", memory: "2Gi", pods: "3" } });
    expect(nc.spec.expireAfter).toBe(720 * HOUR);
    expect(nc.status?.providerID).toBe("aws:///us-east-1a/i-0123456789abcdef0");
    expect(nc.status?.capacity).toEqual({ cpu: "2", memory: "8Gi", pods: "29" });
  });
  it.each<[string, (doc: any) => void, string[]]>([
    ["hostname requirement", (d) => d.spec.requirements.push({ key: "kubernetes.io/hostname", operator: "In", values: ["x"] }), ['NodeClaim default-abc12: spec.requirements[2].key: label "kubernetes.io/hostname" is restricted']],
    ["bad request quantity", (d) => (d.spec.resources.requests.cpu = "1.5 cores"), ['NodeClaim default-abc12: spec.resources.requests.cpu: "1.5 cores" is not a quantity (like 100m, 4, 16Gi)']],
    ["no nodeClassRef", (d) => delete d.spec.nodeClassRef, ["NodeClaim default-abc12: spec.nodeClassRef: is required"]],
    ["bad capacity in status", (d) => (d.status.capacity.memory = "eight gigs"), ['NodeClaim default-abc12: status.capacity.memory: "eight gigs" is not a quantity (like 100m, 4, 16Gi)']],
    ["unknown spec field", (d) => (d.spec.kubelet = {}), ["NodeClaim default-abc12: spec.kubelet: unknown field (expected one of nodeClassRef, requirements, taints, startupTaints, resources, expireAfter, terminationGracePeriod)"]],
    ["wrong kind", (d) => (d.kind = "Machine"), ['NodeClaim default-abc12: kind: "Machine" must be NodeClaim']],
    ["Gt with a word", (d) => d.spec.requirements.push({ key: "karpenter.k8s.aws/instance-cpu", operator: "Gt", values: ["four"] }), ["NodeClaim default-abc12: spec.requirements[2].values: operator Gt must have a single non-negative integer value"]],
  ])("rejects a NodeClaim with a %s", (_name, mutate, expected) => {
    const doc = nodeClaim();
    mutate(doc);
    expect(validateNodeClaim(doc).problems.map(formatProblem)).toEqual(expected);
  });
});

describe("YAML quirks", () => {
  it("treats an unquoted budget count as the integer it is, and refuses it as the API server does", () => {
    const doc = parse(`apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  disruption:
    budgets: [{nodes: 5}]
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements: []`);
    expect(() => parseNodePool(doc)).toThrow('NodePool default: spec.disruption.budgets[0].nodes: must be a string; quote it: "5"');
  });

  it("reads an empty YAML field (null) as not set, as the API server does", () => {
    const doc = parse(`apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  disruption:
  limits:
  template:
    metadata:
      labels:
    spec:
      taints:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements: []`);
    const np = parseNodePool(doc);
    expect(np.spec.template.metadata.labels).toEqual({});
    expect(np.spec.template.spec.taints).toEqual([]);
    expect(np.spec.disruption.budgets).toEqual([{ nodes: "10%" }]);
  });

  it("still requires requirements written as an empty field", () => {
    const doc = nodePool();
    doc.spec.template.spec.requirements = null;
    expect(() => parseNodePool(doc)).toThrow("NodePool default: spec.template.spec.requirements: is required (use [] for none)");
  });
});
