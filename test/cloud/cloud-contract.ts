/**
 * The behaviour every Cloud adapter must show. Run against the simulated cloud (simulated.test.ts)
 * and the EC2 adapter on moto (aws-moto.test.ts), so the two can't drift apart.
 */
import { describe, expect, it } from "vitest";
import type { EC2NodeClass } from "../../lib/api/types.ts";
import { collectGarbage } from "../../lib/lifecycle/gc.ts";
import type { InstanceType } from "../../lib/ports/instance-type.ts";
import { NodeClassNotReadyError, type Cloud } from "../../lib/ports/cloud.ts";
import { CLUSTER, launchRequest } from "../support/cloud.ts";
import { nodeClass } from "../support/builders.ts";

export interface ContractEnv {
  cloud: Cloud;
  /** A NodeClass whose selectors match the environment's subnets, security groups and AL2023 images. */
  nodeClass: EC2NodeClass;
  /** Zones the environment has subnets in. */
  zones: string[];
  /** Current time on the clock the adapter uses. */
  nowMs(): number;
  /** Puts an instance tagged as Tenon tags them, with no NodeClaim, into the account; returns its id. */
  leakInstance(): Promise<string>;
  /** Puts an instance tagged as Karpenter tags its own (no Tenon ownership tag) into the account; returns its id. */
  karpenterInstance(): Promise<string>;
  /** Two IAM roles that exist in the account. */
  roles: [string, string];
  /** An instance profile as the account holds it; undefined when there is none by that name. */
  instanceProfile(name: string): Promise<{ path: string; roles: string[]; tags: Record<string, string> } | undefined>;
  /** Puts an instance profile into the account as someone other than Tenon made it. */
  putInstanceProfile(name: string, path: string, tags: Record<string, string>): Promise<void>;
  /** The adapter's clean-up of instance profiles whose NodeClass is gone. */
  cleanupInstanceProfiles(keep: ReadonlySet<string>): Promise<string[]>;
}

const SMALL_TYPES = new Set(["m5.large", "c5.large", "m6i.large"]);

async function smallTypes(env: ContractEnv): Promise<InstanceType[]> {
  const types = (await env.cloud.instanceTypes(env.nodeClass)).filter((t) => SMALL_TYPES.has(t.name));
  expect(types.map((t) => t.name).sort()).toEqual([...SMALL_TYPES].sort());
  return types;
}

