import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp } from "../../infra/build-app.ts";
import { ESM_REQUIRE_BANNER } from "../../infra/constructs/functions.ts";

// One real esbuild run (local esbuild, no Docker), for a single small function.
describe("function bundling", () => {
  const outdir = mkdtempSync(path.join(tmpdir(), "tenon-bundle-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("produces a minified ESM bundle with a source map that loads in Node and runs", () => {
    const { app, stack } = buildApp({
      appProps: { outdir, context: { cluster: "demo", functions: "batcher" } },
      functionsDir: path.join(import.meta.dirname, "fixtures", "bundle"),
      env: {},
    });
    app.synth();
    const fn = stack.lambdas.functions.get("batcher");
    expect(fn).toBeDefined();
    const template = JSON.parse(readFileSync(path.join(outdir, `${stack.templateFile}`), "utf8")) as {
      Resources: Record<string, { Type: string; Properties: { Code: { S3Key: string } } }>;
    };
    const code = Object.values(template.Resources).find((r) => r.Type === "AWS::Lambda::Function")?.Properties.Code;
    const assetDir = path.join(outdir, `asset.${code?.S3Key.replace(/\.zip$/, "")}`);
    const bundle = path.join(assetDir, "index.mjs");
    expect(existsSync(bundle)).toBe(true);
    const map = JSON.parse(readFileSync(`${bundle}.map`, "utf8")) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources.some((source) => source.endsWith("lib/errors.ts"))).toBe(true);
    // Line mappings only: the sources themselves would double the upload.
    expect(map.sourcesContent).toBeUndefined();

    const text = readFileSync(bundle, "utf8");
    expect(text.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    // Minified: far fewer lines than the sources it holds.
    expect(text.split("\n").length).toBeLessThan(50);

    // In a plain Node process, as Lambda loads it (the test runner's module loader is more forgiving).
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); console.log(JSON.stringify(await m.handler()));`;
    const output = execFileSync(process.execPath, ["--input-type=module", "--enable-source-maps", "-e", script], { encoding: "utf8" });
    expect(JSON.parse(output)).toEqual({ command: "tenon-bundle-check", error: "NodePool x: bundled" });
  });
});
