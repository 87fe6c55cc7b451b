import { describe, expect, it } from "vitest";
import {
  LABEL_ARCH,
  LABEL_CAPACITY_TYPE,
  LABEL_HOSTNAME,
  LABEL_INSTANCE_TYPE,
  LABEL_NODEPOOL,
  LABEL_ZONE,
  LABEL_ZONE_ID,
  WELL_KNOWN_LABEL_KEYS,
  labelValueProblem,
  normalizeLabelKey,
  qualifiedNameProblem,
  restrictedLabelReason,
} from "../../lib/api/labels.ts";

describe("well-known labels", () => {
  it("include the Kubernetes, Karpenter and AWS keys a NodePool or pod may narrow, but not the hostname", () => {
    for (const key of [LABEL_ARCH, LABEL_ZONE, LABEL_INSTANCE_TYPE, LABEL_CAPACITY_TYPE, LABEL_NODEPOOL, LABEL_ZONE_ID, "karpenter.k8s.aws/instance-family", "karpenter.k8s.aws/capacity-reservation-id"]) {
      expect(WELL_KNOWN_LABEL_KEYS.has(key)).toBe(true);
    }
    expect(WELL_KNOWN_LABEL_KEYS.has(LABEL_HOSTNAME)).toBe(false);
  });
  it("every well-known key may be used in NodePool requirements, except the NodePool key itself", () => {
    for (const key of WELL_KNOWN_LABEL_KEYS) {
      expect(restrictedLabelReason(key, "requirement")).toBe(key === LABEL_NODEPOOL ? 'label "karpenter.sh/nodepool" is restricted' : undefined);
      expect(restrictedLabelReason(key, "nodeclaim-requirement")).toBeUndefined();
    }
  });
});

describe("aliases", () => {
  it.each([
    ["beta.kubernetes.io/arch", "kubernetes.io/arch"],
    ["beta.kubernetes.io/os", "kubernetes.io/os"],
    ["beta.kubernetes.io/instance-type", "node.kubernetes.io/instance-type"],
    ["failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/zone"],
    ["failure-domain.beta.kubernetes.io/region", "topology.kubernetes.io/region"],
    ["topology.ebs.csi.aws.com/zone", "topology.kubernetes.io/zone"],
    ["example.com/team", "example.com/team"],
    ["toString", "toString"],
    ["constructor", "constructor"],
  ])("%s -> %s", (from, to) => expect(normalizeLabelKey(from)).toBe(to));
});

describe("restricted keys", () => {
  it.each([
    ["kubernetes.io/hostname", "label", 'label "kubernetes.io/hostname" is restricted'],
    ["karpenter.sh/nodepool", "label", 'label "karpenter.sh/nodepool" is restricted'],
    ["karpenter.sh/capacity-type", "label", undefined],
    ["karpenter.sh/registered", "label", 'label domain "karpenter.sh" is restricted'],
    ["karpenter.k8s.aws/ec2nodeclass", "requirement", undefined],
    ["karpenter.k8s.aws/anything", "requirement", 'label domain "karpenter.k8s.aws" is restricted'],
    ["node.kubernetes.io/role", "label", undefined],
    ["node-restriction.kubernetes.io/team", "label", undefined],
    // Open since Karpenter 1.9, apart from the hostname key.
    ["kubernetes.io/role", "label", undefined],
    ["team.kubernetes.io/x", "requirement", undefined],
    ["k8s.io/x", "requirement", undefined],
    ["kops.k8s.io/instancegroup", "label", undefined],
    ["cluster.k8s.io/x", "label", undefined],
    ["topology.k8s.aws/zone-id", "label", undefined],
    ["example.com/team", "requirement", undefined],
    ["team", "requirement", undefined],
  ] as const)("%s in a %s", (key, where, reason) => expect(restrictedLabelReason(key, where)).toBe(reason));
});

describe("label syntax", () => {
  it.each(["a", "example.com/team", "a-b_c.d", `${"a".repeat(63)}`, `${"b".repeat(253)}/x`])("%s is a qualified name", (key) => expect(qualifiedNameProblem(key)).toBeUndefined());
  it.each([
    ["", "the name part is empty"],
    ["a/b/c", 'at most one "/"'],
    ["/x", "the prefix before \"/\" is empty"],
    ["Example.com/x", "lowercase DNS subdomain"],
    [`${"a".repeat(64)}`, "longer than 63"],
    [`${"b".repeat(254)}/x`, "longer than 253"],
    ["-a", "starting and ending with an alphanumeric"],
  ])("%j is not a qualified name (%s)", (key, reason) => expect(qualifiedNameProblem(key)).toContain(reason));
  it("label values may be empty, at most 63 characters, alphanumeric at both ends", () => {
    expect(labelValueProblem("")).toBeUndefined();
    expect(labelValueProblem("m5.large")).toBeUndefined();
    expect(labelValueProblem("x".repeat(64))).toContain("longer than 63");
    expect(labelValueProblem("a b")).toContain("not a valid label value");
    expect(labelValueProblem("a-")).toContain("not a valid label value");
  });
});
