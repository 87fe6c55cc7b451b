/**
 * Loading Kubernetes documents from files, directories and stdin: YAML (multi-document) or JSON,
 * with `kind: List` expanded and empty documents skipped. A file that is one JSON value is read with
 * JSON.parse (fast on large inputs), anything else with the YAML parser. Shared by `tenon validate` and
 * `tenon simulate`. Every problem (unreadable file, YAML syntax) is collected before throwing one
 * InputError, so the user sees them all.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { InputError, type InputProblem } from "../errors.ts";
import { describeType, isRecord } from "./fields.ts";

export interface LoadedDocument {
  /** Where it came from: `examples/web.yaml#2` (1-based document), `-#1` for stdin, `...#2.items[0]` inside a List. */
  readonly source: string;
  readonly doc: unknown;
}

export interface DocumentSourceIO {
  cwd: string;
  readStdin(): Promise<string>;
}

const DOCUMENT_FILE = /\.(ya?ml|json)$/i;
/** Enough for any real manifest; stops "billion laughs" alias bombs. */
const MAX_ALIAS_COUNT = 1000;

/** The files a path stands for: the file itself, or a directory's YAML/JSON files sorted by name. */
async function expandPath(path: string, io: DocumentSourceIO, problems: InputProblem[]): Promise<string[]> {
  const absolute = isAbsolute(path) ? path : resolve(io.cwd, path);
  try {
    const info = await stat(absolute);
    if (!info.isDirectory()) return [path];
    const names = (await readdir(absolute)).filter((name) => DOCUMENT_FILE.test(name)).sort();
    const files: string[] = [];
    for (const name of names) {
      if ((await stat(join(absolute, name))).isFile()) files.push(join(path, name));
    }
    return files;
  } catch (error) {
    problems.push({ object: `file ${path}`, path: "", reason: describeFsError(error) });
    return [];
  }
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return error instanceof Error ? error.message : String(error);
}

/** Parses one file's text into documents; syntax errors become problems naming the document. */
export function parseDocuments(text: string, file: string, problems: InputProblem[]): LoadedDocument[] {
  const out: LoadedDocument[] = [];
  const json = parseJson(text);
  if (json !== undefined) {
    addDocument(json.value, 0, file, out, problems);
    return out;
  }
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((document, index) => {
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        problems.push({ object: `file ${file} document ${index + 1}`, path: "", reason: yamlReason(error.message) });
      }
      return;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      problems.push({ object: `file ${file} document ${index + 1}`, path: "", reason: yamlReason((error as Error).message) });
      return;
    }
    addDocument(value, index, file, out, problems);
  });
  return out;
}

function addDocument(value: unknown, index: number, file: string, out: LoadedDocument[], problems: InputProblem[]): void {
  const source = `${file}#${index + 1}`;
  if (value === null || value === undefined) return;
  if (!isRecord(value)) {
    problems.push({ object: `file ${file} document ${index + 1}`, path: "", reason: `expected a Kubernetes object (a mapping with apiVersion and kind), got ${describeType(value)}` });
    return;
  }
  if (value["kind"] === "List" && Array.isArray(value["items"])) {
    value["items"].forEach((item: unknown, i: number) => {
      if (item === null || item === undefined) return;
      out.push({ source: `${source}.items[${i}]`, doc: item });
    });
    return;
  }
  out.push({ source, doc: value });
}

/** Deeper than any Kubernetes object; such input goes to the YAML parser, which says it plainly. */
const MAX_JSON_DEPTH = 100;

/**
 * A file that is one JSON value (an object, a `kind: List`, an array), read with JSON.parse: a
 * thousand times faster than the YAML parser on large inputs, with the same result. Returns
 * undefined for anything else, and for JSON the YAML parser reads differently or refuses
 * (duplicate keys, extreme nesting), so such input, and every JSON syntax error, takes the
 * YAML path and gets the same messages as before.
 */
function parseJson(text: string): { value: unknown } | undefined {
  let start = 0;
  if (text.charCodeAt(0) === 0xfeff) start = 1;
  while (start < text.length && isJsonSpace(text.charCodeAt(start))) start++;
  const first = text.charCodeAt(start);
  if (first !== 0x7b /* { */ && first !== 0x5b /* [ */) return undefined;
  const shape = scanJson(text, start);
  if (shape.maxDepth > MAX_JSON_DEPTH) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(start > 0 ? text.slice(start) : text);
  } catch {
    return undefined;
  }
  // JSON.parse keeps the last of duplicate keys where YAML refuses them: fewer keys than the text names means a duplicate.
  if (countKeys(value) !== shape.keys) return undefined;
  return { value };
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Counts object keys (strings followed by a colon) and the deepest nesting, outside strings. */
function scanJson(text: string, start: number): { keys: number; maxDepth: number } {
  let keys = 0;
  let depth = 0;
  let maxDepth = 0;
  let afterString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < text.length) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      afterString = true;
      continue;
    }
    if (isJsonSpace(c)) continue;
    if (c === 0x3a /* : */ && afterString) keys++;
    afterString = false;
    if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > maxDepth) maxDepth = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return { keys, maxDepth };
}

function countKeys(value: unknown): number {
  let keys = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
      continue;
    }
    for (const key in v) {
      keys++;
      stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return keys;
}

/**
 * The parser's message as one line: its first line, without the ":" that introduced the source
 * excerpt it printed below, and with a stack overflow on deeply nested input said plainly.
 */
export function yamlReason(message: string): string {
  const line = message.split("\n")[0]!.trim().replace(/:$/, "");
  const overflow = /^Maximum call stack size exceeded(.*)$/.exec(line);
  if (overflow) return `is nested too deeply to read${overflow[1] ?? ""} (Kubernetes objects nest a few dozen levels at most)`;
  return line;
}

/**
 * Reads every document from the given paths, in order: files, directories (their *.yaml, *.yml
 * and *.json files by name) and `-` for stdin. Throws InputError listing every problem.
 */
export async function loadDocuments(paths: readonly string[], io: DocumentSourceIO): Promise<LoadedDocument[]> {
  const problems: InputProblem[] = [];
  const out: LoadedDocument[] = [];
  let stdinRead = false;
  for (const path of paths) {
    if (path === "-") {
      if (stdinRead) continue;
      stdinRead = true;
      out.push(...parseDocuments(await io.readStdin(), "-", problems));
      continue;
    }
    for (const file of await expandPath(path, io, problems)) {
      let text: string;
      try {
        text = await readFile(isAbsolute(file) ? file : resolve(io.cwd, file), "utf8");
      } catch (error) {
        problems.push({ object: `file ${file}`, path: "", reason: describeFsError(error) });
        continue;
      }
      out.push(...parseDocuments(text, file, problems));
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return out;
}
