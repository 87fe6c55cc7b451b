/** `npm run demo`: its arguments are checked with clear errors, --help works, and a run ends in a readable summary. */
import { describe, expect, it } from "vitest";
import { DEMO_USAGE, DemoUsageError, parseDemoArgs, runDemo } from "../../scripts/demo.ts";

const usageError = (args: string[]) => {
  try {
    parseDemoArgs(args);
  } catch (error) {
    if (error instanceof DemoUsageError) return error.message;
    throw error;
  }
  throw new Error(`expected a usage error for ${args.join(" ")}`);
};

describe("demo arguments", () => {
  it("defaults to 50 pods of 500m and accepts cores or millicores", () => {
    expect(parseDemoArgs([])).toEqual({ replicas: 50, cpu: "500m" });
    expect(parseDemoArgs(["3", "2"])).toEqual({ replicas: 3, cpu: "2" });
    expect(parseDemoArgs(["3", "0.5"])).toEqual({ replicas: 3, cpu: "0.5" });
  });

  it("rejects a cpu that is not a cpu request, naming the argument", () => {
    for (const cpu of ["xyz", "8Gi", "0", "1.5.2", "1e3"]) expect(usageError(["3", cpu])).toMatch(new RegExp(`^cpu-per-pod: "${cpu}" is not a cpu request`));
  });

  it("rejects replicas that are not a whole number in range, extra arguments and unknown options", () => {
    for (const replicas of ["abc", "0", "2.5", "100000"]) expect(usageError([replicas])).toMatch(new RegExp(`^replicas: "${replicas}" is not a whole number from 1 to 1000`));
    expect(usageError(["1", "1", "1"])).toContain("at most 2 arguments");
    expect(usageError(["--fast"])).toBe("unknown option --fast");
  });

  it("has --help", () => {
    expect(parseDemoArgs(["--help"])).toBe("help");
    expect(parseDemoArgs(["-h"])).toBe("help");
    expect(DEMO_USAGE).toContain("cpu-per-pod");
  });
});

describe("a demo run", () => {
  it("tells a cluster's day in words: scale up, consolidation after scale down, a Spot interruption replaced, an AMI release rolled out", async () => {
    const lines: string[] = [];
    const summary = await runDemo({ replicas: 12, cpu: "500m" }, (line) => lines.push(line));
    const text = lines.join("\n");
    expect(summary.running).toBe(summary.replicas);
    expect(summary.steps.map((s) => s.step)).toEqual(["scale up", "scale down", "spot interruption", "AMI release"]);
    expect(text).toContain("batcher: recorded 12 pending pod(s) and opened a batch window");
    expect(text).toMatch(/provisioner: woken by 1 batch message\(s\); launched \d+ NodeClaim\(s\)/);
    // Scale down: the consolidator decides, validates and carries out at least one command, and it saves money.
    expect(text).toMatch(/consolidator: \S+: carried out \((Empty|Underutilized)/);
    expect(summary.steps[1]!.pricePerHour).toBeLessThan(summary.steps[0]!.pricePerHour);
    // The interrupted node is drained and replaced; every pod runs again.
    expect(text).toMatch(/interruption: \S+ is being drained; the provisioner was woken for its pods/);
    expect(summary.steps[2]!.running).toBe(summary.steps[2]!.wanted);
    // The AMI release is rolled out by drift commands.
    expect(text).toMatch(/drift: \S+: decided \(Drifted: replace/);
    expect(text).not.toMatch(/[{}]/); // no raw Lambda results
    expect(lines.at(-1)).toMatch(/^Summary: 3 of 3 pods running on \d+ node\(s\) after 4 steps; price (\$\d+\.\d{4}( -> )?){4} per hour$/);
  });
});
