import { describe, expect, it } from "vitest";
import { decideGarbageCollection } from "../../../lib/lifecycle/gc.ts";
import { defaultBlockDeviceMappings, launchTemplateData, launchTemplateName, templatesToDelete, toEc2BlockDeviceMappings, volumeSizeGiB } from "../../../lib/cloud/aws/launch/template.ts";
import { isRestrictedTagKey, launchedResourceTags, launchTags } from "../../../lib/cloud/aws/tags.ts";
import type { CloudInstance } from "../../../lib/ports/cloud.ts";
import { nodeClass } from "../../support/builders.ts";

function instance(id: string, launchTimeMs: number, extra: Partial<CloudInstance> = {}): CloudInstance {
  return { providerId: `aws:///z/${id}`, instanceId: id, instanceType: "m5.large", zone: "z", capacityType: "on-demand", imageId: "ami", launchTimeMs, state: "running", tags: {}, ...extra };
}

describe("garbage collection decision", () => {
  const now = 1_000_000;
  it("terminates unowned instances older than the grace period, and only those", () => {
    const d = decideGarbageCollection({
      instances: [
        instance("i-owned", 0),
        instance("i-leak", now - 30_000),
        instance("i-young", now - 29_999),
        instance("i-named", 0, { nodeClaimName: "np-b" }),
        instance("i-going", 0, { state: "shutting-down" }),
      ],
      nodeClaims: [{ name: "np-a", providerId: "aws:///z/i-owned" }, { name: "np-b" }],
      nowMs: now,
    });
    expect(d.terminate.map((i) => i.instanceId)).toEqual(["i-leak"]);
  });

  it("collects a duplicate launched for a live NodeClaim whose record points at another instance, once past the grace period", () => {
    const d = decideGarbageCollection({
      instances: [
        instance("i-first", 0, { nodeClaimName: "np-a" }),
        instance("i-dup", now - 30_000, { nodeClaimName: "np-a" }),
        instance("i-dup-young", now - 29_999, { nodeClaimName: "np-a" }),
        // A record with no instance yet: its launch may be writing this one now.
        instance("i-launching", 0, { nodeClaimName: "np-b" }),
      ],
      nodeClaims: [{ name: "np-a", providerId: "aws:///z/i-first" }, { name: "np-b" }],
      nowMs: now,
    });
    expect(d.terminate.map((i) => i.instanceId)).toEqual(["i-dup"]);
  });

  it("never terminates an instance whose Node is Ready, leaked or duplicate: it is spared, with the reason", () => {
    const d = decideGarbageCollection({
      instances: [instance("i-first", 0, { nodeClaimName: "np-a" }), instance("i-dup", 0, { nodeClaimName: "np-a" }), instance("i-leak", 0), instance("i-leak2", 0)],
      nodeClaims: [{ name: "np-a", providerId: "aws:///z/i-first" }],
      readyNodes: [{ name: "node-dup", providerId: "aws:///z/i-dup" }, { name: "node-leak", providerId: "aws:///z/i-leak" }],
      nowMs: now,
    });
    expect(d.terminate.map((i) => i.instanceId)).toEqual(["i-leak2"]);
    expect(d.spared.map((s) => [s.instance.instanceId, s.nodeName])).toEqual([["i-dup", "node-dup"], ["i-leak", "node-leak"]]);
    expect(d.spared[0]!.reason).toMatch(/duplicate: NodeClaim np-a points at i-first, but its Node node-dup is Ready/);
  });

  it("reports NodeClaims whose instance is not live, unless the record is younger than the grace period", () => {
    const d = decideGarbageCollection({
      instances: [instance("i-1", 0), instance("i-2", 0, { state: "terminated" })],
      nodeClaims: [
        { name: "a", providerId: "aws:///z/i-1" },
        { name: "b", providerId: "aws:///z/i-2" },
        { name: "c", providerId: "aws:///z/i-3", createdAtMs: now - 60_000 },
        { name: "d", providerId: "aws:///z/i-4", createdAtMs: now - 1_000 },
        { name: "e" },
      ],
      nowMs: now,
    });
    expect(d.vanishedNodeClaims).toEqual(["b", "c"]);
  });
});

