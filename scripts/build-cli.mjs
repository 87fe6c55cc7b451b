#!/usr/bin/env node
// Builds the `tenon` CLI into dist/cli/tenon.mjs (git-ignored): one ESM bundle of lib/cli/main.ts
// and its packages, so `tenon` starts without compiling TypeScript. Run by `npm ci`/`npm install`
// (the `prepare` script) and by `npm run build:cli`. Plain JavaScript, so it needs nothing but
// esbuild; without esbuild (an install that omits devDependencies) it says so and exits 0, and
// bin/tenon.js then runs the TypeScript sources through tsx.
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
// `--outfile <path>` builds elsewhere (the tests build into a temporary directory).
const at = process.argv.indexOf("--outfile");
const outfile = at > 0 ? process.argv[at + 1] : "dist/cli/tenon.mjs";
let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  console.error("note: esbuild is not installed; the tenon CLI is not built and will run through tsx");
  process.exit(0);
}
// Code behind a dynamic import (the replay's functions and simulated world) goes into chunks
// next to the entry, loaded only by the command that needs them, so every other command starts
// as fast as before.
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { [basename(outfile).replace(/\.mjs$/, "")]: "lib/cli/main.ts" },
  outdir: dirname(outfile),
  outExtension: { ".js": ".mjs" },
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20", // the README says Node 20 still runs the CLI
  // Smaller to parse at every start; identifiers kept, so --debug stack traces still name functions.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
  // CommonJS packages inside an ESM bundle call require() for Node's built-in modules.
  banner: { js: 'import { createRequire as __tenonCreateRequire } from "node:module"; const require = __tenonCreateRequire(import.meta.url);' },
});
