/**
 * Capacity reservations: selector terms -> DescribeCapacityReservations, reserved offerings, reserved
 * launches targeting their reservation, ReservationCapacityExceeded, interruptions. moto has no
 * capacity reservations (probed: no DescribeCapacityReservations), so EC2 is aws-sdk-client-mock
 * here; the simulated cloud is tested for the same behaviour.
 */
import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  DescribeCapacityReservationsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  type CapacityReservation,
} from "@aws-sdk/client-ec2";
import { SSMClient, GetParametersCommand } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reservationTermRequest, toResolvedReservation } from "../../../lib/cloud/aws/capacity-reservations.ts";
import { classifyInterruptionMessage } from "../../../lib/cloud/aws/interruption/classify.ts";
import { type ClassifiedInterruption } from "../../../lib/ports/interruption.ts";
import { handleInterruption } from "../../../lib/interruption/interruption.ts";
import { RESERVED_PRICE_DIVISOR, withReservedOfferings } from "../../../lib/cloud/aws/reserved-offerings.ts";
import type { InstanceType } from "../../../lib/ports/instance-type.ts";
import { simulatedInterruptionEvent } from "../../../lib/cloud/in-memory/events.ts";
import { SimulatedCloud } from "../../../lib/cloud/in-memory/in-memory-cloud.ts";
import { defaultWorld } from "../../../lib/cloud/in-memory/world.ts";
import type { CloudInstance, ResolvedCapacityReservation } from "../../../lib/ports/cloud.ts";
import { createMemoryStore } from "../../../lib/store/in-memory/memory-store.ts";
import { CLUSTER, event, fakeType, launchRequest, ManualClock } from "../../support/cloud.ts";
import { cloudInstance, interruptedWorld } from "../../support/interruption.ts";
import { nodeClass } from "../../support/builders.ts";
import { AL2023_X86_PARAMETER, mockedAwsCloud } from "../../support/mocked-aws.ts";

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const X86 = AL2023_X86_PARAMETER;
const NOW = Date.parse("2026-11-01T00:00:00Z");

const reservation = (over: Partial<ResolvedCapacityReservation> = {}): ResolvedCapacityReservation => ({
  id: "cr-1", instanceType: "m5.large", zone: "us-east-1a", ownerId: "111122223333", instanceMatchCriteria: "targeted",
  availableInstances: 2, totalInstances: 2, ...over,
});

describe("capacity reservation selector terms", () => {
  it("always asks for active reservations; tags, owner and match criteria become filters, an id the id list", () => {
    expect(reservationTermRequest({ tags: { team: "ml", pool: "*" }, ownerID: "111122223333", instanceMatchCriteria: "targeted" })).toEqual({
      Filters: [
        { Name: "state", Values: ["active"] },
        { Name: "tag:team", Values: ["ml"] },
        { Name: "tag-key", Values: ["pool"] },
        { Name: "owner-id", Values: ["111122223333"] },
        { Name: "instance-match-criteria", Values: ["targeted"] },
      ],
    });
    expect(reservationTermRequest({ id: "cr-0123" })).toEqual({ Filters: [{ Name: "state", Values: ["active"] }], CapacityReservationIds: ["cr-0123"] });
  });

  it("keeps only active, ordinary reservations that have not ended", () => {
    const base: CapacityReservation = {
      CapacityReservationId: "cr-1", InstanceType: "m5.large", AvailabilityZone: "us-east-1a", AvailabilityZoneId: "use1-az1", OwnerId: "111122223333",
      State: "active", InstanceMatchCriteria: "open", AvailableInstanceCount: 3, TotalInstanceCount: 5, EndDate: new Date(NOW + 3600_000),
    };
    expect(toResolvedReservation(base, NOW)).toEqual({
      id: "cr-1", instanceType: "m5.large", zone: "us-east-1a", zoneId: "use1-az1", ownerId: "111122223333", instanceMatchCriteria: "open",
      availableInstances: 3, totalInstances: 5, endTimeMs: NOW + 3600_000,
    });
    expect(toResolvedReservation({ ...base, State: "expired" }, NOW)).toBeUndefined();
    expect(toResolvedReservation({ ...base, ReservationType: "capacity-block" }, NOW)).toBeUndefined();
    expect(toResolvedReservation({ ...base, EndDate: new Date(NOW) }, NOW)).toBeUndefined();
  });
});

