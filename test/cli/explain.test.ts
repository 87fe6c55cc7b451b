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

  describe("offline, on a simulate or disrupt input (-f)", () => {
    it("says why a pending pod would go nowhere, naming the NodePool and the taint, and where its neighbours would go", async () => {
      const refused = await run("explain", "pod", "ml/cpu-only", "-f", "examples/gpu-inference.yaml", "-o", "table");
      expect(refused.code).toBe(0);
      expect(refused.stdout).toMatch(/provisioner \[shadow\]: Pod ml\/cpu-only could not be placed: incompatible with NodePool gpu: taint nvidia\.com\/gpu=true:NoSchedule not tolerated\.\n$/);
      const placed = await run("explain", "pod", "ml/inference-0", "-f", "examples/gpu-inference.yaml", "-o", "json");
      const lines = JSON.parse(placed.stdout).lines as Array<{ text: string; mode: string }>;
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ mode: "shadow", text: expect.stringMatching(/^Pod ml\/inference-0 \(one of 3 alike pods of Deployment\/inference\) would go on new NodeClaim gpu-1: NodePool gpu, g6\.12xlarge/) });
    });

    it("says which nodes consolidation would remove and why, and why another node is left alone", async () => {
      const at = ["--at", "2026-12-03T10:00:00Z", "-f", "examples/disruption/scale-down.yaml", "-o", "table"];
      const removed = await run("explain", "node", "ip-10-0-2-22.ec2.internal", ...at);
      expect(removed.stdout).toBe("2026-12-03T10:00:00.000Z  consolidation [shadow]: would delete ip-10-0-2-22.ec2.internal (m6i.xlarge), ip-10-0-3-32.ec2.internal (m6i.xlarge): delete, 0 pod(s) moved, because Empty: emptiness saves $0.3884/hour (shadow mode: decided, not performed).\n");
      const kept = await run("explain", "node", "ip-10-0-1-11.ec2.internal", ...at);
      expect(kept.stdout).toContain("Consolidation left Node ip-10-0-1-11.ec2.internal alone: not evaluated: this pass already decided emptiness (one command per pass).");
      const unknown = await run("explain", "node", "no-such-node", ...at);
      expect(unknown.stdout).toBe("Nothing Tenon would decide names node no-such-node in this input.\n");
    });
  });
});
