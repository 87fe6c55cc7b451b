/**
 * "No input crashes the CLI": random and mutated documents fed to `simulate`, `validate` and
 * `instance-types --filter`. Whatever the input, the exit code is 0 (understood) or 2 (bad input,
 * one clear line per problem), never 1; stderr never shows a stack trace; on 0 stdout is exactly
 * one JSON document.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import type { CliIO } from "../../lib/cli/io.ts";
import { main } from "../../lib/cli/main.ts";

const EXAMPLES = join(import.meta.dirname, "../../examples");
const exampleDocs: unknown[][] = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => parseAllDocuments(readFileSync(join(EXAMPLES, f), "utf8")).map((d) => d.toJS()));

/** More runs hunt deeper (e.g. TENON_FUZZ_RUNS=3000); the default keeps the suite quick. */
const RUNS = Number(process.env.TENON_FUZZ_RUNS ?? 150);

const dir = mkdtempSync(join(tmpdir(), "tenon-no-crash-"));
let fileCounter = 0;

function writeInput(content: string | Uint8Array, ext = "yaml"): string {
  const file = join(dir, `input-${++fileCounter}.${ext}`);
  writeFileSync(file, content);
  return file;
}

interface Run {
  code: number;
  out: string;
  err: string;
}

async function tenon(args: string[]): Promise<Run> {
  let out = "";
  let err = "";
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, cwd: dir, readStdin: async () => "" };
  const code = await main(["node", "tenon", ...args], io);
  return { code, out, err };
}

function expectNoCrash(run: Run, what: string): void {
  const context = `${what}\nexit ${run.code}\nstderr: ${run.err.slice(0, 2000)}`;
  expect([0, 2], context).toContain(run.code);
  expect(run.err, context).not.toContain("    at ");
  if (run.code === 0) expect(() => JSON.parse(run.out), context).not.toThrow();
  else expect(run.err.trim().length, context).toBeGreaterThan(0);
}

// ---- values ---------------------------------------------------------------------------------------

function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

const hugeNumber = fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, 1e9, 1e6, -1, 0, 0.5, -0.0001, Number.MAX_SAFE_INTEGER);
const trickyString = fc.constantFrom("", " ", "1e999", "-1", "Infinity", "NaN", "0x10", "1Ei", "99999999999999999Ei", "1.5.5", "In", "DoNotSchedule", "a/b/c", "\u0000", "🙂");
const randomValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hugeNumber,
  trickyString,
  fc.string(),
  fc.constantFrom(null, true, false, [], {}),
  fc.integer({ min: 20, max: 400 }).map((d) => nested(d)),
);

/** Every path to a value in a JSON-like tree, parents before children. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

/** A copy of `root` with the value at `path` replaced (or deleted when `replacement` is undefined). */
function replaced(root: unknown, path: ReadonlyArray<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined && !Array.isArray(parent)) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

/** One example file with 1-3 random fields replaced by random values (or deleted). */
const mutatedExample = fc
  .record({
    file: fc.nat({ max: exampleDocs.length - 1 }),
    edits: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.option(randomValue, { nil: undefined, freq: 6 })), { minLength: 1, maxLength: 3 }),
  })
  .map(({ file, edits }) => {
    const docs = [...exampleDocs[file]!];
    for (const [docPick, pathPick, value] of edits) {
      const d = docPick % docs.length;
      const all = paths(docs[d]);
      docs[d] = replaced(docs[d], all[pathPick % all.length]!, value);
    }
    return docs;
  });

const KINDS = [
  ["karpenter.sh/v1", "NodePool"],
  ["karpenter.sh/v1", "NodeClaim"],
  ["karpenter.k8s.aws/v1", "EC2NodeClass"],
  ["v1", "Pod"],
  ["v1", "Node"],
  ["v1", "PersistentVolumeClaim"],
  ["v1", "PersistentVolume"],
  ["storage.k8s.io/v1", "StorageClass"],
  ["policy/v1", "PodDisruptionBudget"],
  ["apps/v1", "DaemonSet"],
  ["apps/v1", "Deployment"],
  ["apps/v1", "StatefulSet"],
  ["batch/v1", "Job"],
] as const;

/** Objects of a known kind whose spec/status are random: they get past the kind check. */
const kindShaped = fc
  .record({
    kind: fc.constantFrom(...KINDS),
    name: fc.oneof(fc.constant("x"), trickyString, randomValue),
    spec: randomValue,
    status: fc.option(randomValue, { nil: undefined }),
  })
  .map(({ kind, name, spec, status }) => ({ apiVersion: kind[0], kind: kind[1], metadata: { name }, spec, ...(status === undefined ? {} : { status }) }));