describe("reserved offerings", () => {
  const types = [
    fakeType("m5.large", [{ zone: "us-east-1a", price: 0.096, zoneId: "use1-az1" }, { zone: "us-east-1b", price: 0.096 }]),
    fakeType("c5.large", [{ zone: "us-east-1a", price: 0.085 }]),
  ];

  it("adds one reserved offering at the on-demand price / 10,000,000, carrying the reservation id, and lists reserved in the type's requirements", () => {
    const [m5, c5] = withReservedOfferings(types, [reservation()], new Set());
    expect(m5!.offerings[0]).toEqual({ zone: "us-east-1a", zoneId: "use1-az1", capacityType: "reserved", price: 0.096 / RESERVED_PRICE_DIVISOR, available: true, reservationId: "cr-1" });
    expect(m5!.offerings).toHaveLength(3);
    expect(m5!.requirements).toContainEqual({ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand", "reserved"] });
    expect(c5).toBe(types[1]);
    expect(types[0]!.offerings).toHaveLength(2);
  });

  it("is unavailable when the reservation is used up, was refused recently, or its type can't launch there; absent in a zone without subnets", () => {
    const reserved = (r: ResolvedCapacityReservation, unavailable: string[] = [], list: InstanceType[] = types) =>
      withReservedOfferings(list, [r], new Set(unavailable))[0]!.offerings.find((o) => o.capacityType === "reserved");
    expect(reserved(reservation({ availableInstances: 0 }))?.available).toBe(false);
    expect(reserved(reservation(), ["reserved:m5.large:us-east-1a"])?.available).toBe(false);
    // On-demand capacity running short says nothing about the reservation.
    const odShort = [fakeType("m5.large", [{ zone: "us-east-1a", price: 0.096, available: false }])];
    expect(reserved(reservation(), ["on-demand:m5.large:us-east-1a"], odShort)?.available).toBe(true);
    expect(reserved(reservation(), [], odShort)?.available).toBe(false);
    expect(reserved(reservation({ zone: "us-east-1c" }))).toBeUndefined();
  });
});

describe("capacity reservations on the EC2 adapter (mocked EC2)", () => {
  const SUBNETS = [
    { SubnetId: "subnet-a", AvailabilityZone: "us-east-1a", AvailableIpAddressCount: 200, State: "available" as const },
    { SubnetId: "subnet-b", AvailabilityZone: "us-east-1b", AvailableIpAddressCount: 300, State: "available" as const },
  ];
  const CR: CapacityReservation = {
    CapacityReservationId: "cr-1", InstanceType: "m5.large", AvailabilityZone: "us-east-1a", OwnerId: "111122223333",
    State: "active", InstanceMatchCriteria: "targeted", AvailableInstanceCount: 1, TotalInstanceCount: 2,
  };
  const withTerms = () => nodeClass({ capacityReservationSelectorTerms: [{ tags: { team: "ml" } }] });
  const reservedOrOnDemand = [{ key: "karpenter.sh/capacity-type", operator: "In" as const, values: ["reserved", "on-demand"] }];

  function setup() {
    return mockedAwsCloud(CLUSTER, new ManualClock(NOW));
  }

  beforeEach(() => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: SUBNETS });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: "sg-1", GroupName: "nodes" }] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: "ami-x86", Name: "al2023", Architecture: "x86_64", CreationDate: "2026-10-01T00:00:00Z" }] });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    ec2.on(CreateLaunchTemplateCommand).resolves({});
    ec2.on(DescribeCapacityReservationsCommand).resolves({ CapacityReservations: [CR] });
    ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({ Parameters: input.Names.filter((n) => n === X86).map((n) => ({ Name: n, Value: "ami-x86" })) }));
  });
  afterEach(() => {
    ec2.reset();
    ssm.reset();
  });

  it("reports the selected reservations in the resolved NodeClass and offers them as reserved offerings", async () => {
    const { cloud } = setup();
    const resolved = await cloud.resolveNodeClass(withTerms());
    expect(resolved.capacityReservations).toEqual([{ id: "cr-1", instanceType: "m5.large", zone: "us-east-1a", ownerId: "111122223333", instanceMatchCriteria: "targeted", availableInstances: 1, totalInstances: 2 }]);
    const filters = ec2.commandCalls(DescribeCapacityReservationsCommand)[0]!.args[0].input.Filters;
    expect(filters).toEqual([{ Name: "state", Values: ["active"] }, { Name: "tag:team", Values: ["ml"] }]);
    const m5 = (await cloud.instanceTypes(withTerms())).find((t) => t.name === "m5.large")!;
    const onDemand = m5.offerings.find((o) => o.capacityType === "on-demand" && o.zone === "us-east-1a")!;
    expect(m5.offerings.filter((o) => o.capacityType === "reserved")).toEqual([
      expect.objectContaining({ zone: "us-east-1a", available: true, reservationId: "cr-1", price: onDemand.price / RESERVED_PRICE_DIVISOR }),
    ]);
    expect((await cloud.resolveNodeClass(nodeClass())).capacityReservations).toBeUndefined();
  });

  it("launches a reserved offering from a template that targets the reservation, and counts the used instance until the next refresh", async () => {
    const { cloud } = setup();
    ec2.on(CreateFleetCommand).resolves({ Instances: [{ InstanceIds: ["i-0r"], InstanceType: "m5.large", Lifecycle: "on-demand", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m5.large", SubnetId: "subnet-a", ImageId: "ami-x86" } } }] });
    const types = (await cloud.instanceTypes(withTerms())).filter((t) => ["m5.large", "c5.large"].includes(t.name));
    const instance = await cloud.create(launchRequest(withTerms(), types, { requirements: reservedOrOnDemand }));
    expect(instance).toMatchObject({ instanceId: "i-0r", capacityType: "reserved", zone: "us-east-1a" });
    const fleet = ec2.commandCalls(CreateFleetCommand)[0]!.args[0].input;
    expect(fleet.TargetCapacitySpecification?.DefaultTargetCapacityType).toBe("on-demand");
    expect(fleet.LaunchTemplateConfigs!.flatMap((c) => c.Overrides!.map((o) => `${o.InstanceType}/${o.AvailabilityZone}`))).toEqual(["m5.large/us-east-1a"]);
    const template = ec2.commandCalls(CreateLaunchTemplateCommand)[0]!.args[0].input.LaunchTemplateData!;
    expect(template.CapacityReservationSpecification).toEqual({ CapacityReservationTarget: { CapacityReservationId: "cr-1" } });
    // The one free instance is taken: the cached report (1 available) no longer offers it.
    const after = (await cloud.instanceTypes(withTerms())).find((t) => t.name === "m5.large")!;
    expect(after.offerings.find((o) => o.capacityType === "reserved")?.available).toBe(false);
    expect((await cloud.resolveNodeClass(withTerms())).capacityReservations?.[0]?.availableInstances).toBe(0);
  });

  it("marks the reservation unavailable on ReservationCapacityExceeded and falls back to on-demand, kept out of open reservations", async () => {
    const { cloud, clock, unavailable } = setup();
    ec2.on(CreateFleetCommand)
      .resolvesOnce({ Errors: [{ ErrorCode: "ReservationCapacityExceeded", ErrorMessage: "full", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m5.large", SubnetId: "subnet-a" } } }] })
      .resolves({ Instances: [{ InstanceIds: ["i-0od"], InstanceType: "c5.large", Lifecycle: "on-demand", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "c5.large", SubnetId: "subnet-b", ImageId: "ami-x86" } } }] });
    const types = (await cloud.instanceTypes(withTerms())).filter((t) => ["m5.large", "c5.large"].includes(t.name));
    const instance = await cloud.create(launchRequest(withTerms(), types, { requirements: reservedOrOnDemand }));
    expect(instance).toMatchObject({ instanceId: "i-0od", capacityType: "on-demand" });
    const marked = await unavailable.listUnavailable(clock.now());
    expect(marked.map((m) => `${m.capacityType}:${m.instanceType}:${m.zone}:${m.reason}`)).toEqual(["reserved:m5.large:us-east-1a:ReservationCapacityExceeded"]);
    const second = ec2.commandCalls(CreateFleetCommand)[1]!.args[0].input;
    expect(second.LaunchTemplateConfigs!.every((c) => c.Overrides!.every((o) => o.Priority! > 0.01))).toBe(true);
    const templates = ec2.commandCalls(CreateLaunchTemplateCommand).map((c) => c.args[0].input.LaunchTemplateData!.CapacityReservationSpecification);
    expect(templates).toEqual([{ CapacityReservationTarget: { CapacityReservationId: "cr-1" } }, { CapacityReservationPreference: "none" }]);
    const m5 = (await cloud.instanceTypes(withTerms())).find((t) => t.name === "m5.large")!;
    expect(m5.offerings.find((o) => o.capacityType === "reserved")?.available).toBe(false);
  });

  it("treats an unknown reservation id as selecting nothing", async () => {
    const { cloud } = setup();
    ec2.on(DescribeCapacityReservationsCommand).rejects(Object.assign(new Error("The capacity reservation ID 'cr-nope' does not exist"), { name: "InvalidCapacityReservationId.NotFound" }));
    const resolved = await cloud.resolveNodeClass(nodeClass({ capacityReservationSelectorTerms: [{ id: "cr-nope" }] }));
    expect(resolved.capacityReservations).toEqual([]);
    expect(resolved.ready).toBe(true);
  });
});

describe("capacity reservation interruption", () => {
  it("the handler marks the interrupted instance's reserved offering unavailable, nothing for an instance that is not reserved, and drains both", async () => {
    const message = classifyInterruptionMessage(event("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning", {
      "capacity-reservation-id": "cr-1", "instance-ids": ["i-0aaa", "i-0bbb"],
    })) as ClassifiedInterruption;
    expect(message).toMatchObject({ ok: true, kind: "capacity-reservation-interruption", action: "mark-unavailable+cordon-and-drain", capacityReservationId: "cr-1" });
    const w = await interruptedWorld([cloudInstance("i-0aaa", "reserved"), cloudInstance("i-0bbb", "on-demand", { instanceType: "c5.large" })]);
    const report = await handleInterruption(w.ports, message);
    const marked = await w.ports.store.listUnavailable(w.ports.clock.now());
    expect(marked.map((m) => `${m.capacityType}:${m.instanceType}:${m.zone}`)).toEqual(["reserved:m5.large:us-east-1a"]);
    expect(report.terminating.sort()).toEqual(["node-i-0aaa", "node-i-0bbb"]);
    expect(w.cluster.events({ reason: "CapacityReservationInstanceInterrupted" }).map((e) => e.involvedObject.name).sort()).toEqual(["node-i-0aaa", "node-i-0bbb"]);
  });
});

describe("capacity reservations in the simulated cloud", () => {
  function simulated() {
    const clock = new ManualClock(NOW);
    const world = defaultWorld({ region: "us-east-1", clusterName: CLUSTER });
    world.capacityReservations = [
      { ...reservation({ availableInstances: 1, totalInstances: 1 }), state: "active", tags: { team: "ml" } },
      { ...reservation({ id: "cr-old" }), state: "expired", tags: { team: "ml" } },
    ];
    const unavailable = createMemoryStore();
    return { cloud: new SimulatedCloud({ clusterName: CLUSTER, world, clock, unavailable }), world, clock, unavailable };
  }
  const nc = nodeClass({ capacityReservationSelectorTerms: [{ tags: { team: "ml" } }] });
  const reservedOrOnDemand = [{ key: "karpenter.sh/capacity-type", operator: "In" as const, values: ["reserved", "on-demand"] }];

  it("selects active reservations, launches into one, and gives the slot back when the instance terminates", async () => {
    const { cloud, world } = simulated();
    expect((await cloud.resolveNodeClass(nc)).capacityReservations?.map((r) => r.id)).toEqual(["cr-1"]);
    const types = (await cloud.instanceTypes(nc)).filter((t) => ["m5.large", "c5.large"].includes(t.name));
    const instance = await cloud.create(launchRequest(nc, types, { requirements: reservedOrOnDemand }));
    expect(instance).toMatchObject({ instanceType: "m5.large", zone: "us-east-1a", capacityType: "reserved" });
    expect(world.capacityReservations![0]!.availableInstances).toBe(0);
    expect((await cloud.instanceTypes(nc)).find((t) => t.name === "m5.large")!.offerings.find((o) => o.capacityType === "reserved")?.available).toBe(false);
    await cloud.delete(instance.instanceId);
    expect(world.capacityReservations![0]!.availableInstances).toBe(1);
  });

  it("reports a reserved instance as reserved, so its capacity-reservation interruption marks the reserved offering unavailable", async () => {
    const { cloud, clock } = simulated();
    const types = (await cloud.instanceTypes(nc)).filter((t) => ["m5.large", "c5.large"].includes(t.name));
    const instance = await cloud.create(launchRequest(nc, types, { requirements: reservedOrOnDemand }));
    const message = classifyInterruptionMessage(simulatedInterruptionEvent("capacity-reservation-interruption", instance.instanceId, clock, "us-east-1", "cr-1"));
    expect(message).toMatchObject({ ok: true, capacityReservationId: "cr-1", instanceIds: [instance.instanceId] });
    // As the simulated cloud reports it, with a NodeClaim record and a Node Tenon made for it.
    const w = await interruptedWorld([{ ...(await cloud.get(instance.instanceId))!, nodeClaimName: `nc-${instance.instanceId}` }]);
    await handleInterruption(w.ports, message as ClassifiedInterruption);
    expect((await w.ports.store.listUnavailable(w.ports.clock.now())).map((m) => `${m.capacityType}:${m.instanceType}:${m.zone}`)).toEqual(["reserved:m5.large:us-east-1a"]);
  });

  it("refuses a used-up reservation with ReservationCapacityExceeded and marks it unavailable, so the retried launch goes on-demand", async () => {
    const { cloud, world, clock, unavailable } = simulated();
    const types = (await cloud.instanceTypes(nc)).filter((t) => ["m5.large", "c5.large"].includes(t.name));
    world.capacityReservations![0]!.availableInstances = 0;
    await expect(cloud.create(launchRequest(nc, types, { requirements: reservedOrOnDemand }))).rejects.toThrow(/reserved\/m5.large\/us-east-1a: ReservationCapacityExceeded/);
    expect((await unavailable.listUnavailable(clock.now())).map((m) => `${m.capacityType}:${m.instanceType}:${m.zone}:${m.reason}`))
      .toEqual(["reserved:m5.large:us-east-1a:ReservationCapacityExceeded"]);
    const retried = await cloud.create(launchRequest(nc, types, { requirements: reservedOrOnDemand }));
    expect(retried.capacityType).toBe("on-demand");
  });
});
