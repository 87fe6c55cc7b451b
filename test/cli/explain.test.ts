/** `tenon explain`'s command line: bad subjects and durations exit 2 with one clear line (the journal path is test/e2e/explain.test.ts). */
import { describe, expect, it } from "vitest";
import { main } from "../../lib/cli/main.ts";
import { recordingIO } from "../support/recording-io.ts";

async function run(...argv: string[]) {
  const io = recordingIO(process.cwd(), "", false);
  const code = await main(["node", "tenon", ...argv], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe("tenon explain", () => {
  it("refuses a duration that is not one, an unknown kind and a pod without its namespace, before reading any table", async () => {
    expect(await run("explain", "node", "n1", "--cluster", "c", "--since", "soon")).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: explain: --since soon: /) });
    expect(await run("explain", "node", "n1", "--cluster", "c", "--since", "-1h")).toMatchObject({ code: 2, stderr: expect.stringContaining("must be a positive duration") });
    expect(await run("explain", "service", "web", "--cluster", "c")).toMatchObject({ code: 2, stderr: expect.stringContaining('"service" is not one of pod, node, nodeclaim, nodepool') });
    expect(await run("explain", "pod", "web-1", "--cluster", "c")).toMatchObject({ code: 2, stderr: expect.stringContaining('explain pod: "web-1" is not NAMESPACE/NAME') });
  });

  it("is listed in tenon --help", async () => {
    const { stdout } = await run("--help");
    expect(stdout).toMatch(/explain \[options\] <kind> <name>/);
  });
});
