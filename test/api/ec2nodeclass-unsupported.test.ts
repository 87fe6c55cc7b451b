/**
 * EC2NodeClass fields Karpenter accepts but no Tenon launch applies yet are refused with one line
 * naming the field, instead of being accepted and silently ignored. (Not in the invalid-cases table:
 * that table is also checked against Karpenter's CRDs, which accept these fields.)
 */
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../lib/errors.ts";
import { validateEC2NodeClass } from "../../lib/api/ec2nodeclass.ts";
import { ec2NodeClass } from "./samples.ts";
import { P } from "./ec2nodeclass-invalid-cases.ts";

const NOT_SUPPORTED = "not supported by Tenon yet: its launches would ignore it; remove the field";

function problems(mutate: (nc: any) => void): string[] {
  const doc = ec2NodeClass();
  mutate(doc);
  return validateEC2NodeClass(doc).problems.map(formatProblem);
}

describe("EC2NodeClass fields Tenon does not apply at launch", () => {
  it.each([
    ["placementGroupSelector", { name: "training" }],
    ["placementGroupSelector", { id: "pg-0123456789abcdef0" }],
    ["ipPrefixCount", 2],
    ["ipPrefixCount", 0],
    ["connectionTracking", { tcpEstablishedTimeout: 3600 }],
    ["cpuOptions", { nestedVirtualization: "enabled" }],
  ])("refuses a valid spec.%s (%j), naming the field", (field, value) => {
    expect(problems((nc) => (nc.spec[field] = value))).toEqual([`${P}spec.${field}: ${NOT_SUPPORTED}`]);
  });

  it("reports an invalid value once, as Karpenter would, without the extra line", () => {
    expect(problems((nc) => (nc.spec.connectionTracking = { udpTimeout: 10 }))).toEqual([`${P}spec.connectionTracking.udpTimeout: 10 is less than the minimum 30`]);
    expect(problems((nc) => (nc.spec.ipPrefixCount = -2))).toEqual([`${P}spec.ipPrefixCount: -2 is less than the minimum 0`]);
  });

  it("still accepts the sample without them", () => {
    expect(problems(() => {})).toEqual([]);
  });
});
