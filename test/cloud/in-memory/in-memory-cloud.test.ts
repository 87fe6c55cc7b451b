import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../lib/store/in-memory/memory-store.ts";
import { SimulatedCloud, type SimulatedCloudOptions } from "../../../lib/cloud/in-memory/in-memory-cloud.ts";
import { ClientTokens } from "../../../lib/cloud/in-memory/client-tokens.ts";
import { defaultNodeRole, defaultWorld } from "../../../lib/cloud/in-memory/world.ts";
import { InsufficientCapacityError } from "../../../lib/ports/cloud.ts";
import { describeCloudContract } from "../cloud-contract.ts";
import { CLUSTER, KARPENTER_INSTANCE_TAGS, launchRequest, ManualClock } from "../../support/cloud.ts";
import { nodeClass } from "../../support/builders.ts";

function simulated(options: Partial<SimulatedCloudOptions> = {}) {
  const clock = new ManualClock();
  const world = defaultWorld({ region: "us-east-1", clusterName: CLUSTER });
  const unavailable = createMemoryStore();
  const cloud = new SimulatedCloud({ clusterName: CLUSTER, world, clock, unavailable, ...options });
  return { cloud, clock, world, unavailable };
}

function addRole(world: ReturnType<typeof defaultWorld>, role: string): string {
  world.roles!.add(role);
  return role;
}

describeCloudContract("simulated", async () => {
  const { cloud, clock, world } = simulated();
  return {
    cloud,
    nodeClass: nodeClass(),
    zones: [...new Set(world.subnets.map((s) => s.zone))],
    nowMs: () => clock.now(),
    roles: [defaultNodeRole(CLUSTER), addRole(world, "other-node-role")],
    instanceProfile: async (name) => {
      const p = world.instanceProfiles?.get(name);
      return p && { path: p.path, roles: [...p.roles], tags: { ...p.tags } };
    },
    cleanupInstanceProfiles: (keep) => cloud.cleanupInstanceProfiles(keep),
    putInstanceProfile: async (name, path, tags) => {
      (world.instanceProfiles ??= new Map()).set(name, { name, path, roles: [], tags });
    },
    leakInstance: async () =>
      cloud.injectInstance({
        instanceType: "m5.large", zone: world.subnets[0]!.zone, capacityType: "on-demand", imageId: world.images[0]!.id,
        tags: { "karpenter.sh/nodepool": "default", "tenon.sh/ec2nodeclass": "default", "tenon.sh/managed-by": CLUSTER, "eks:eks-cluster-name": CLUSTER },
      }),
    karpenterInstance: async () =>
      cloud.injectInstance({
        instanceType: "m5.large", zone: world.subnets[0]!.zone, capacityType: "on-demand", imageId: world.images[0]!.id,
        tags: KARPENTER_INSTANCE_TAGS,
      }),
  };
});

