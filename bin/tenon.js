#!/usr/bin/env node
// Starts the CLI from its build, dist/cli/tenon.mjs (made by `npm ci` through the `prepare` script,
// or `npm run build:cli`), which starts without compiling TypeScript. When the build is missing or
// older than the sources (lib/, package.json, package-lock.json), runs the TypeScript sources
// through tsx instead, with a one-line note on stderr.
import { existsSync, readdirSync, statSync } from "node:fs";
import * as nodeModule from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const built = `${root}dist/cli/tenon.mjs`;

/** Newest modification time of the sources the build is made from. */
function sourcesChangedAt() {
  let newest = 0;
  for (const file of [`${root}package.json`, `${root}package-lock.json`]) {
    if (existsSync(file)) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  for (const entry of readdirSync(`${root}lib`, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
  }
  return newest;
}

function builtState() {
  if (!existsSync(built)) return "missing";
  return statSync(built).mtimeMs < sourcesChangedAt() ? "older than the sources" : "ok";
}

// V8's compiled code for the bundle is kept on disk (the OS temp directory) between runs (Node >= 22.1).
nodeModule.enableCompileCache?.();
const state = builtState();
let main;
if (state === "ok") {
  ({ main } = await import(built));
} else {
  process.stderr.write(`note: the built CLI (dist/cli/tenon.mjs) is ${state}; running the TypeScript sources through tsx (npm run build:cli builds it)\n`);
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../lib/cli/main.ts"));
}
process.exitCode = await main(process.argv);
