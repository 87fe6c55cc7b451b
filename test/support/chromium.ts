/**
 * Debian's Chromium for the browser tests, installed the way etcd is (test/support/apiserver.ts):
 * as root with apt, once, under a lock; otherwise the suite is skipped with a message. Under CI
 * nothing is skipped: a missing browser fails the suite.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const CHROMIUM = process.env["TENON_CHROMIUM"] ?? "/usr/bin/chromium";
const CACHE = process.env["TENON_CACHE"] ?? join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "tenon");

async function installChromium(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await run("sh", ["-c", "command -v apt-get"]);
    mkdirSync(CACHE, { recursive: true });
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    await run("flock", [join(CACHE, "apt.lock"), "sh", "-c", "command -v chromium || { apt-get update -qq && apt-get install -y -qq chromium; }"], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch {
    return false;
  }
  return existsSync(CHROMIUM);
}

/** Why the browser tests cannot run here, or undefined when they can. */
export async function chromiumUnavailable(): Promise<string | undefined> {
  if (existsSync(CHROMIUM) || (await installChromium()) || process.env["CI"] === "true") return undefined;
  const reason = `skipped: the report's browser test needs Chromium at ${CHROMIUM} (apt-get install chromium, or set TENON_CHROMIUM)`;
  console.warn(reason);
  return reason;
}
