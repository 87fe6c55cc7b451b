/**
 * The structure check (docs/architecture.md): no import from a flow to an adapter or to the
 * composition root, no cycle, the drawing current; and the checker itself catches what it must.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ARCHITECTURE_DOC, drawing, importsOf, problems, readStructure, ROOT, withDrawing } from "../scripts/structure.ts";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : name.endsWith(".ts") ? [path] : [];
  });
}

function fakeLib(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "tenon-structure-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("the structure of lib/", () => {
  const structure = readStructure();

  it("has no import from core code to an adapter or the wiring, and no cycle", () => {
    expect(problems(structure)).toEqual([]);
  });

  it("is drawn as it is in docs/architecture.md", () => {
    const doc = readFileSync(ARCHITECTURE_DOC, "utf8");
    expect(withDrawing(doc, drawing(structure))).toBe(doc);
  });

  it("keeps the wiring to functions/, the CLI, the replay's Tenon runs, the demo and tests, and bench/ away from test/", () => {
    const outside = ["bench", "infra", "lib"].flatMap((d) => filesUnder(join(ROOT, d)));
    const offenders = outside.filter((file) => {
      const specs = importsOf(readFileSync(file, "utf8")).map((s) => join(dirname(file), s));
      const intoWiring = specs.some((s) => s.startsWith(join(ROOT, "lib", "wiring")));
      const inLibAllowed = file.startsWith(join(ROOT, "lib", "wiring")) || file.startsWith(join(ROOT, "lib", "cli")) || file.startsWith(join(ROOT, "lib", "replay", "tenon"));
      return (intoWiring && !inLibAllowed) || specs.some((s) => s.startsWith(join(ROOT, "test")));
    });
    expect(offenders.map((f) => f.slice(ROOT.length + 1))).toEqual([]);
  });
});

describe("the checker", () => {
  it("reports a flow importing an adapter or the wiring, and an adapter importing another port's adapter", () => {
    const lib = fakeLib({
      "lifecycle/decide.ts": 'import { tag } from "../cloud/aws/tags.ts";\nimport type { R } from "../wiring/runtime.ts";\n',
      "cloud/aws/tags.ts": "export const tag = 1;\n",
      "cloud/in-memory/cloud.ts": 'import { s } from "../../store/in-memory/store.ts";\n',
      "store/in-memory/store.ts": "export const s = 1;\n",
      "wiring/runtime.ts": "export type R = 1;\n",
    });
    expect(problems(readStructure(lib))).toEqual([
      "lib/cloud/in-memory/cloud.ts imports lib/store/in-memory/store.ts (an adapter must not import another port's adapter)",
      "lib/lifecycle/decide.ts imports lib/cloud/aws/tags.ts (lifecycle is core code; cloud/aws is an adapter)",
      "lib/lifecycle/decide.ts imports lib/wiring/runtime.ts (lifecycle is core code; wiring is the composition root)",
    ]);
  });

  it("reports cycles between files and between folders", () => {
    const lib = fakeLib({
      "a/one.ts": 'import { two } from "./two.ts";\nexport const one = 1;\n',
      "a/two.ts": 'import { one } from "./one.ts";\nimport { b } from "../b/b.ts";\nexport const two = 2;\n',
      "b/b.ts": 'export { one as b } from "../a/one.ts";\n',
    });
    expect(problems(readStructure(lib))).toEqual([
      "import cycle between files: lib/a/one.ts, lib/a/two.ts, lib/b/b.ts",
      "import cycle between folders: a, b",
    ]);
  });
});
