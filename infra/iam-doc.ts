/**
 * Prints the policy of docs/iam.md (`npx tsx infra/iam-doc.ts`), from the same statements the
 * stack gives the functions. test/infra/iam-doc.test.ts fails when the page and this differ.
 */
import { documentedPolicy } from "./policies.ts";

/** JSON with short string lists and small objects on one line, so the page stays readable. */
export function compactJson(value: unknown, indent = ""): string {
  const inline = inlineJson(value);
  if (inline.length <= 100 - indent.length || value === null || typeof value !== "object") return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + compactJson(v, inner)).join(",\n")}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`);
  return `{\n${entries.join(",\n")}\n${indent}}`;
}

function inlineJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inlineJson).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inlineJson(v)}`).join(", ")} }`;
  }
  return JSON.stringify(value);
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(compactJson(documentedPolicy()));
