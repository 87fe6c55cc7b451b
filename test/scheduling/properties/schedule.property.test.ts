/**
 * Properties of the scheduler over random clusters: every answer passes the independent checker
 * (every pending pod accounted for once, every hard constraint held), and the answer is a function
 * of the input alone (same input, deep-equal result and byte-identical simulate output).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { schedule } from "../../../lib/scheduling/scheduler.ts";
import { buildOutput, renderJson } from "../../../lib/simulate/output.ts";
import { checkSchedule, obviouslySchedulable } from "../../support/scheduling-properties/checker.ts";
import { podKey } from "../../../lib/api/kubernetes.ts";
import { clusterArb } from "../../support/scheduling-properties/generators.ts";

const RUNS = 150;

describe("schedule() over random clusters", () => {
  it("gives answers the independent checker accepts", () => {
    fc.assert(
      fc.property(clusterArb, (input) => {
        const result = schedule(structuredClone(input));
        expect(checkSchedule(input, result)).toEqual([]);
      }),
      { numRuns: RUNS, seed: 20261122 },
    );
  });

  it("never calls a pod unschedulable when a NodePool obviously has room for it", () => {
    fc.assert(
      fc.property(clusterArb, (input) => {
        const result = schedule(structuredClone(input));
        const wrong = result.unschedulable.filter((u) => obviouslySchedulable(input, u.pod)).map((u) => `${podKey(u.pod)}: ${u.reason}`);
        expect(wrong).toEqual([]);
      }),
      { numRuns: RUNS, seed: 424242 },
    );
  });

  it("is deterministic: same input, deep-equal result and byte-identical JSON", () => {
    fc.assert(
      fc.property(clusterArb, (input) => {
        const first = schedule(structuredClone(input));
        const second = schedule(structuredClone(input));
        expect(second).toEqual(first);
        expect(renderJson(buildOutput(input, second))).toBe(renderJson(buildOutput(input, first)));
      }),
      { numRuns: 50, seed: 7 },
    );
  });

  it("does not change its input", () => {
    fc.assert(
      fc.property(clusterArb, (input) => {
        const before = structuredClone(input);
        schedule(input);
        expect(input).toEqual(before);
      }),
      { numRuns: 30, seed: 11 },
    );
  });
});
