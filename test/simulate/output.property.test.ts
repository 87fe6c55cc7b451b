/**
 * Properties of the output document over random clusters: every pending pod once, claim names
 * `<nodepool>-<n>` counting from 1 per NodePool, a summary that adds up, launches drawn from the
 * claim's own instance types and allowed zones, and prices without float noise.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { podKey } from "../../lib/api/kubernetes.ts";
import { requirementsAllow } from "../../lib/scheduling/launch.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { buildOutput, roundPrice } from "../../lib/simulate/output.ts";
import { clusterArb } from "../support/scheduling-properties/generators.ts";

describe("the simulate output document over random clusters", () => {
  it("accounts for every pending pod once and adds up", () => {
    fc.assert(
      fc.property(clusterArb, (input) => {
        const output = buildOutput(input, schedule(structuredClone(input)));
        const placed = [...output.nodeClaims.flatMap((c) => c.pods), ...output.existingNodes.flatMap((n) => n.pods), ...output.unschedulable.map((u) => u.pod)];
        expect([...placed].sort()).toEqual(input.pods.map(podKey).sort());

        const counters = new Map<string, number>();
        for (const claim of output.nodeClaims) {
          const n = (counters.get(claim.nodePool) ?? 0) + 1;
          counters.set(claim.nodePool, n);
          expect(claim.name).toBe(`${claim.nodePool}-${n}`);
          expect(claim.launch).not.toBeNull();
          expect(claim.instanceTypes).toContain(claim.launch!.instanceType);
          const requirements = claim.requirements.map((r) => ({ ...r, operator: r.operator as "In" }));
          expect(requirementsAllow(requirements, "topology.kubernetes.io/zone", claim.launch!.zone)).toBe(true);
          expect(requirementsAllow(requirements, "karpenter.sh/capacity-type", claim.launch!.capacityType)).toBe(true);
        }

        const s = output.summary;
        expect(s.pods).toBe(input.pods.length);
        expect(s.scheduled).toBe(s.pods - output.unschedulable.length);
        expect(s.newNodeClaims).toBe(output.nodeClaims.length);
        expect(s.pricePerHour).toBe(roundPrice(output.nodeClaims.reduce((sum, c) => sum + c.launch!.price, 0)));
        expect(Math.abs(s.pricePerHour * 1e6 - Math.round(s.pricePerHour * 1e6))).toBeLessThan(1e-6);
      }),
      { numRuns: 100, seed: 31337 },
    );
  });
});
