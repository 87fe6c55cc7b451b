/**
 * Each Lambda bundles only what it uses (issue 13.6): the batcher's bundle, built the way the stack
 * builds it (esbuild, one ESM file, the AWS SDK included), carries no EC2, Kubernetes or catalog
 * code. Sizes and init times are measured in docs/benchmarks.md, not here.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { ESM_REQUIRE_BANNER } from "../../infra/constructs/functions.ts";

async function bundledInputs(handler: string): Promise<string[]> {
  return (await stackBundle(handler)).inputs;
}

describe("Lambda bundles", () => {
  it("the batcher carries no EC2, Kubernetes or instance-catalog code", async () => {
    const inputs = await bundledInputs("functions/batcher/handler.ts");
    const heavy = inputs.filter((p) => /@kubernetes\/client-node|@aws-sdk\/client-ec2|@aws-sdk\/client-eks|lib\/cloud\/aws\/|lib\/cluster\/kube\/|lib\/scheduling\//.test(p));
    expect(heavy).toEqual([]);
    expect(inputs.some((p) => p.includes("lib/store/dynamodb/"))).toBe(true);
  });

  it("the provisioner carries the EC2 adapter and the Kubernetes client it launches and reads with", async () => {
    const inputs = await bundledInputs("functions/provisioner/handler.ts");
    expect(inputs.some((p) => p.includes("lib/cloud/aws/aws-cloud.ts"))).toBe(true);
    expect(inputs.some((p) => p.includes("@kubernetes/client-node"))).toBe(true);
  });
});

/** The bundle as the stack builds it (infra/constructs/functions.ts): minified ESM with the require banner. */
async function stackBundle(handler: string): Promise<{ code: Uint8Array; inputs: string[] }> {
  const result = await build({
    entryPoints: [handler],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    mainFields: ["module", "main"],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  return { code: result.outputFiles[0]!.contents, inputs: Object.keys(result.metafile.inputs) };
}

describe("the consolidator's and drift checker's bundles", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tenon-disruption-bundles-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("load in plain Node as Lambda loads them, no bigger than the provisioner's, without the interruption or batcher code", async () => {
    const provisioner = await stackBundle("functions/provisioner/handler.ts");
    for (const name of ["consolidator", "drift"]) {
      const { code, inputs } = await stackBundle(`functions/${name}/handler.ts`);
      // They plan and launch as the provisioner does, so carry what it carries and little more.
      expect(code.length, name).toBeLessThanOrEqual(provisioner.code.length * 1.1);
      expect(inputs.some((p) => p.includes("lib/disruption/wake.ts")), name).toBe(true);
      // Interruption messages, the batcher's audit-log parsing and its core-only wiring are not theirs.
      const foreign = inputs.filter((p) => /lib\/interruption\/|lib\/cloud\/aws\/interruption\/|lib\/provisioning\/signals\.ts|^functions\/(?!consolidator|drift)/.test(p));
      expect(foreign, name).toEqual([]);
      const file = path.join(dir, `${name}.mjs`);
      writeFileSync(file, code);
      const script = `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(typeof m.handler);`;
      expect(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }).trim(), name).toBe("function");
    }
  });
});
