/**
 * Makes sure moto server is installed in ./.venv. Called once from the global test setup, so test
 * files running in parallel never race to install it.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const VENV = join(REPO_ROOT, ".venv");
export const MOTO_SERVER = join(VENV, "bin", "moto_server");

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (result.error || result.status !== 0) {
    const output = `${result.stderr ?? ""}${result.stdout ?? ""}`.trim().split("\n").slice(-15).join("\n");
    throw new Error(
      `Could not install moto for the AWS adapter tests: \`${command} ${args.join(" ")}\` failed` +
        `${result.error ? ` (${result.error.message})` : ` with exit code ${result.status}`}.\n${output}\n` +
        `Install it by hand with: python3 -m venv .venv && .venv/bin/pip install 'moto[server]'`,
    );
  }
}

export async function ensureMotoInstalled(): Promise<void> {
  if (existsSync(MOTO_SERVER)) return;
  if (!existsSync(join(VENV, "bin", "pip"))) run("python3", ["-m", "venv", VENV]);
  run(join(VENV, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", "moto[server]"]);
  if (!existsSync(MOTO_SERVER)) throw new Error(`moto installed, but ${MOTO_SERVER} is missing`);
}
