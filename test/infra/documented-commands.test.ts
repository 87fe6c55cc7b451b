/** Every `cdk deploy` command the README and docs show works as written: its -c context passes the app's checks. */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../infra/config.ts";

const ROOT = join(import.meta.dirname, "../..");
const FILES = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** `npx cdk deploy ...` commands in fenced code blocks, backslash continuations joined. */
function deployCommands(text: string): string[] {
  const blocks = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, " "));
  return blocks.flatMap((b) => b.split("\n")).filter((line) => /\bcdk deploy\b/.test(line));
}

function context(command: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of command.matchAll(/-c\s+([A-Za-z]+)=(\S+)/g)) out[m[1]!] = m[2]!;
  return out;
}

describe("documented deploy commands", () => {
  it("the README shows one, and each in README and docs passes the app's context checks", () => {
    const found = FILES.flatMap((file) => deployCommands(readFileSync(join(ROOT, file), "utf8")).map((command) => ({ file, command })));
    expect(found.some((f) => f.file === "README.md")).toBe(true);
    for (const { file, command } of found) {
      expect(() => readConfig((key) => context(command)[key]), `${file}: ${command}`).not.toThrow();
    }
  });
});
