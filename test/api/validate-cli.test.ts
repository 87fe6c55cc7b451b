import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { beforeAll, describe, expect, it } from "vitest";
import { buildProgram, main, reportError } from "../../lib/cli/main.ts";
import type { CliIO } from "../../lib/cli/io.ts";
import { registerValidate } from "../../lib/cli/commands/validate.ts";
import { loadDocuments, parseDocuments } from "../../lib/api/documents.ts";
import fc from "fast-check";
import { InputError, formatProblem, type InputProblem } from "../../lib/errors.ts";
import { recordingIO } from "../support/recording-io.ts";

const fakeIO = (cwd: string, stdin = "") => recordingIO(cwd, stdin);

/** `tenon validate ...` through main() once the command is registered there; until then through an equivalent program. */
async function tenon(args: string[], io: CliIO): Promise<number> {
  if (buildProgram(io).commands.some((c) => c.name() === "validate")) return main(["node", "tenon", ...args], io);
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  registerValidate(program, io);
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  try {
    await program.parseAsync(["node", "tenon", ...args]);
    return 0;
  } catch (error) {
    return reportError(error, io, false);
  }
}

const NODEPOOL = `apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: web
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - {key: kubernetes.io/arch, operator: In, values: [amd64]}
`;
const NODECLASS = `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  role: KarpenterNodeRole
  amiSelectorTerms: [{alias: bottlerocket@latest}]
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
  securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
`;
const POD = `apiVersion: v1
kind: Pod
metadata: {name: web-0}
spec: {containers: [{name: web, image: nginx}]}
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tenon-validate-"));
  mkdirSync(join(dir, "good"));
  writeFileSync(join(dir, "good", "b-pools.yaml"), `${NODEPOOL}---\n---\n${POD}`);
  writeFileSync(join(dir, "good", "a-class.yml"), NODECLASS);
  writeFileSync(join(dir, "good", "notes.txt"), "not a manifest");
  writeFileSync(join(dir, "bad.yaml"), `${NODECLASS}---\n${NODEPOOL.replace("operator: In", "operator: Equals").replace("name: web", "name: batch")}`);
  writeFileSync(join(dir, "broken.yaml"), `${NODEPOOL}---\nkind: [unclosed\n`);
  writeFileSync(
    join(dir, "list.json"),
    JSON.stringify({ apiVersion: "v1", kind: "List", items: [{ apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "listed" }, spec: { weight: 500 } }] }),
  );
});

describe("tenon validate", () => {
  it("prints one 'valid' line per Karpenter object of a directory, files by name, and notes other kinds; exit 0", async () => {
    const io = fakeIO(dir);
    expect(await tenon(["validate", "-f", "good"], io)).toBe(0);
    expect(io.stdout).toBe("EC2NodeClass default: valid\nNodePool web: valid\n");
    expect(io.stderr).toBe("note: skipped 1 Pod (validate checks NodePool, EC2NodeClass and NodeClaim)\n");
  });

  it("prints one line per problem on stderr and exits 2", async () => {
    const io = fakeIO(dir);
    expect(await tenon(["validate", "-f", "bad.yaml"], io)).toBe(2);
    expect(io.stderr).toBe('error: NodePool batch: spec.template.spec.requirements[0].operator: "Equals" is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte, Lte\n');
    expect(io.stdout).toBe("");
  });

  it("checks objects inside a v1 List, and every file given with repeated -f", async () => {
    const io = fakeIO(dir);
    expect(await tenon(["validate", "-f", "good", "-f", "list.json"], io)).toBe(2);
    expect(io.stderr.split("\n").filter((l) => !l.startsWith("note:") && l !== "")).toEqual([
      "error: NodePool listed: spec.template: is required",
      "error: NodePool listed: spec.weight: 500 is greater than the maximum 100",
    ]);
  });

  it("names the file and document of a YAML syntax error", async () => {
    const io = fakeIO(dir);
    expect(await tenon(["validate", "-f", "broken.yaml"], io)).toBe(2);
    expect(io.stderr).toMatch(/^error: file broken\.yaml document 2: /);
  });

  it("reports a missing file as bad input, not a crash", async () => {
    const io = fakeIO(dir);
    expect(await tenon(["validate", "-f", "nope.yaml"], io)).toBe(2);
    expect(io.stderr).toBe("error: file nope.yaml: no such file or directory\n");
  });

  it("reads stdin for -f - and prints JSON with -o json", async () => {
    const io = fakeIO(dir, NODEPOOL);
    expect(await tenon(["validate", "-f", "-", "-o", "json"], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual({ valid: [{ kind: "NodePool", name: "web", source: "-#1" }], skipped: [], problems: [] });
  });

  it("lists skipped objects by source in JSON", async () => {
    const io = fakeIO(dir);
    expect(await tenon(["validate", "-f", "good", "-o", "json"], io)).toBe(0);
    expect(JSON.parse(io.stdout).skipped).toEqual([{ source: `${join("good", "b-pools.yaml")}#3`, object: "Pod web-0" }]);
  });

  it("prints the problems as JSON on stdout with -o json, as well as one line each on stderr", async () => {
    const io = fakeIO(dir);
    expect(await tenon(["validate", "-f", "bad.yaml", "-o", "json"], io)).toBe(2);
    expect(JSON.parse(io.stdout)).toEqual({
      valid: [{ kind: "EC2NodeClass", name: "default", source: "bad.yaml#1" }],
      skipped: [],
      problems: [{ object: "NodePool batch", path: "spec.template.spec.requirements[0].operator", reason: '"Equals" is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte, Lte' }],
    });
    expect(io.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    const broken = fakeIO(dir);
    expect(await tenon(["validate", "-f", "broken.yaml", "-o", "json"], broken)).toBe(2);
    expect(JSON.parse(broken.stdout).problems[0].object).toBe("file broken.yaml document 2");
  });

  it("refuses the same object twice", async () => {
    const io = fakeIO(dir, NODEPOOL);
    writeFileSync(join(dir, "dup.yaml"), NODEPOOL);
    expect(await tenon(["validate", "-f", "dup.yaml", "-f", "-"], io)).toBe(2);
    expect(io.stderr).toBe("error: NodePool web: metadata.name: defined twice (dup.yaml#1 and -#1)\n");
  });

  it("is a usage error without -f", async () => {
    const io = fakeIO(dir);
    expect(await tenon(["validate"], io)).toBe(2);
    expect(io.stderr).toContain("give at least one -f");
  });
});

