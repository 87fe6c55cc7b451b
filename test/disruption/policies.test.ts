/**
 * The scheduling policies (PREFERENCE_POLICY, MIN_VALUES_POLICY settings) also govern where
 * consolidation would move pods, as in Karpenter, whose consolidation runs the same scheduler.
 */
import { describe, expect, it } from "vitest";
import { disruptionPass } from "../../lib/disruption/decide.ts";
import { passOutput } from "../../lib/disruption/output.ts";
import type { SchedulingOptions } from "../../lib/scheduling/types.ts";
import { pod } from "../support/builders.ts";
import { AT, cluster } from "./builders.ts";

describe("consolidation under PREFERENCE_POLICY", () => {
  // One pod on a big node it prefers; a 2-cpu node would hold it for less than a third of the price.
  const prefersBig = pod({
    name: "p",
    cpu: "1",
    affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["big-8x"] }] } }] } },
  });
  const decideWith = (scheduling?: SchedulingOptions) => {
    const objects = cluster({ nodes: [{ name: "big", type: "big-8x", pods: [prefersBig] }] });
    return passOutput(disruptionPass(scheduling ? { ...objects, scheduling } : objects, AT));
  };

  it("Respect keeps a pod on the node type it prefers: a replacement would be the same type", () => {
    expect(decideWith().commands).toEqual([]);
  });

  it("Ignore replaces the node with the cheapest that fits", () => {
    const out = decideWith({ preferencePolicy: "Ignore" });
    expect(out.commands.map((c) => [c.decision, c.candidates.map((x) => x.node)])).toEqual([["replace", ["big"]]]);
    expect(out.commands[0]!.replacements[0]!.instanceTypes[0]).toBe("small-2x");
  });
});
