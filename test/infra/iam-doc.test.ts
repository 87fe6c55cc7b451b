/**
 * docs/iam.md and the stack's function policies come from the same statements (infra/policies.ts):
 * the page's JSON is exactly `documentedPolicy()`, and that policy says what the launch path does.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compactJson } from "../../infra/iam-doc.ts";
import { PROJECT_ROOT } from "../../infra/build-app.ts";
import { ALL_FUNCTIONS } from "../../infra/config.ts";
import { FUNCTION_SPECS } from "../../infra/function-specs.ts";
import { documentedPolicy, type StatementJson } from "../../infra/policies.ts";
import { resourcesOfType, synthTemplate } from "./support.ts";

const page = readFileSync(path.join(PROJECT_ROOT, "docs", "iam.md"), "utf8");
const jsonBlocks = [...page.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
const policy = documentedPolicy();
const bySid = new Map(policy.Statement.map((s) => [s.Sid, s]));
const statement = (sid: string): StatementJson => {
  const s = bySid.get(sid);
  if (!s) throw new Error(`no statement ${sid}`);
  return s;
};
const resourceTypes = (s: StatementJson) => s.Resource.map((r) => r.replace(/^arn:aws:ec2:\$\{Region\}:(\$\{AccountId\}|\*)?:/, "").replace(/\/\*$/, ""));
const OWNED = { "aws:ResourceTag/tenon.sh/managed-by": "${ClusterName}" };

describe("docs/iam.md", () => {
  it("shows exactly the policy infra/policies.ts builds (regenerate with `npx tsx infra/iam-doc.ts`)", () => {
    expect(jsonBlocks).toHaveLength(1);
    expect(JSON.parse(jsonBlocks[0]!), `expected:\n${compactJson(policy)}`).toEqual(policy);
  });
});

describe("docs/iam.md's state-table section", () => {
  it("lists each function's item types exactly as infra/function-specs.ts gives them", () => {
    const section = page.slice(page.indexOf("## The state table, per function"));
    const rows = [...section.matchAll(/^\| ([a-z, ]+) \| ([A-Z0-9, ]+) \| ([A-Z0-9, ]*) \|$/gm)];
    const documented: Record<string, { read: string[]; write: string[] }> = {};
    const types = (cell: string) => cell.split(",").map((t) => t.trim()).filter((t) => t !== "");
    for (const [, names, read, write] of rows) for (const name of names!.split(",")) documented[name.trim()] = { read: types(read!), write: types(write!) };
    expect(documented).toEqual(Object.fromEntries(ALL_FUNCTIONS.map((name) => [name, { read: [...FUNCTION_SPECS[name].table.read], write: [...FUNCTION_SPECS[name].table.write] }])));
  });
});

describe("the documented policy", () => {
  it("creates fleets, instances, volumes, interfaces, Spot requests and templates only with this cluster's tag in the request", () => {
    const create = statement("Ec2CreateClusterTaggedResources");
    expect(create.Action.sort()).toEqual(["ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:RunInstances"]);
    expect(resourceTypes(create).sort()).toEqual(["fleet", "instance", "launch-template", "network-interface", "spot-instances-request", "volume"]);
    expect(create.Condition).toEqual({ StringEquals: { "aws:RequestTag/tenon.sh/managed-by": "${ClusterName}" } });
    const tagOnCreate = statement("Ec2TagOnCreate");
    expect(resourceTypes(tagOnCreate)).toEqual(resourceTypes(create));
    expect(tagOnCreate.Condition?.["StringEquals"]?.["aws:RequestTag/tenon.sh/managed-by"]).toBe("${ClusterName}");
  });

  it("grants ec2:CreateTags only inside the calls that create resources: no tag on an existing instance", () => {
    const tagging = policy.Statement.filter((s) => s.Action.includes("ec2:CreateTags"));
    expect(tagging.map((s) => s.Sid)).toEqual(["Ec2TagOnCreate"]);
    expect(tagging[0]!.Condition?.["StringEquals"]?.["ec2:CreateAction"]).toEqual(["RunInstances", "CreateFleet", "CreateLaunchTemplate"]);
  });

  it("lets a launch use, without a tag, only resources it selects and never creates", () => {
    const untagged = policy.Statement.filter((s) => !s.Condition && s.Action.some((a) => a.startsWith("ec2:")));
    expect(untagged.map((s) => s.Sid)).toEqual(["Ec2LaunchUsingSelectedResources"]);
    expect(resourceTypes(untagged[0]!).sort()).toEqual(["capacity-reservation", "image", "security-group", "snapshot", "subnet"]);
  });

  it("lets a launch use subnets, security groups and capacity reservations another account shares (RAM)", () => {
    const shared = statement("Ec2LaunchUsingSelectedResources").Resource.filter((r) => /:(subnet|security-group|capacity-reservation)\//.test(r));
    expect(shared).toEqual(["subnet", "security-group", "capacity-reservation"].map((t) => `arn:aws:ec2:\${Region}:*:${t}/*`));
  });

  it("terminates only instances and deletes only templates that carry Tenon's ownership tag for this cluster", () => {
    expect(statement("Ec2TerminateTenonInstances").Condition).toEqual({ StringEquals: OWNED });
    expect(statement("Ec2DeleteTenonLaunchTemplates").Condition).toEqual({ StringEquals: OWNED });
    expect(statement("Ec2LaunchFromClusterTemplates").Condition).toEqual({ StringEquals: OWNED });
  });

  it("writes IAM only on instance profiles under this cluster's path, created with and changed under its tag", () => {
    const iamWrites = policy.Statement.filter((s) => s.Action.some((a) => a.startsWith("iam:") && !/^iam:(Get|List)/.test(a) && a !== "iam:PassRole"));
    expect(iamWrites.map((s) => s.Sid).sort()).toEqual(["CreateClusterInstanceProfiles", "DeleteOrphanedClusterInstanceProfiles", "ManageClusterInstanceProfiles"]);
    for (const s of iamWrites) {
      expect(s.Action.every((a) => a.endsWith("InstanceProfile"))).toBe(true);
      expect(s.Resource).toEqual(["arn:aws:iam::${AccountId}:instance-profile/tenon/${Region}/${ClusterName}/*"]);
    }
    expect(statement("CreateClusterInstanceProfiles").Condition).toEqual({ StringEquals: { "aws:RequestTag/tenon.sh/managed-by": "${ClusterName}" } });
    expect(statement("ManageClusterInstanceProfiles").Condition?.["StringEquals"]).toEqual(OWNED);
  });

  it("deletes instance profiles only under this cluster's path and only those tagged as its own and a NodeClass's", () => {
    const remove = statement("DeleteOrphanedClusterInstanceProfiles");
    expect(remove.Action.sort()).toEqual(["iam:DeleteInstanceProfile", "iam:RemoveRoleFromInstanceProfile"]);
    expect(remove.Condition).toEqual({
      StringEquals: { "aws:ResourceTag/kubernetes.io/cluster/${ClusterName}": "owned", ...OWNED },
      StringLike: { "aws:ResourceTag/tenon.sh/ec2nodeclass": "*" },
    });
    // The page lists the shared read statement once.
    expect(policy.Statement.filter((s) => s.Action.includes("iam:ListInstanceProfiles")).map((s) => s.Sid)).toEqual(["ReadInstanceProfiles"]);
  });

  it("reads any instance profile, as Karpenter does: IAM may check the read against the ARN without its path", () => {
    const read = statement("ReadInstanceProfiles");
    expect(read.Action.sort()).toEqual(["iam:GetInstanceProfile", "iam:ListInstanceProfiles"]);
    expect(read.Resource).toEqual(["arn:aws:iam::${AccountId}:instance-profile/*"]);
    expect(read.Condition).toBeUndefined();
  });

  it("is the union of the stack's function policies: every statement a function gets is documented with the same actions", () => {
    const { template } = synthTemplate({ functions: "batcher,provisioner,lifecycle,interruption,consolidator,drift" });
    const synthesized = Object.values(resourcesOfType(template, "AWS::IAM::Policy"))
      .flatMap((p) => (p.Properties?.["PolicyDocument"] as { Statement: Array<{ Sid?: string; Action: string | string[] }> }).Statement)
      // The table statements are per function and listed in their own section of the page.
      .filter((s) => s.Sid !== undefined && !s.Sid.startsWith("Table"));
    const sids = new Set(synthesized.map((s) => s.Sid!));
    expect([...sids].sort()).toEqual(policy.Statement.map((s) => s.Sid).sort());
    for (const s of synthesized) expect([s.Action].flat().sort(), s.Sid).toEqual([...statement(s.Sid!).Action].sort());
  });
});
