import { describe, expect, it } from "vitest";
import { aliasParameters, parseAmiAlias } from "../../../lib/cloud/aws/ami-alias.ts";
import { amiForType, selectNewestAmis } from "../../../lib/cloud/aws/ami-select.ts";
import { readinessConditions } from "../../../lib/cloud/aws/readiness.ts";
import { amiTermFilters, matchesTerm, selectorTermFilters, selectResources, type TaggedResource } from "../../../lib/cloud/aws/selectors.ts";
import type { ResolvedAmi } from "../../../lib/ports/cloud.ts";
import { fakeType } from "../../support/cloud.ts";

describe("selector terms", () => {
  it("turn into EC2 filters: id, group name, and tags with * as any value", () => {
    expect(selectorTermFilters("subnet", { id: "subnet-1", tags: { a: "*", b: "x" } })).toEqual([
      { Name: "subnet-id", Values: ["subnet-1"] }, { Name: "tag:a", Values: ["*"] }, { Name: "tag:b", Values: ["x"] },
    ]);
    expect(selectorTermFilters("security-group", { name: "nodes" })).toEqual([{ Name: "group-name", Values: ["nodes"] }]);
    expect(amiTermFilters({ name: "my-ami-*" })).toEqual({ filters: [{ Name: "name", Values: ["my-ami-*"] }], owners: ["self", "amazon"] });
    expect(amiTermFilters({ name: "x", owner: "123456789012" }).owners).toEqual(["123456789012"]);
  });

  it("match in memory the same way: fields ANDed, terms ORed, empty term matches nothing", () => {
    const subnets: TaggedResource[] = [
      { id: "s-1", tags: { team: "a", env: "prod" } },
      { id: "s-2", tags: { team: "b" } },
      { id: "s-3", tags: {} },
    ];
    expect(selectResources(subnets, [{ tags: { team: "*" } }]).map((s) => s.id)).toEqual(["s-1", "s-2"]);
    expect(selectResources(subnets, [{ tags: { team: "a", env: "prod" } }]).map((s) => s.id)).toEqual(["s-1"]);
    expect(selectResources(subnets, [{ tags: { team: "a", env: "dev" } }])).toEqual([]);
    expect(selectResources(subnets, [{ id: "s-3" }, { tags: { team: "b" } }]).map((s) => s.id)).toEqual(["s-2", "s-3"]);
    expect(matchesTerm(subnets[0]!, {})).toBe(false);
  });
});

describe("AMI aliases", () => {
  it("parse family and version, and reject what is not an alias", () => {
    expect(parseAmiAlias("al2023@latest")).toEqual({ family: "AL2023", version: "latest" });
    expect(parseAmiAlias("bottlerocket@v1.26.0")).toEqual({ family: "Bottlerocket", version: "v1.26.0" });
    expect(parseAmiAlias("ubuntu@latest")).toMatchObject({ error: expect.stringContaining('"ubuntu" is not one of') });
    expect(parseAmiAlias("windows2022@v1")).toMatchObject({ error: expect.stringContaining("only @latest") });
    expect(parseAmiAlias("al2023")).toMatchObject({ error: expect.stringContaining("family@version") });
  });

  it("read Bottlerocket parameters per architecture, with and without nvidia, version without the v", () => {
    const paths = aliasParameters({ family: "Bottlerocket", version: "v1.26.0" }, "1.33").map((p) => p.path);
    expect(paths).toEqual([
      "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/1.26.0/image_id",
      "/aws/service/bottlerocket/aws-k8s-1.33-nvidia/x86_64/1.26.0/image_id",
      "/aws/service/bottlerocket/aws-k8s-1.33/arm64/1.26.0/image_id",
      "/aws/service/bottlerocket/aws-k8s-1.33-nvidia/arm64/1.26.0/image_id",
    ]);
  });

  it("use the configured prefix in place of /aws/service", () => {
    expect(aliasParameters({ family: "AL2023", version: "latest" }, "1.31", "/test")[0]!.path).toBe("/test/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id");
  });
});

describe("AMI choice", () => {
  const arch = (a: string) => ({ key: "kubernetes.io/arch", operator: "In" as const, values: [a] });
  it("keeps the newest non-deprecated image per requirement set", () => {
    const amis: ResolvedAmi[] = [
      { id: "ami-old", requirements: [arch("amd64")], creationDate: "2026-01-01" },
      { id: "ami-new", requirements: [arch("amd64")], creationDate: "2026-06-01" },
      { id: "ami-newest-deprecated", requirements: [arch("amd64")], creationDate: "2026-09-01", deprecated: true },
      { id: "ami-arm-deprecated", requirements: [arch("arm64")], creationDate: "2026-02-01", deprecated: true },
    ];
    expect(selectNewestAmis(amis).map((a) => a.id)).toEqual(["ami-new", "ami-arm-deprecated"]);
  });

  it("gives each type the image whose requirements its labels satisfy", () => {
    const amis: ResolvedAmi[] = [
      { id: "ami-x86", requirements: [arch("amd64"), { key: "karpenter.k8s.aws/instance-gpu-count", operator: "DoesNotExist" }] },
      { id: "ami-arm", requirements: [arch("arm64")] },
      { id: "ami-gpu", requirements: [arch("amd64"), { key: "karpenter.k8s.aws/instance-gpu-count", operator: "Exists" }] },
    ];
    expect(amiForType(amis, fakeType("m5.large", [{ zone: "a" }]))?.id).toBe("ami-x86");
    expect(amiForType(amis, fakeType("m7g.large", [{ zone: "a" }], { "kubernetes.io/arch": "arm64" }))?.id).toBe("ami-arm");
    expect(amiForType(amis, fakeType("g5.xlarge", [{ zone: "a" }], { "karpenter.k8s.aws/instance-gpu-count": "1" }))?.id).toBe("ami-gpu");
  });
});

describe("readiness", () => {
  it("is Ready only when every part resolved, and says which part is missing and why", () => {
    const ok = readinessConditions({ subnets: [{ id: "s", zone: "z", availableIps: 1 }], securityGroups: [{ id: "sg" }], amis: [{ id: "ami", requirements: [] }], instanceProfile: "p", problems: {}, nowIso: "t" });
    expect(ok.ready).toBe(true);
    expect(ok.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(["SubnetsReady=True", "SecurityGroupsReady=True", "AMIsReady=True", "InstanceProfileReady=True", "ValidationSucceeded=True", "Ready=True"]);
    const bad = readinessConditions({ subnets: [], securityGroups: [{ id: "sg" }], amis: [], problems: { AMIsReady: "alias x: no parameter" }, nowIso: "t" });
    expect(bad.ready).toBe(false);
    expect(bad.conditions.find((c) => c.type === "AMIsReady")).toMatchObject({ status: "False", reason: "AMINotFound", message: "alias x: no parameter" });
    expect(bad.conditions.find((c) => c.type === "Ready")!.message).toBe(
      "SubnetsReady=False (SubnetSelector did not match any Subnets); AMIsReady=False (alias x: no parameter); InstanceProfileReady=False (no instance profile)",
    );
  });
});
