import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/build-app.ts";

describe("infra/app.ts, the entry cdk.json runs", () => {
  it("is what cdk.json runs", () => {
    const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "cdk.json"), "utf8")) as { app: string };
    expect(cdkJson.app).toBe("npx tsx infra/app.ts");
  });

  it("without a cluster, prints the problem in one line and exits 1, without a stack trace", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({}) };
    delete env["CDK_OUTDIR"];
    const run = spawnSync(process.execPath, ["--import", "tsx", "infra/app.ts"], { cwd: PROJECT_ROOT, env, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("CDK context: cluster: is required");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