describe("loadDocuments", () => {
  it("expands Lists, skips empty documents and names each source by file and 1-based document", async () => {
    const docs = await loadDocuments(["good", "list.json"], { cwd: dir, readStdin: async () => "" });
    expect(docs.map((d) => d.source)).toEqual([join("good", "a-class.yml#1"), join("good", "b-pools.yaml#1"), join("good", "b-pools.yaml#3"), "list.json#1.items[0]"]);
    expect((docs[3]!.doc as any).metadata.name).toBe("listed");
  });

  it("collects every problem across files before failing", async () => {
    writeFileSync(join(dir, "scalar.yaml"), "just a string\n---\n- a list\n");
    let error: unknown;
    try {
      await loadDocuments(["missing.yaml", "scalar.yaml"], { cwd: dir, readStdin: async () => "" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems.map(formatProblem)).toEqual([
      "file missing.yaml: no such file or directory",
      "file scalar.yaml document 1: expected a Kubernetes object (a mapping with apiVersion and kind), got a string",
      "file scalar.yaml document 2: expected a Kubernetes object (a mapping with apiVersion and kind), got a list",
    ]);
  });

  it("says a YAML error in one line that ends with its position, not a dangling colon", async () => {
    writeFileSync(join(dir, "indent.yaml"), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   bad: x\n");
    const problems = await loadDocuments(["indent.yaml"], { cwd: dir, readStdin: async () => "" }).then(
      () => [],
      (e: InputError) => e.problems.map(formatProblem),
    );
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p).toMatch(/^file indent\.yaml document 1: .* at line 4, column 9$/);
  });

  it("says input nested too deeply to read is that, not a stack overflow", async () => {
    writeFileSync(join(dir, "deep.yaml"), `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: ${"[".repeat(5000)}${"]".repeat(5000)}\n`);
    writeFileSync(join(dir, "deep.json"), `{"apiVersion": "v1", "kind": "Pod", "spec": ${"[".repeat(5000)}${"]".repeat(5000)}}`);
    for (const file of ["deep.yaml", "deep.json"]) {
      const error = await loadDocuments([file], { cwd: dir, readStdin: async () => "" }).catch((e: InputError) => e);
      expect(error).toBeInstanceOf(InputError);
      const lines = (error as InputError).problems.map(formatProblem);
      for (const line of lines) {
        expect(line).toMatch(new RegExp(`^file ${file.replace(".", "\\.")} document 1: is nested too deeply to read at line \\d+, column \\d+ \\(Kubernetes objects nest a few dozen levels at most\\)$`));
        expect(line).not.toContain("call stack");
      }
    }
  });

  it("refuses duplicate keys and alias bombs as YAML errors", async () => {
    writeFileSync(join(dir, "dupkey.yaml"), "kind: Pod\nkind: Node\n");
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
    writeFileSync(join(dir, "bomb.yaml"), `${bomb.join("\n")}\n`);
    await expect(loadDocuments(["dupkey.yaml"], { cwd: dir, readStdin: async () => "" })).rejects.toThrow(/^file dupkey.yaml document 1: /);
    await expect(loadDocuments(["bomb.yaml"], { cwd: dir, readStdin: async () => "" })).rejects.toThrow(/^file bomb.yaml document 1: /);
  });

  it("reads a JSON file to the same documents as the YAML parser reads it", () => {
    // A leading comment line makes the text YAML-only, so the second call takes the YAML parser's path.
    const item = fc.record({ apiVersion: fc.constant("v1"), kind: fc.constant("Pod"), metadata: fc.record({ name: fc.string() }), spec: fc.jsonValue({ maxDepth: 6 }) });
    const json = fc.oneof(item, fc.record({ apiVersion: fc.constant("v1"), kind: fc.constant("List"), items: fc.array(fc.oneof(item, fc.constant(null))) }), fc.array(item), fc.dictionary(fc.string(), fc.jsonValue()));
    fc.assert(
      fc.property(json, fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        const fast: InputProblem[] = [];
        const slow: InputProblem[] = [];
        expect(parseDocuments(text, "f.json", fast)).toEqual(parseDocuments(`#\n${text}`, "f.json", slow));
        expect(fast).toEqual(slow);
      }),
    );
  });

  it("refuses a JSON file's duplicate keys and names the position of its syntax errors, as the YAML parser does", async () => {
    writeFileSync(join(dir, "dupkey.json"), `{"kind": "Pod", "metadata": {"name": "a", "labels": {"x": "1", "x": "2"}}}`);
    writeFileSync(join(dir, "broken.json"), `{\n  "kind": "Pod",\n  "metadata": {"name": "a" "b": 1}\n}`);
    await expect(loadDocuments(["dupkey.json"], { cwd: dir, readStdin: async () => "" })).rejects.toThrow(/^file dupkey.json document 1: .*unique/);
    const problems = await loadDocuments(["broken.json"], { cwd: dir, readStdin: async () => "" }).then(
      () => [],
      (e: InputError) => e.problems.map(formatProblem),
    );
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p).toMatch(/^file broken\.json document 1: .* at line 3, column \d+$/);
  });
});
