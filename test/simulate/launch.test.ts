import { describe, expect, it } from "vitest";
import type { NodeSelectorRequirement } from "../../lib/api/types.ts";
import type { InstanceType } from "../../lib/ports/instance-type.ts";
import { resolveLaunch } from "../../lib/scheduling/launch.ts";
import { GiB, instanceType } from "../support/scheduling-properties/fixtures.ts";

const zoneIn = (...zones: string[]): NodeSelectorRequirement => ({ key: "topology.kubernetes.io/zone", operator: "In", values: zones });
const capacityIn = (...types: string[]): NodeSelectorRequirement => ({ key: "karpenter.sh/capacity-type", operator: "In", values: types });

function launch(instanceTypes: InstanceType[], requirements: NodeSelectorRequirement[] = []) {
  return resolveLaunch({ instanceTypes, requirements });
}

describe("resolveLaunch", () => {
  it("prefers reserved over spot over on-demand, whatever the price", () => {
    const it = instanceType("m", 2000, 8 * GiB, [
      { zone: "a", capacityType: "on-demand", price: 0.01 },
      { zone: "a", capacityType: "spot", price: 0.05 },
    ]);
    it.offerings.push({ zone: "b", capacityType: "reserved", price: 0.2, available: true, reservationId: "cr-123" });
    expect(launch([it])).toEqual({ instanceType: "m", zone: "b", capacityType: "reserved", price: 0.2, reservationId: "cr-123" });
    expect(launch([it], [capacityIn("spot", "on-demand")])).toEqual({ instanceType: "m", zone: "a", capacityType: "spot", price: 0.05 });
    expect(launch([it], [{ key: "karpenter.sh/capacity-type", operator: "NotIn", values: ["spot", "reserved"] }])?.capacityType).toBe("on-demand");
  });

  it("takes the cheapest available offering in an allowed zone among the listed types", () => {
    const m = instanceType("m", 2000, 8 * GiB, [
      { zone: "a", capacityType: "spot", price: 0.04 },
      { zone: "b", capacityType: "spot", price: 0.02, available: false },
      { zone: "c", capacityType: "spot", price: 0.01 },
    ]);
    const c = instanceType("c", 2000, 4 * GiB, [{ zone: "a", capacityType: "spot", price: 0.03 }]);
    expect(launch([m, c])).toMatchObject({ instanceType: "m", zone: "c", price: 0.01 });
    expect(launch([m, c], [zoneIn("a", "b")])).toMatchObject({ instanceType: "c", zone: "a", price: 0.03 });
  });

  it("breaks price ties by instance-type order, then by zone name", () => {
    const first = instanceType("first", 2000, 8 * GiB, [
      { zone: "z-c", capacityType: "on-demand", price: 0.1 },
      { zone: "z-b", capacityType: "on-demand", price: 0.1 },
    ]);
    const second = instanceType("second", 2000, 8 * GiB, [{ zone: "z-a", capacityType: "on-demand", price: 0.1 }]);
    expect(launch([first, second])).toMatchObject({ instanceType: "first", zone: "z-b" });
    expect(launch([second, first])).toMatchObject({ instanceType: "second", zone: "z-a" });
  });

  it("is undefined when no listed type has an offering the claim allows", () => {
    const m = instanceType("m", 2000, 8 * GiB, [{ zone: "a", capacityType: "spot", price: 0.04 }]);
    expect(launch([m], [zoneIn("b")])).toBeUndefined();
    expect(launch([m], [capacityIn("on-demand")])).toBeUndefined();
    expect(launch([])).toBeUndefined();
  });
});
