/**
 * "No input crashes the CLI": random and mutated documents fed to `simulate`, `validate` and
 * `instance-types --filter`. Whatever the input, the exit code is 0 (understood) or 2 (bad input,
 * one clear line per problem), never 1; stderr never shows a stack trace; on 0 stdout is exactly
 * one JSON document.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CliIO } from "../../lib/cli/io.ts";
import { main } from "../../lib/cli/main.ts";
import { hugeNumber, inputFile, trickyString } from "./fuzz-inputs.ts";

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
  // One style: every line on stderr is an error or a note.
  for (const line of run.err.split("\n").filter(Boolean)) expect(line, context).toMatch(/^(error|note): /);
}

/** Inputs the property found crashing or hanging (and a shape now checked up front): each stays an exit-0 result or one clear line. */
const REGRESSIONS: Array<[string, string, RegExp | undefined]> = [
  ["a Node with spec: null (or none)", "apiVersion: v1\nkind: Node\nmetadata: {name: a}\nspec: null\n---\napiVersion: v1\nkind: Node\nmetadata: {name: b}\n", undefined],
  [
    "a Deployment whose replicas would expand past what one run places",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec:\n  replicas: 100000000\n  template:\n    spec:\n      containers: [{name: a}]\n",
    /^error: Deployment default\/big: spec\.replicas: 100000000 pods would take the input past 100000 pods/m,
  ],
  [
    "a preferred node affinity item without a preference",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{a: 1}]}}\n  containers: [{name: a}]\n",
    /^error: Pod default\/p: spec\.affinity\.nodeAffinity\.preferredDuringSchedulingIgnoredDuringExecution\[0\]\.weight: must be an integer from 1 to 100$/m,
  ],
  [
    "an ephemeral volume without a claim template",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: v, ephemeral: {}}]\n  containers: [{name: a}]\n",
    /^error: Pod default\/p: spec\.volumes\[0\]\.ephemeral\.volumeClaimTemplate\.spec: is required$/m,
  ],
  [
    "a StatefulSet volume claim template with spec: null",
    "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  volumeClaimTemplates: [{metadata: {name: pd}, spec: null}]\n  template:\n    spec: {containers: [{name: a}]}\n",
    /^error: StatefulSet default\/db: spec\.volumeClaimTemplates\[0\]\.spec: is required$/m,
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
        const run = await tenon(["validate", "-f", file, "-o", "json"]);
        expectNoCrash(run, `${label}: ${file}`);
        // -o json means one JSON document on stdout, valid input or not.
        expect(() => JSON.parse(run.out), `${label}: ${file}`).not.toThrow();
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
