/**
 * Makes sure moto server is installed in ./.venv, exactly as test/support/moto-requirements.txt
 * pins it (one version and one file hash per package: `pip install --require-hashes`). Called once
 * from the global test setup, so test files running in parallel never race to install it. A venv
 * installed from another requirements file (or unpinned) is reinstalled.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const VENV = join(REPO_ROOT, ".venv");
export const MOTO_SERVER = join(VENV, "bin", "moto_server");
export const MOTO_REQUIREMENTS = join(REPO_ROOT, "test", "support", "moto-requirements.txt");
/** The sha256 of the requirements file the venv was installed from. */
const INSTALLED_STAMP = join(VENV, "tenon-moto-requirements.sha256");

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (result.error || result.status !== 0) {
    const output = `${result.stderr ?? ""}${result.stdout ?? ""}`.trim().split("\n").slice(-15).join("\n");
    throw new Error(
      `Could not install moto for the AWS adapter tests: \`${command} ${args.join(" ")}\` failed` +
        `${result.error ? ` (${result.error.message})` : ` with exit code ${result.status}`}.\n${output}\n` +
        `Install it by hand with: python3 -m venv .venv && .venv/bin/pip install --require-hashes -r test/support/moto-requirements.txt`,
    );
  }
}

export async function ensureMotoInstalled(): Promise<void> {
  const wanted = createHash("sha256").update(readFileSync(MOTO_REQUIREMENTS)).digest("hex");
  const installed = existsSync(INSTALLED_STAMP) ? readFileSync(INSTALLED_STAMP, "utf8").trim() : undefined;
  if (existsSync(MOTO_SERVER) && installed === wanted) return;
  if (!existsSync(join(VENV, "bin", "pip"))) run("python3", ["-m", "venv", VENV]);
  run(join(VENV, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", "--require-hashes", "-r", MOTO_REQUIREMENTS]);
  if (!existsSync(MOTO_SERVER)) throw new Error(`moto installed, but ${MOTO_SERVER} is missing`);
  writeFileSync(INSTALLED_STAMP, `${wanted}\n`);
}
