/**
 * The candidate lists' first-fit headroom index (lib/scheduling/candidate-list.ts) against a plain
 * scan: over random runs of bins appended, filled (their room only shrinks, as claims and nodes
 * do), closed and dropped, the first bin at or after a position whose room covers a pod's requests
 * is the one a bin-by-bin scan finds. The scheduler's first fit, and so every claim it makes,
 * rests on this.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Bin } from "../../../lib/scheduling/bins.ts";
import { CandidateList, ResourceSpace } from "../../../lib/scheduling/candidate-list.ts";

const RESOURCES = ["cpu", "memory", "pods", "nvidia.com/gpu"] as const;

/** The part of a bin the index reads: a claim's headroom or a node's free room, and whether it is closed. */
interface FakeBin {
  kind: "claim" | "existing";
  headroom: Record<string, number>;
  free: Record<string, number>;
  closed: boolean;
}

const roomArb = fc.record(
  { cpu: fc.integer({ min: -2, max: 16 }), memory: fc.integer({ min: 0, max: 64 }), pods: fc.integer({ min: 0, max: 8 }), "nvidia.com/gpu": fc.integer({ min: 0, max: 2 }) },
  { requiredKeys: ["cpu", "memory", "pods"] },
);
const wantArb = fc.record(
  { cpu: fc.integer({ min: 1, max: 16 }), memory: fc.integer({ min: 1, max: 64 }), pods: fc.constant(1), "nvidia.com/gpu": fc.integer({ min: 0, max: 2 }) },
  { requiredKeys: ["cpu", "memory", "pods"] },
);
const stepArb = fc.oneof(
  // Bins arrive more often than anything else happens, so lists grow past a few buckets.
  { weight: 4, arbitrary: fc.record({ op: fc.constant("add" as const), kind: fc.constantFrom("claim" as const, "existing" as const), room: roomArb }) },
  fc.record({ op: fc.constant("add" as const), kind: fc.constantFrom("claim" as const, "existing" as const), room: roomArb }),
  fc.record({ op: fc.constant("fill" as const), at: fc.nat(), take: roomArb }),
  fc.record({ op: fc.constant("close" as const), at: fc.nat() }),
  // Dropping a run of bins, as a pod's constraints rule out many at once: enough to compact the list.
  fc.record({ op: fc.constant("drop" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 60 }) }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant("query" as const), want: wantArb, from: fc.nat({ max: 150 }) }) },
);

function naiveCovering(list: CandidateList, requests: Record<string, number>, from: number): number {
  for (let pos = from; pos < list.candidates.length; pos++) {
    const bin = list.candidates[pos] as unknown as FakeBin | null;
    if (!bin || bin.closed) continue;
    const room = bin.kind === "claim" ? bin.headroom : bin.free;
    if (Object.entries(requests).every(([name, v]) => v <= 0 || v <= (room[name] ?? 0))) return pos;
  }
  return -1;
}

describe("the candidate list's headroom index", () => {
  it("finds the same first covering bin as a bin-by-bin scan", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 400, size: "max" }), (steps) => {
        const space = new ResourceSpace(RESOURCES);
        const bins: FakeBin[] = [];
        const list = new CandidateList();
        const sync = () => list.sync(bins as unknown as Bin[], bins as unknown as Bin[], space);
        for (const step of steps) {
          if (step.op === "add") {
            bins.push({ kind: step.kind, headroom: { ...step.room }, free: { ...step.room }, closed: false });
            // Sometimes several bins arrive before the list looks again, as claims made by other plans.
            if (bins.length % 3 !== 1) sync();
          } else if (step.op === "fill" && bins.length) {
            const bin = bins[step.at % bins.length]!;
            const room = bin.kind === "claim" ? bin.headroom : bin.free;
            for (const [name, v] of Object.entries(step.take)) room[name] = (room[name] ?? 0) - Math.max(0, v);
          } else if (step.op === "close" && bins.length) {
            bins[step.at % bins.length]!.closed = true;
          } else if (step.op === "drop" && list.candidates.length) {
            for (let pos = step.at % list.candidates.length, n = 0; pos < list.candidates.length && n < step.count; pos++, n++) {
              if (list.candidates[pos]) list.remove(pos);
            }
            list.compactIfSparse();
          } else if (step.op === "query") {
            sync();
            const want = space.want(step.want);
            const expected = naiveCovering(list, step.want, step.from);
            expect(list.nextCovering(want, step.from)).toBe(expected);
            // And walking on from there, as a pod tries bin after bin.
            if (expected >= 0) expect(list.nextCovering(want, expected + 1)).toBe(naiveCovering(list, step.want, expected + 1));
          }
        }
      }),
      { numRuns: 200, seed: 20261203 },
    );
  });
});
