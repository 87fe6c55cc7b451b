/** Writes docs/replay-trace.schema.json from the Trace's zod schema (`npx tsx scripts/replay-schema.ts`); a test keeps it current. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { traceJsonSchema } from "../lib/replay/trace/schema.ts";

export const TRACE_SCHEMA_FILE = join(import.meta.dirname, "..", "docs", "replay-trace.schema.json");

export function traceSchemaText(): string {
  return `${JSON.stringify(traceJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] === import.meta.filename) writeFileSync(TRACE_SCHEMA_FILE, traceSchemaText());