describe("SimulatedCloud", () => {
  const small = async (cloud: SimulatedCloud) => (await cloud.instanceTypes(nodeClass())).filter((t) => ["m5.large", "c5.large"].includes(t.name));

  it("boots an instance after the boot delay on the injected clock", async () => {
    const { cloud, clock } = simulated({ bootDelayMs: 40_000 });
    const instance = await cloud.create(launchRequest(nodeClass(), await small(cloud)));
    expect(instance.state).toBe("pending");
    clock.advance(39_999);
    expect((await cloud.get(instance.instanceId))?.state).toBe("pending");
    clock.advance(1);
    expect((await cloud.get(instance.instanceId))?.state).toBe("running");
  });

  it("answers concurrent launches of one NodeClaim with a single instance, as EC2 does for one client token", async () => {
    const { cloud } = simulated();
    const request = launchRequest(nodeClass(), await small(cloud));
    const launched = await Promise.all([cloud.create(request), cloud.create(request), cloud.create(request)]);
    expect(new Set(launched.map((i) => i.instanceId)).size).toBe(1);
    expect(await cloud.list()).toHaveLength(1);
  });

  it("keeps EC2's client-token rules: an identical retry gets the same failure, a retry whose overrides changed launches", async () => {
    const { cloud, unavailable, clock } = simulated();
    const types = await small(cloud);
    const request = launchRequest(nodeClass(), types);
    cloud.faults.failOfferingsWhere(() => true);
    await expect(cloud.create(request)).rejects.toBeInstanceOf(InsufficientCapacityError);
    // Capacity is back and the marks have expired: the same request again, so the same token, and
    // EC2 answers with the fleet it already made for it, the failure.
    cloud.faults.clear();
    clock.advance(3 * 60_000 + 1);
    await expect(cloud.create(request)).rejects.toBeInstanceOf(InsufficientCapacityError);
    expect(await cloud.list()).toEqual([]);
    // One offering marked unavailable meanwhile: other overrides, a new token, a launch.
    const [first] = types.flatMap((t) => t.offerings.filter((o) => o.capacityType === "on-demand").map((o) => ({ instanceType: t.name, zone: o.zone, capacityType: o.capacityType })));
    await unavailable.markUnavailable(first!, "InsufficientInstanceCapacity", clock.now() + 60_000);
    const instance = await cloud.create(request);
    expect((await cloud.list()).map((i) => i.instanceId)).toEqual([instance.instanceId]);
  });

  it("answers a reused client token with another request as EC2 does: IdempotentParameterMismatch", async () => {
    const tokens = new ClientTokens<string>();
    expect(await tokens.once("t", "request-a", async () => "i-1")).toBe("i-1");
    expect(await tokens.once("t", "request-a", async () => "i-2")).toBe("i-1");
    await expect(tokens.once("t", "request-b", async () => "i-3")).rejects.toThrow(/client token t was already used with a different request/);
  });

  it("launches the cheapest offering, and falls back past offerings with injected capacity errors, marking them unavailable", async () => {
    const { cloud, unavailable, clock } = simulated();
    const types = await small(cloud);
    const cheapest = types.flatMap((t) => t.offerings.filter((o) => o.capacityType === "on-demand").map((o) => ({ t: t.name, o }))).sort((a, b) => a.o.price - b.o.price)[0]!;
    cloud.faults.failOffering({ instanceType: cheapest.t, zone: cheapest.o.zone, capacityType: "on-demand" });
    const instance = await cloud.create(launchRequest(nodeClass(), types));
    expect(`${instance.instanceType}/${instance.zone}`).not.toBe(`${cheapest.t}/${cheapest.o.zone}`);
    const marked = await unavailable.listUnavailable(clock.now());
    expect(marked.map((m) => `${m.capacityType}:${m.instanceType}:${m.zone}:${m.reason}`)).toEqual([`on-demand:${cheapest.t}:${cheapest.o.zone}:InsufficientInstanceCapacity`]);
    clock.advance(3 * 60_000);
    expect(await unavailable.listUnavailable(clock.now())).toEqual([]);
  });

  it("throws InsufficientCapacityError listing every refused offering when all fail", async () => {
    const { cloud } = simulated();
    cloud.faults.failOfferingsWhere(() => true, "InsufficientInstanceCapacity");
    const types = await small(cloud);
    const err = await cloud.create(launchRequest(nodeClass(), types)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCapacityError);
    const offered = types.flatMap((t) => t.offerings.filter((o) => o.capacityType === "on-demand" && o.available).map((o) => `${t.name}:${o.zone}`));
    expect((err as InsufficientCapacityError).failures.map((f) => `${f.offering.instanceType}:${f.offering.zone}`).sort()).toEqual(offered.sort());
    expect(await cloud.list()).toEqual([]);
  });

  it("throttles the next calls of an operation, then recovers", async () => {
    const { cloud } = simulated();
    cloud.faults.throttle("list", 2);
    await expect(cloud.list()).rejects.toMatchObject({ name: "RequestLimitExceeded" });
    await expect(cloud.list()).rejects.toMatchObject({ name: "RequestLimitExceeded" });
    await expect(cloud.list()).resolves.toEqual([]);
  });

  it("makes slow calls take time on the clock", async () => {
    const { cloud, clock } = simulated();
    cloud.faults.slow("get", 1500);
    const before = clock.now();
    await cloud.get("i-0123456789abcdef0");
    expect(clock.now() - before).toBe(1500);
  });

  it("prices spot from the given spot prices and launches spot when allowed", async () => {
    const { cloud } = simulated({ spotPrices: new Map([["m5.large:us-east-1a", 0.03], ["c5.large:us-east-1b", 0.02]]) });
    const types = await small(cloud);
    const instance = await cloud.create(launchRequest(nodeClass(), types, { requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] }] }));
    expect(instance).toMatchObject({ capacityType: "spot", instanceType: "c5.large", zone: "us-east-1b" });
  });

  it("shows a stopped instance as stopped, and it is still listed", async () => {
    const { cloud } = simulated();
    const instance = await cloud.create(launchRequest(nodeClass(), await small(cloud)));
    cloud.stop(instance.instanceId);
    expect((await cloud.list()).map((i) => i.state)).toEqual(["stopped"]);
  });
});

describe("SimulatedCloud subnet addresses", () => {
  it("takes an address per instance, gives it back on termination, and refuses a full subnet", async () => {
    const { cloud, world } = simulated();
    for (const s of world.subnets) s.availableIps = s.zone === "us-east-1a" ? 1 : 0;
    const types = (await cloud.instanceTypes(nodeClass())).filter((t) => t.name === "m5.large");
    const first = await cloud.create(launchRequest(nodeClass(), types, { nodeClaimName: "a", nodeClaimUid: "1" }));
    expect(first.zone).toBe("us-east-1a");
    expect(world.subnets.find((s) => s.zone === "us-east-1a")!.availableIps).toBe(0);
    const err = await cloud.create(launchRequest(nodeClass(), types, { nodeClaimName: "b", nodeClaimUid: "2" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCapacityError);
    expect(new Set((err as InsufficientCapacityError).failures.map((f) => f.code))).toEqual(new Set(["InsufficientFreeAddressesInSubnet"]));
    await cloud.delete(first.instanceId);
    expect(world.subnets.find((s) => s.zone === "us-east-1a")!.availableIps).toBe(1);
  });
});
