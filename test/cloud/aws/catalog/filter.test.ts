/** Label filters of `tenon instance-types --filter`. */
import { describe, expect, it } from "vitest";
import { matchesAll, matchesFilter, parseFilter } from "../../../../lib/cloud/aws/catalog/filter.ts";
import type { InstanceType } from "../../../../lib/ports/instance-type.ts";
import { InputError } from "../../../../lib/errors.ts";

const m5: InstanceType = {
  name: "m5.large",
  capacity: {},
  allocatable: {},
  overhead: { kubeReserved: {}, systemReserved: {}, evictionThreshold: {} },
  labels: { "karpenter.k8s.aws/instance-cpu": "2", "kubernetes.io/arch": "amd64" },
  requirements: [
    { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand", "spot"] },
    { key: "karpenter.k8s.aws/instance-gpu-count", operator: "DoesNotExist" },
  ],
  offerings: [],
};

const matches = (text: string) => matchesFilter(m5, parseFilter(text));

describe("instance-type filters", () => {
  it("expands short keys: well-known names and karpenter.k8s.aws/ labels", () => {
    expect(parseFilter("arch=amd64").key).toBe("kubernetes.io/arch");
    expect(parseFilter("instance-cpu>=2").key).toBe("karpenter.k8s.aws/instance-cpu");
    expect(parseFilter("example.com/team=a").key).toBe("example.com/team");
  });

  it("compares equality against labels and In requirements", () => {
    expect(matches("arch=amd64")).toBe(true);
    expect(matches("arch=arm64")).toBe(false);
    expect(matches("capacity-type=spot")).toBe(true);
    expect(matches("capacity-type!=spot")).toBe(false);
    expect(matches("arch!=arm64")).toBe(true);
  });

  it("compares numbers, and never matches a missing label", () => {
    expect([matches("instance-cpu>=2"), matches("instance-cpu>2"), matches("instance-cpu<=2"), matches("instance-cpu<3")]).toEqual([true, false, true, true]);
    expect(matches("instance-gpu-count>=0")).toBe(false);
    expect(matches("instance-gpu-count=1")).toBe(false);
  });

  it("ANDs filters", () => {
    expect(matchesAll(m5, [parseFilter("arch=amd64"), parseFilter("instance-cpu>=4")])).toBe(false);
    expect(matchesAll(m5, [parseFilter("arch=amd64"), parseFilter("instance-cpu>=2")])).toBe(true);
    expect(matchesAll(m5, [])).toBe(true);
  });

  it("rejects filters without an operator or with a non-numeric bound", () => {
    expect(() => parseFilter("arch")).toThrow(InputError);
    expect(() => parseFilter("instance-cpu>many")).toThrow('filter "instance-cpu>many": > needs a number, got "many"');
  });
});