export function describeCloudContract(name: string, setup: () => Promise<ContractEnv>): void {
  describe(`Cloud contract: ${name}`, () => {
    it("resolves a NodeClass's subnets, security groups and images and reports it Ready", async () => {
      const env = await setup();
      const resolved = await env.cloud.resolveNodeClass(env.nodeClass);
      expect(resolved.ready).toBe(true);
      expect(new Set(resolved.subnets.map((s) => s.zone))).toEqual(new Set(env.zones));
      expect(resolved.securityGroups.length).toBeGreaterThan(0);
      expect(resolved.amis.some((a) => a.requirements.some((r) => r.key === "kubernetes.io/arch" && r.values?.includes("amd64")))).toBe(true);
      expect(resolved.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    });

    it("reports a NodeClass whose subnet selector matches nothing as not ready, naming SubnetsReady", async () => {
      const env = await setup();
      const nc = nodeClass({ ...env.nodeClass.spec, subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "no-such-cluster" } }] }, "empty");
      const resolved = await env.cloud.resolveNodeClass(nc);
      expect(resolved.ready).toBe(false);
      const subnets = resolved.conditions.find((c) => c.type === "SubnetsReady");
      expect(subnets?.status).toBe("False");
      expect(subnets?.reason).toBe("SubnetsNotFound");
      expect(resolved.conditions.find((c) => c.type === "Ready")?.message).toContain("SubnetsReady");
    });

    it("reports a NodeClass whose user data can't be built as not ready, naming ValidationSucceeded", async () => {
      const env = await setup();
      const badToml = await env.cloud.resolveNodeClass(nodeClass({ ...env.nodeClass.spec, amiFamily: "Bottlerocket", userData: "[settings\nx = 1" }, "badtoml"));
      expect(badToml.ready).toBe(false);
      expect(badToml.conditions.find((c) => c.type === "ValidationSucceeded")).toMatchObject({ status: "False", message: expect.stringContaining("spec.userData: not valid Bottlerocket TOML") });
      const al2 = await env.cloud.resolveNodeClass(nodeClass({ ...env.nodeClass.spec, amiFamily: "AL2" }, "al2"));
      expect(al2.conditions.find((c) => c.type === "ValidationSucceeded")?.message).toContain("amiFamily AL2 is not supported");
    });

    it("makes an instance profile for a NodeClass role: named for the NodeClass, under the cluster's path, tagged, holding the role", async () => {
      const env = await setup();
      const nc = nodeClass({ ...env.nodeClass.spec, instanceProfile: undefined, role: env.roles[0] }, "withrole");
      const resolved = await env.cloud.resolveNodeClass(nc);
      expect(resolved.ready).toBe(true);
      expect(resolved.conditions.find((c) => c.type === "InstanceProfileReady")?.status).toBe("True");
      expect(resolved.instanceProfile).toMatch(new RegExp(`^${CLUSTER}_[0-9a-f]{16}$`));
      const profile = await env.instanceProfile(resolved.instanceProfile!);
      expect(profile).toEqual({
        path: `/tenon/us-east-1/${CLUSTER}/`,
        roles: [env.roles[0]],
        tags: {
          [`kubernetes.io/cluster/${CLUSTER}`]: "owned",
          "tenon.sh/managed-by": CLUSTER,
          "eks:eks-cluster-name": CLUSTER,
          "tenon.sh/ec2nodeclass": "withrole",
          "topology.kubernetes.io/region": "us-east-1",
        },
      });
      const other = await env.cloud.resolveNodeClass(nodeClass({ ...nc.spec }, "another"));
      expect(other.instanceProfile).not.toBe(resolved.instanceProfile);
    });

    it("keeps one profile per NodeClass when its role changes: the new role replaces the old, also when changed back", async () => {
      const env = await setup();
      const first = await env.cloud.resolveNodeClass(nodeClass({ ...env.nodeClass.spec, instanceProfile: undefined, role: env.roles[0] }, "rolechange"));
      const second = await env.cloud.resolveNodeClass(nodeClass({ ...env.nodeClass.spec, instanceProfile: undefined, role: env.roles[1] }, "rolechange"));
      expect(second.instanceProfile).toBe(first.instanceProfile);
      expect(second.ready).toBe(true);
      expect((await env.instanceProfile(second.instanceProfile!))?.roles).toEqual([env.roles[1]]);
      // Back again at once: no cached answer may skip putting the first role back.
      await env.cloud.resolveNodeClass(nodeClass({ ...env.nodeClass.spec, instanceProfile: undefined, role: env.roles[0] }, "rolechange"));
      expect((await env.instanceProfile(second.instanceProfile!))?.roles).toEqual([env.roles[0]]);
    });

    it("reports a NodeClass whose role does not exist as not ready, naming the role", async () => {
      const env = await setup();
      const resolved = await env.cloud.resolveNodeClass(nodeClass({ ...env.nodeClass.spec, instanceProfile: undefined, role: "no-such-role" }, "norole"));
      expect(resolved.ready).toBe(false);
      expect(resolved.instanceProfile).toBeUndefined();
      expect(resolved.conditions.find((c) => c.type === "InstanceProfileReady")).toMatchObject({ status: "False", reason: "InstanceProfileNotFound", message: expect.stringContaining('"no-such-role"') });
    });

    it("cleans up the instance profiles of NodeClasses that are gone and keeps the rest", async () => {
      const env = await setup();
      const spec = { ...env.nodeClass.spec, instanceProfile: undefined, role: env.roles[0] };
      const kept = (await env.cloud.resolveNodeClass(nodeClass(spec, "kept"))).instanceProfile!;
      const gone = (await env.cloud.resolveNodeClass(nodeClass(spec, "gone"))).instanceProfile!;
      expect(await env.cleanupInstanceProfiles(new Set(["kept", "never-had-one"]))).toEqual([gone]);
      expect(await env.instanceProfile(gone)).toBeUndefined();
      expect((await env.instanceProfile(kept))?.roles).toEqual([env.roles[0]]);
      expect(await env.cleanupInstanceProfiles(new Set(["kept"]))).toEqual([]);
    });

    it("cleans up only instance profiles that carry Tenon's ownership tag, even under its path", async () => {
      const env = await setup();
      const foreign = `${CLUSTER}_0000000000000000`;
      await env.putInstanceProfile(foreign, `/tenon/us-east-1/${CLUSTER}/`, { "eks:eks-cluster-name": CLUSTER, [`kubernetes.io/cluster/${CLUSTER}`]: "owned" });
      expect(await env.cleanupInstanceProfiles(new Set())).toEqual([]);
      expect(await env.instanceProfile(foreign)).toBeDefined();
    });

    it("launches nothing from a NodeClass that is not ready", async () => {
      const env = await setup();
      const types = await smallTypes(env);
      const nc = nodeClass({ ...env.nodeClass.spec, securityGroupSelectorTerms: [{ id: "sg-00000000000000000" }] }, "nosg");
      await expect(env.cloud.create(launchRequest(nc, types))).rejects.toBeInstanceOf(NodeClassNotReadyError);
      expect(await env.cloud.list()).toEqual([]);
    });

    it("launches one instance for a NodeClaim, tagged for the cluster, with an aws:/// provider id", async () => {
      const env = await setup();
      const types = await smallTypes(env);
      const instance = await env.cloud.create(launchRequest(env.nodeClass, types));
      expect(instance.providerId).toBe(`aws:///${instance.zone}/${instance.instanceId}`);
      expect(instance.instanceId).toMatch(/^i-[0-9a-f]+$/);
      expect(SMALL_TYPES.has(instance.instanceType)).toBe(true);
      expect(env.zones).toContain(instance.zone);
      expect(instance.capacityType).toBe("on-demand");
      expect(instance.imageId).toMatch(/^ami-/);
      expect(instance.tags).toMatchObject({
        "karpenter.sh/nodeclaim": "default-abc12",
        "karpenter.sh/nodepool": "default",
        "tenon.sh/ec2nodeclass": env.nodeClass.metadata.name,
        "tenon.sh/managed-by": CLUSTER,
        "eks:eks-cluster-name": CLUSTER,
        [`kubernetes.io/cluster/${CLUSTER}`]: "owned",
        team: "platform",
      });
      expect(instance.nodeClaimName).toBe("default-abc12");
      // Karpenter lists its instances by these three keys together: one of Tenon's must never match.
      expect("karpenter.k8s.aws/ec2nodeclass" in instance.tags).toBe(false);
    });

    it("does not let NodeClass tags override the ownership tags", async () => {
      const env = await setup();
      const types = await smallTypes(env);
      const nc = nodeClass({ ...env.nodeClass.spec, tags: { "karpenter.sh/nodepool": "hijack", "eks:eks-cluster-name": "other", "tenon.sh/managed-by": "other", env: "prod" } });
      const instance = await env.cloud.create(launchRequest(nc, types));
      expect(instance.tags["karpenter.sh/nodepool"]).toBe("default");
      expect(instance.tags["tenon.sh/managed-by"]).toBe(CLUSTER);
      expect(instance.tags["eks:eks-cluster-name"]).toBe(CLUSTER);
      expect(instance.tags.env).toBe("prod");
    });

    it("returns the same instance when the same NodeClaim is launched again", async () => {
      const env = await setup();
      const types = await smallTypes(env);
      const first = await env.cloud.create(launchRequest(env.nodeClass, types));
      const second = await env.cloud.create(launchRequest(env.nodeClass, types));
      expect(second.instanceId).toBe(first.instanceId);
      expect((await env.cloud.list()).map((i) => i.instanceId)).toEqual([first.instanceId]);
    });

    it("lists the cluster's instances and gets one by id", async () => {
      const env = await setup();
      const types = await smallTypes(env);
      const a = await env.cloud.create(launchRequest(env.nodeClass, types, { nodeClaimName: "default-aaaaa", nodeClaimUid: "u-a" }));
      const b = await env.cloud.create(launchRequest(env.nodeClass, types, { nodeClaimName: "default-bbbbb", nodeClaimUid: "u-b" }));
      const listed = await env.cloud.list();
      expect(listed.map((i) => i.instanceId).sort()).toEqual([a.instanceId, b.instanceId].sort());
      expect((await env.cloud.get(a.instanceId))?.nodeClaimName).toBe("default-aaaaa");
    });

    it("terminates an instance, and treats deleting it again or deleting an unknown id as success", async () => {
      const env = await setup();
      const types = await smallTypes(env);
      const instance = await env.cloud.create(launchRequest(env.nodeClass, types));
      await env.cloud.delete(instance.instanceId);
      const after = await env.cloud.get(instance.instanceId);
      expect(after === undefined || after.state === "shutting-down" || after.state === "terminated").toBe(true);
      await env.cloud.delete(instance.instanceId);
      await env.cloud.delete("i-0123456789abcdef0");
    });

    it("garbage-collects an instance that has no NodeClaim and keeps the one that has", async () => {
      const env = await setup();
      const types = await smallTypes(env);
      const owned = await env.cloud.create(launchRequest(env.nodeClass, types));
      const leaked = await env.leakInstance();
      const decision = await collectGarbage(env.cloud, [{ name: "default-abc12", providerId: owned.providerId }], env.nowMs() + 60_000);
      expect(decision.terminate.map((i) => i.instanceId)).toEqual([leaked]);
      const live = (await env.cloud.list()).filter((i) => i.state === "pending" || i.state === "running").map((i) => i.instanceId);
      expect(live).toEqual([owned.instanceId]);
    });

    it("never lists or collects an instance Karpenter launched for the same cluster", async () => {
      const env = await setup();
      const types = await smallTypes(env);
      const owned = await env.cloud.create(launchRequest(env.nodeClass, types));
      const karpenters = await env.karpenterInstance();
      expect((await env.cloud.list()).map((i) => i.instanceId)).toEqual([owned.instanceId]);
      const decision = await collectGarbage(env.cloud, [{ name: "default-abc12", providerId: owned.providerId }], env.nowMs() + 60_000);
      expect(decision.terminate).toEqual([]);
      expect((await env.cloud.get(karpenters))?.state).toMatch(/^(pending|running)$/);
    });

    it("reports NodeClaims whose instance is gone", async () => {
      const env = await setup();
      const types = await smallTypes(env);
      const instance = await env.cloud.create(launchRequest(env.nodeClass, types));
      const decision = await collectGarbage(env.cloud, [
        { name: "default-abc12", providerId: instance.providerId },
        { name: "default-gone1", providerId: `aws:///${env.zones[0]}/i-0aaaaaaaaaaaaaaaa` },
      ], env.nowMs() + 60_000);
      expect(decision.vanishedNodeClaims).toEqual(["default-gone1"]);
      expect(decision.terminate).toEqual([]);
    });
  });
}
