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
  it("prints what each function did in words, and a summary of pods and nodes", async () => {
    const lines: string[] = [];
    const summary = await runDemo({ replicas: 3, cpu: "500m" }, (line) => lines.push(line));
    expect(summary.running).toBe(3);
    const text = lines.join("\n");
    expect(text).toContain("batcher: recorded 3 pending pod(s) and opened a batch window");
    expect(text).toMatch(/provisioner: woken by 1 batch message\(s\); launched 1 NodeClaim\(s\)/);
    expect(text).not.toMatch(/[{}]/); // no raw Lambda results
    expect(lines.at(-1)).toMatch(/^Summary: 3 of 3 pods running on 1 node\(s\): 1 x \S+ (spot|on-demand) in us-east-1\w$/);
  });
});
