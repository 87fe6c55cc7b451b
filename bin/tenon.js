#!/usr/bin/env node
// Loads the TypeScript CLI through tsx so `npx tenon` works straight after `npm ci`, with no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../lib/cli/main.ts");
process.exitCode = await main(process.argv);
