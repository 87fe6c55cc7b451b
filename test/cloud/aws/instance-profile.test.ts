/** Instance profiles from an EC2NodeClass role: the pure rules, and the IAM calls against moto. */
import { DescribeLaunchTemplateVersionsCommand, DescribeLaunchTemplatesCommand } from "@aws-sdk/client-ec2";
import { CreateInstanceProfileCommand, ListInstanceProfilesCommand } from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import {
  instanceProfileName,
  InstanceProfiles,
  orphanedProfiles,
  profileChange,
  roleNameOf,
} from "../../../lib/cloud/aws/instance-profile.ts";
import { useMoto } from "../../support/moto.ts";
import { CLUSTER, launchRequest } from "../../support/cloud.ts";
import { nodeClass } from "../../support/builders.ts";
import { buildAccount, motoCloud, readInstanceProfile } from "../../support/moto-env.ts";

const scope = { clusterName: CLUSTER, region: "us-east-1" };

describe("instance profile rules", () => {
  it("names a profile per cluster, region and NodeClass, within IAM's 128 characters", () => {
    const name = instanceProfileName(scope, "default");
    expect(name).toBe(instanceProfileName(scope, "default"));
    expect(name).not.toBe(instanceProfileName(scope, "gpu"));
    expect(name).not.toBe(instanceProfileName({ ...scope, region: "eu-west-1" }, "default"));
    expect(name).not.toBe(instanceProfileName({ ...scope, clusterName: "other" }, "default"));
    expect(instanceProfileName({ ...scope, clusterName: "c".repeat(100) }, "x".repeat(253)).length).toBeLessThanOrEqual(128);
  });

  it("replaces a different role, keeps the same one, and adds only missing or changed tags", () => {
    expect(profileChange({ roles: ["old"], tags: { a: "1", b: "x" } }, "new", { a: "1", b: "2", c: "3" })).toEqual({ remove: ["old"], add: true, tags: { b: "2", c: "3" } });
    expect(profileChange({ roles: ["same"], tags: { a: "1" } }, "same", { a: "1" })).toEqual({ remove: [], add: false, tags: {} });
  });

  it("takes the role name from a role ARN", () => {
    expect(roleNameOf("arn:aws:iam::111122223333:role/nodes/KarpenterNodeRole-x")).toBe("KarpenterNodeRole-x");
    expect(roleNameOf("KarpenterNodeRole-x")).toBe("KarpenterNodeRole-x");
  });

  it("treats as orphaned only this cluster's profiles under its path whose NodeClass is not kept", () => {
    const path = `/tenon/us-east-1/${CLUSTER}/`;
    const mine = (n: string) => ({ name: instanceProfileName(scope, n), path });
    const existing = [mine("kept"), mine("gone"), { name: "hand-made", path: "/" }, { name: instanceProfileName(scope, "elsewhere"), path: "/other/" }];
    expect(orphanedProfiles(scope, existing, new Set(["kept"]))).toEqual([mine("gone").name]);
  });
});

const moto = useMoto();

describe("instance profiles on moto", () => {
  it("is idempotent across functions: a second adapter finds the profile the first made; one profile, one role", async () => {
    const account = await buildAccount(moto().endpoint);
    const nc = nodeClass({ instanceProfile: undefined, role: account.roles[0] });
    const first = await motoCloud(account).cloud.resolveNodeClass(nc);
    const second = await motoCloud(account).cloud.resolveNodeClass(nc);
    expect(second.instanceProfile).toBe(first.instanceProfile);
    expect(second.ready).toBe(true);
    const listed = (await account.clients.iam.send(new ListInstanceProfilesCommand({}))).InstanceProfiles ?? [];
    expect(listed.map((p) => p.InstanceProfileName)).toEqual([first.instanceProfile]);
    expect((await readInstanceProfile(account.clients, first.instanceProfile!))?.roles).toEqual([account.roles[0]]);
  });

  it("takes over a profile that exists without role or tags (a crash between create and add)", async () => {
    const account = await buildAccount(moto().endpoint);
    const name = instanceProfileName(scope, "default");
    await account.clients.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Path: `/tenon/us-east-1/${CLUSTER}/` }));
    const profiles = new InstanceProfiles(account.clients.iam, scope);
    expect(await profiles.ensure("default", `arn:aws:iam::123456789012:role/${account.roles[1]}`)).toBe(name);
    const profile = await readInstanceProfile(account.clients, name);
    expect(profile?.roles).toEqual([account.roles[1]]);
    expect(profile?.tags["tenon.sh/ec2nodeclass"]).toBe("default");
    expect(profile?.tags["tenon.sh/managed-by"]).toBe(CLUSTER);
  });

  it("launches from a role NodeClass with the profile it made in the launch template", async () => {
    const account = await buildAccount(moto().endpoint);
    const { cloud } = motoCloud(account);
    const nc = nodeClass({ instanceProfile: undefined, role: account.roles[0] });
    const types = (await cloud.instanceTypes(nc)).filter((t) => t.name === "m5.large");
    await cloud.create(launchRequest(nc, types));
    const template = (await account.clients.ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates![0]!;
    const version = (await account.clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template.LaunchTemplateId }))).LaunchTemplateVersions![0]!;
    expect(version.LaunchTemplateData?.IamInstanceProfile?.Name).toBe(instanceProfileName(scope, "default"));
  });
});
