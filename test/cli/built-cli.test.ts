/**
 * The `tenon` command as installed: scripts/build-cli.mjs bundles the CLI (the `prepare` script runs
 * it at `npm ci`), and bin/tenon.js starts that bundle, or the TypeScript sources through tsx when
 * the bundle is missing or older than the sources.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../../lib/cli/main.ts";
import { recordingIO } from "../support/recording-io.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ARGS = ["simulate", "-f", "examples/web-zonal-spread.yaml", "-o", "json"];

function node(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, args, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
}

async function fromSources(args: string[]): Promise<{ code: number; stdout: string }> {
  const io = recordingIO(ROOT, "", false);
  const code = await main(["node", "tenon", ...args], io);
  return { code, stdout: io.stdout };
}

describe("the built CLI", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tenon-built-cli-"));
  });

  it("prints what the TypeScript sources print", async () => {
    const outfile = join(dir, "tenon.mjs");
    const build = node(["scripts/build-cli.mjs", "--outfile", outfile]);
    expect(build.status, build.stderr).toBe(0);
    const run = node(["--input-type=module", "-e", `const { main } = await import(process.argv[1]); process.exitCode = await main(["node", "tenon", ...process.argv.slice(2)]);`, outfile, ...ARGS]);
    const expected = await fromSources(ARGS);
    expect(expected.code).toBe(0);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(expected.stdout);
  });

  describe("bin/tenon.js", () => {
    // A copy of the package whose dist/cli/tenon.mjs says which way it was started.
    let pkg: string;
    const bundle = () => join(pkg, "dist", "cli", "tenon.mjs");
    beforeAll(() => {
      pkg = join(dir, "pkg");
      mkdirSync(join(pkg, "bin"), { recursive: true });
      mkdirSync(join(pkg, "dist", "cli"), { recursive: true });
      copyFileSync(join(ROOT, "bin", "tenon.js"), join(pkg, "bin", "tenon.js"));
      copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
      for (const link of ["lib", "node_modules", "examples"]) symlinkSync(join(ROOT, link), join(pkg, link));
    });

    function writeBundle(mtime: Date): void {
      writeFileSync(bundle(), `export async function main(argv) { process.stdout.write("bundle " + argv.slice(2).join(" ")); return 0; }\n`);
      utimesSync(bundle(), mtime, mtime);
    }

    it("starts the bundle when it is newer than the sources, with no note", () => {
      writeBundle(new Date(Date.now() + 3600_000));
      const run = node([join(pkg, "bin", "tenon.js"), ...ARGS], pkg);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe(`bundle ${ARGS.join(" ")}`);
      expect(run.stderr).toBe("");
    });

    it("runs the sources through tsx, with a one-line note, when the bundle is older than the sources or missing", async () => {
      const expected = await fromSources(ARGS);
      writeBundle(new Date(0));
      const stale = node([join(pkg, "bin", "tenon.js"), ...ARGS], pkg);
      expect(stale.stdout).toBe(expected.stdout);
      expect(stale.stderr).toMatch(/^note: the built CLI \(dist\/cli\/tenon\.mjs\) is older than the sources; .*npm run build:cli.*\n/);
      rmSync(bundle());
      const missing = node([join(pkg, "bin", "tenon.js"), ...ARGS], pkg);
      expect(missing.stdout).toBe(expected.stdout);
      expect(missing.stderr).toMatch(/^note: the built CLI \(dist\/cli\/tenon\.mjs\) is missing; /);
    });
  });
});