describe("tags", () => {
  it("reserve the ownership keys", () => {
    for (const k of ["tenon.sh/managed-by", "tenon.sh/ec2nodeclass", "karpenter.sh/nodepool", "karpenter.sh/nodeclaim", "karpenter.k8s.aws/ec2nodeclass", "eks:eks-cluster-name", "kubernetes.io/cluster/x"]) expect(isRestrictedTagKey(k)).toBe(true);
    expect(isRestrictedTagKey("team")).toBe(false);
    expect(isRestrictedTagKey("aws:cloudformation:stack-name")).toBe(true);
    expect(launchTags({ clusterName: "c", nodePoolName: "p", nodeClaimName: "n", nodeClassName: "k", nodeClassTags: { "kubernetes.io/cluster/c": "shared" } })["kubernetes.io/cluster/c"]).toBe("owned");
  });

  it("on interfaces and Spot requests are the instance's tags without the NodeClaim, which a shared template cannot know", () => {
    const input = { clusterName: "c", nodePoolName: "p", nodeClassName: "k", nodeClassTags: { team: "a", "eks:eks-cluster-name": "other" } };
    const launched = launchedResourceTags(input);
    expect(launched).toEqual({ team: "a", "kubernetes.io/cluster/c": "owned", "tenon.sh/managed-by": "c", "karpenter.sh/nodepool": "p", "eks:eks-cluster-name": "c", "tenon.sh/ec2nodeclass": "k" });
    expect(launchTags({ ...input, nodeClaimName: "n" })).toEqual({ ...launched, "karpenter.sh/nodeclaim": "n" });
  });
});

describe("launch templates", () => {
  const launchedTags = { "eks:eks-cluster-name": "c1", "karpenter.sh/nodepool": "default" };
  const input = {
    nodeClass: nodeClass(),
    family: "AL2023" as const,
    imageId: "ami-1",
    userDataBase64: "dXNlcg==",
    instanceProfile: "prof",
    securityGroups: [{ id: "sg-2" }, { id: "sg-1" }],
    capacityType: "on-demand" as const,
    launchedResourceTags: launchedTags,
  };
  const tagList = [{ Key: "eks:eks-cluster-name", Value: "c1" }, { Key: "karpenter.sh/nodepool", Value: "default" }];

  it("carry image, profile, sorted security groups, IMDS settings and the family's default root volume", () => {
    expect(launchTemplateData(input)).toEqual({
      ImageId: "ami-1",
      UserData: "dXNlcg==",
      IamInstanceProfile: { Name: "prof" },
      BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { VolumeSize: 20, VolumeType: "gp3", Encrypted: true, DeleteOnTermination: true } }],
      MetadataOptions: { HttpEndpoint: "enabled", HttpProtocolIpv6: "disabled", HttpPutResponseHopLimit: 1, HttpTokens: "required", InstanceMetadataTags: "disabled" },
      Monitoring: { Enabled: false },
      SecurityGroupIds: ["sg-1", "sg-2"],
      TagSpecifications: [{ ResourceType: "network-interface", Tags: tagList }],
    });
  });

  it("tag the network interfaces a launch creates, and for Spot the Spot request too, so IAM can require the cluster tag on both", () => {
    expect(launchTemplateData({ ...input, capacityType: "spot" }).TagSpecifications).toEqual([
      { ResourceType: "network-interface", Tags: tagList },
      { ResourceType: "spot-instances-request", Tags: tagList },
    ]);
  });

  it("put security groups on the primary interface when a public IP choice is made", () => {
    const data = launchTemplateData({ ...input, nodeClass: nodeClass({ associatePublicIPAddress: false }) });
    expect(data.SecurityGroupIds).toBeUndefined();
    expect(data.NetworkInterfaces).toEqual([{ DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: ["sg-1", "sg-2"] }]);
  });

  it("convert volume sizes to whole GiB and give Bottlerocket its two volumes", () => {
    expect(volumeSizeGiB("100Gi")).toBe(100);
    expect(volumeSizeGiB("1.5Gi")).toBe(2);
    expect(volumeSizeGiB("100G")).toBe(94);
    expect(toEc2BlockDeviceMappings(defaultBlockDeviceMappings("Bottlerocket")).map((b) => [b.DeviceName, b.Ebs?.VolumeSize])).toEqual([["/dev/xvda", 4], ["/dev/xvdb", 20]]);
  });

  it("are named by a hash of their content: equal content, equal name", () => {
    const a = launchTemplateName("c1", launchTemplateData(input));
    expect(launchTemplateName("c1", launchTemplateData({ ...input, securityGroups: [{ id: "sg-1" }, { id: "sg-2" }] }))).toBe(a);
    expect(launchTemplateName("c1", launchTemplateData({ ...input, imageId: "ami-2" }))).not.toBe(a);
    expect(launchTemplateName("c2", launchTemplateData(input))).not.toBe(a);
    expect(a).toMatch(/^tenon\/c1\/[0-9a-f]{24}$/);
  });

  it("are deleted when unused and older than the grace period", () => {
    expect(templatesToDelete([{ name: "a", createdAtMs: 0 }, { name: "b", createdAtMs: 0 }, { name: "c", createdAtMs: 950 }], new Set(["a"]), 1000, 100)).toEqual(["b"]);
  });
});
