/**
 * Capacity-type priority in the launch plan (reserved, then spot, then on-demand), on fixtures where
 * the preferred capacity type is NOT the cheapest offering, so a plan that just took the cheapest
 * offering would fail here.
 */
import { describe, expect, it } from "vitest";
import { planLaunch } from "../../../lib/cloud/aws/launch/plan.ts";
import type { ResolvedAmi } from "../../../lib/ports/cloud.ts";
import { fakeType } from "../../support/cloud.ts";

const ami: ResolvedAmi = { id: "ami-std", requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }] };
const subnets = [{ id: "subnet-a", zone: "z-a", availableIps: 100 }, { id: "subnet-b", zone: "z-b", availableIps: 100 }];

function plan(instanceTypes: ReturnType<typeof fakeType>[]) {
  const result = planLaunch({ instanceTypes, requirements: [], subnets, amis: [ami], unavailable: new Set() });
  if ("reason" in result) throw new Error(result.reason);
  return result;
}

describe("planLaunch capacity-type priority", () => {
  it("launches a reservation although spot and on-demand offerings are cheaper", () => {
    const cheap = fakeType("m5.large", [{ zone: "z-a", capacityType: "on-demand", price: 0.05 }, { zone: "z-a", capacityType: "spot", price: 0.02 }]);
    const reserved = fakeType("m5.xlarge", [{ zone: "z-b", capacityType: "reserved", price: 0.19, reservationId: "cr-1" }]);
    const p = plan([cheap, reserved]);
    expect(p.capacityType).toBe("reserved");
    expect(p.options.map((o) => `${o.instanceType.name}/${o.offering.zone}`)).toEqual(["m5.xlarge/z-b"]);
  });

  it("launches spot over an on-demand offering of the same price listed first", () => {
    const t = fakeType("m5.large", [{ zone: "z-a", capacityType: "on-demand", price: 0.1 }, { zone: "z-b", capacityType: "spot", price: 0.1 }]);
    const p = plan([t]);
    expect(p.capacityType).toBe("spot");
    expect(p.options.map((o) => o.offering.zone)).toEqual(["z-b"]);
  });
});
