/**
 * The structure check and drawing (issue 8): reads the relative imports of every TypeScript file
 * under lib/, groups files into folders (adapters by port and kind, e.g. cluster/kube, everything
 * else by its first folder), and reports
 *  - imports from a flow or domain folder to an adapter or to the composition root (lib/wiring),
 *    from an adapter to the wiring or to another port's adapter;
 *  - import cycles, between files and between folders;
 * and draws the folder graph as mermaid. `npx tsx scripts/structure.ts` prints the problems (exit 1
 * if any); `--write` also rewrites the drawing in docs/architecture.md. test/structure.test.ts runs it.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Adapter folders: `lib/<port>/<adapter>/`, plus helpers shared by one port's adapters. */
export const ADAPTERS = [
  "cluster/kube", "cluster/in-memory",
  "cloud/aws", "cloud/in-memory",
  "store/dynamodb", "store/in-memory", "store",
  "blob/s3", "blob/in-memory", "blob",
  "queue/sqs", "queue/in-memory",
] as const;
/** The composition root. */
export const WIRING = "wiring";
/**
 * Folders that sit at the edge and may import adapters and the wiring: the commands, the demo,
 * and the replay (its Tenon runs wire the real functions to the simulated world, as the demo does).
 */
export const EDGES = ["cli", "simulate", "demo", "cloud", "replay"] as const;

export type Kind = "adapter" | "wiring" | "edge" | "core";

export interface Structure {
  /** file (relative to lib/) -> files it imports (relative to lib/) */
  files: Map<string, Set<string>>;
  /** folder -> folders it imports, with how many import statements */
  folders: Map<string, Map<string, number>>;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

/** The relative imports of one source text, as written. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) out.push((m[1] ?? m[2])!);
  return out;
}

/** Which folder a file (relative to lib/) belongs to. */
export function folderOf(file: string): string {
  const parts = file.split("/");
  if (parts.length === 1) return "(root)";
  const two = parts.slice(0, 2).join("/");
  if (parts.length > 2 && (ADAPTERS as readonly string[]).includes(two)) return two;
  return parts[0]!;
}

export function kindOf(folder: string): Kind {
  if (folder === WIRING) return "wiring";
  if ((ADAPTERS as readonly string[]).includes(folder)) return "adapter";
  if ((EDGES as readonly string[]).includes(folder)) return "edge";
  return "core";
}

export function readStructure(libDir = join(ROOT, "lib")): Structure {
  const files = new Map<string, Set<string>>();
  const folders = new Map<string, Map<string, number>>();
  for (const path of walk(libDir)) {
    const file = relative(libDir, path).split("\\").join("/");
    const targets = new Set<string>();
    for (const spec of importsOf(readFileSync(path, "utf8"))) {
      const target = normalize(join(dirname(file), spec)).split("\\").join("/");
      if (target.startsWith("..")) continue; // outside lib/ (never expected)
      targets.add(target);
      const from = folderOf(file);
      const to = folderOf(target);
      if (from === to) continue;
      const row = folders.get(from) ?? new Map<string, number>();
      row.set(to, (row.get(to) ?? 0) + 1);
      folders.set(from, row);
    }
    files.set(file, targets);
    if (!folders.has(folderOf(file))) folders.set(folderOf(file), new Map());
  }
  return { files, folders };
}

/** Imports from core code (flows, domain, ports) to an adapter or the wiring, and from anything but an edge into the wiring. */
export function forbiddenImports(structure: Structure): string[] {
  const out: string[] = [];
  for (const [file, targets] of structure.files) {
    const from = folderOf(file);
    const fromKind = kindOf(from);
    for (const target of targets) {
      const to = folderOf(target);
      if (to === from) continue;
      const toKind = kindOf(to);
      if (fromKind === "core" && (toKind === "adapter" || toKind === "wiring")) out.push(`lib/${file} imports lib/${target} (${from} is core code; ${to} is ${toKind === "wiring" ? "the composition root" : "an adapter"})`);
      else if (fromKind === "adapter" && toKind === "wiring") out.push(`lib/${file} imports lib/${target} (an adapter must not import the composition root)`);
      else if (fromKind === "adapter" && toKind === "adapter" && from.split("/")[0] !== to.split("/")[0]) out.push(`lib/${file} imports lib/${target} (an adapter must not import another port's adapter)`);
    }
  }
  return out.sort();
}

/** Strongly connected components with more than one member (or a self-loop), via Tarjan. */
export function cyclesOf(graph: Map<string, Iterable<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = [...(graph.get(v) ?? [])].includes(v);
      if (component.length > 1 || selfLoop) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indexOf.has(v)) visit(v);
  return out;
}

export function fileCycles(structure: Structure): string[][] {
  return cyclesOf(structure.files);
}

export function folderCycles(structure: Structure): string[][] {
  return cyclesOf(new Map([...structure.folders].map(([k, v]) => [k, v.keys()])));
}

export function problems(structure: Structure): string[] {
  return [
    ...forbiddenImports(structure),
    ...fileCycles(structure).map((c) => `import cycle between files: ${c.map((f) => `lib/${f}`).join(", ")}`),
    ...folderCycles(structure).map((c) => `import cycle between folders: ${c.join(", ")}`),
  ];
}

const SHAPE: Record<Kind, [string, string]> = { core: ["[", "]"], adapter: ["[/", "/]"], wiring: ["{{", "}}"], edge: ["([", "])"] };

/** The folder graph as a mermaid flowchart (edges sorted, so the text is stable). */
export function drawing(structure: Structure): string {
  const id = (folder: string) => folder.replace(/[^a-zA-Z0-9]/g, "_");
  const lines = ["```mermaid", "flowchart LR"];
  for (const folder of [...structure.folders.keys()].sort()) {
    const [open, close] = SHAPE[kindOf(folder)];
    lines.push(`  ${id(folder)}${open}"${folder}"${close}`);
  }
  for (const [from, row] of [...structure.folders].sort(([a], [b]) => a.localeCompare(b))) {
    for (const to of [...row.keys()].sort()) lines.push(`  ${id(from)} --> ${id(to)}`);
  }
  lines.push("```");
  return lines.join("\n");
}

const BEGIN = "<!-- structure drawing: generated by `npx tsx scripts/structure.ts --write`; do not edit -->";
const END = "<!-- end of structure drawing -->";

/** docs/architecture.md with its drawing replaced by `text`. */
export function withDrawing(markdown: string, text: string): string {
  const start = markdown.indexOf(BEGIN);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/architecture.md: the markers ${BEGIN} and ${END} are missing`);
  return `${markdown.slice(0, start + BEGIN.length)}\n${text}\n${markdown.slice(end)}`;
}

export const ARCHITECTURE_DOC = join(ROOT, "docs", "architecture.md");

function main(argv: string[]): void {
  const structure = readStructure();
  if (argv.includes("--write")) {
    writeFileSync(ARCHITECTURE_DOC, withDrawing(readFileSync(ARCHITECTURE_DOC, "utf8"), drawing(structure)));
  }
  if (argv.includes("--print")) console.log(drawing(structure));
  const found = problems(structure);
  for (const line of found) console.log(line);
  if (found.length > 0) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