function asYaml(docs: unknown[]): string {
  return docs.map((d) => stringify(d, { aliasDuplicateObjects: false })).join("---\n");
}

/** A file's bytes: YAML or JSON text of documents, or something that isn't a document at all. */
const inputFile: fc.Arbitrary<{ content: string | Uint8Array; ext: string; label: string }> = fc.oneof(
  mutatedExample.map((docs) => ({ content: asYaml(docs), ext: "yaml", label: "mutated example (yaml)" })),
  mutatedExample.map((docs) => ({ content: JSON.stringify({ apiVersion: "v1", kind: "List", items: docs }), ext: "json", label: "mutated example (json List)" })),
  fc.array(kindShaped, { minLength: 1, maxLength: 3 }).map((docs) => ({ content: asYaml(docs), ext: "yaml", label: "kind-shaped" })),
  fc.jsonValue({ maxDepth: 4 }).map((v) => ({ content: JSON.stringify(v), ext: "json", label: "random json" })),
  fc.string({ maxLength: 200 }).map((s) => ({ content: s, ext: "yaml", label: "random text" })),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ content: b, ext: "yaml", label: "binary" })),
  fc.constantFrom("", "---\n---\n", "null", "~", "[]", "{}", "---\n- 1\n").map((s) => ({ content: s, ext: "yaml", label: "empty-ish" })),
  fc.integer({ min: 100, max: 20000 }).map((d) => ({ content: '{"a":['.repeat(d) + "1" + "]}".repeat(d), ext: "json", label: "deep nesting" })),
  fc.integer({ min: 100, max: 20000 }).map((d) => ({ content: `apiVersion: v1\nkind: Pod\nmetadata: {name: deep}\nspec: ${"[".repeat(d)}${"]".repeat(d)}\n`, ext: "yaml", label: "deep nesting (yaml flow)" })),
);

/** Inputs the property once found crashing or hanging; kept so they stay fixed. */
const REGRESSIONS: Array<[string, string, RegExp | undefined]> = [
  ["a Node with spec: null (or none)", "apiVersion: v1\nkind: Node\nmetadata: {name: a}\nspec: null\n---\napiVersion: v1\nkind: Node\nmetadata: {name: b}\n", undefined],
  [
    "a Deployment whose replicas would expand past what one run places",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec:\n  replicas: 100000000\n  template:\n    spec:\n      containers: [{name: a}]\n",
    /^Deployment default\/big: spec\.replicas: 100000000 pods would take the input past 100000 pods/m,
  ],
];

describe("no input crashes the CLI", () => {
  for (const [what, text, error] of REGRESSIONS) {
    it(`simulate: ${what}`, async () => {
      const run = await tenon(["simulate", "-f", writeInput(text), "-o", "json"]);
      expectNoCrash(run, what);
      if (error) {
        expect(run.code).toBe(2);
        expect(run.err).toMatch(error);
      } else expect(run.code).toBe(0);
    });
  }

  it("simulate: exit 0 with one JSON document or 2 with clear lines, never a crash", async () => {
    await fc.assert(
      fc.asyncProperty(inputFile, async ({ content, ext, label }) => {
        const file = writeInput(content, ext);
        expectNoCrash(await tenon(["simulate", "-f", file, "-o", "json"]), `${label}: ${file}`);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it("validate: exit 0 with one JSON document or 2 with clear lines, never a crash", async () => {
    await fc.assert(
      fc.asyncProperty(inputFile, async ({ content, ext, label }) => {
        const file = writeInput(content, ext);
        expectNoCrash(await tenon(["validate", "-f", file, "-o", "json"]), `${label}: ${file}`);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it("instance-types --filter: any filter text is a result or a usage error", async () => {
    const filter = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.tuple(fc.constantFrom("family", "cpu", "karpenter.k8s.aws/instance-memory", "kubernetes.io/arch", "", "=", "a/b/c"), fc.constantFrom("=", "!=", ">=", "<=", "==", ">", ""), fc.oneof(fc.string({ maxLength: 10 }), trickyString, hugeNumber.map(String))).map((parts) => parts.join("")),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(filter, { minLength: 1, maxLength: 3 }), async (filters) => {
        const args = ["instance-types", ...filters.flatMap((f) => ["--filter", f]), "-o", "json"];
        expectNoCrash(await tenon(args), JSON.stringify(filters));
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  }, 120_000);
});
