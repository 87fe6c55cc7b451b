/**
 * The TOML subset Bottlerocket user data uses: tables and dotted/quoted keys, strings, integers,
 * floats, booleans, arrays and inline tables. Enough to merge a user's settings with ours; multi-line
 * strings and dates are rejected with a clear error rather than misread.
 */
export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

export class TomlError extends Error {
  constructor(line: number, reason: string) {
    super(`TOML line ${line}: ${reason}`);
    this.name = "TomlError";
  }
}

function isTable(v: TomlValue | undefined): v is TomlTable {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Own properties only: a key such as `toString` or `__proto__` is data, never the prototype's. */
function getOwn(table: TomlTable, key: string): TomlValue | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function setOwn<T extends TomlValue>(table: TomlTable, key: string, value: T): T {
  Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
  return value;
}

class Reader {
  pos = 0;
  constructor(readonly text: string, readonly line: () => number) {}
  peek(): string {
    return this.text[this.pos] ?? "";
  }
  skipSpace(newlines = false): void {
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || (newlines && (c === "\n" || c === "\r"))) this.pos++;
      else if (newlines && c === "#") while (this.pos < this.text.length && this.peek() !== "\n") this.pos++;
      else return;
    }
  }
  fail(reason: string): never {
    throw new TomlError(this.line(), reason);
  }
}

function readKey(r: Reader): string[] {
  const parts: string[] = [];
  for (;;) {
    r.skipSpace();
    const c = r.peek();
    if (c === '"' || c === "'") parts.push(readString(r));
    else {
      const m = /^[A-Za-z0-9_-]+/.exec(r.text.slice(r.pos));
      if (!m) r.fail(`expected a key at "${r.text.slice(r.pos, r.pos + 10)}"`);
      parts.push(m[0]);
      r.pos += m[0].length;
    }
    r.skipSpace();
    if (r.peek() !== ".") return parts;
    r.pos++;
  }
}

function readString(r: Reader): string {
  const quote = r.peek();
  if (r.text.startsWith(quote.repeat(3), r.pos)) r.fail("multi-line strings are not supported");
  r.pos++;
  let out = "";
  for (;;) {
    const c = r.peek();
    if (c === "" || c === "\n") r.fail("unterminated string");
    r.pos++;
    if (c === quote) return out;
    if (c === "\\" && quote === '"') {
      const e = r.peek();
      r.pos++;
      const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", b: "\b", f: "\f" };
      if (e in simple) out += simple[e];
      else if (e === "u" || e === "U") {
        const len = e === "u" ? 4 : 8;
        out += String.fromCodePoint(parseInt(r.text.slice(r.pos, r.pos + len), 16));
        r.pos += len;
      } else r.fail(`bad escape \\${e}`);
    } else out += c;
  }
}

function readValue(r: Reader): TomlValue {
  r.skipSpace();
  const c = r.peek();
  if (c === '"' || c === "'") return readString(r);
  if (c === "[") {
    r.pos++;
    const items: TomlValue[] = [];
    for (;;) {
      r.skipSpace(true);
      if (r.peek() === "]") {
        r.pos++;
        return items;
      }
      items.push(readValue(r));
      r.skipSpace(true);
      if (r.peek() === ",") r.pos++;
      else if (r.peek() !== "]") r.fail("expected , or ] in array");
    }
  }
  if (c === "{") {
    r.pos++;
    const table: TomlTable = {};
    r.skipSpace();
    if (r.peek() === "}") {
      r.pos++;
      return table;
    }
    for (;;) {
      const key = readKey(r);
      if (r.peek() !== "=") r.fail("expected = in inline table");
      r.pos++;
      setPath(table, key, readValue(r), r);
      r.skipSpace();
      if (r.peek() === ",") r.pos++;
      else if (r.peek() === "}") {
        r.pos++;
        return table;
      } else r.fail("expected , or } in inline table");
    }
  }
  const m = /^[^\s,\]}#]+/.exec(r.text.slice(r.pos));
  if (!m) r.fail("expected a value");
  r.pos += m[0].length;
  const word = m[0];
  if (word === "true") return true;
  if (word === "false") return false;
  const num = word.replace(/_/g, "");
  if (/^[+-]?\d+$/.test(num)) return Number.parseInt(num, 10);
  if (/^[+-]?(\d+\.\d+([eE][+-]?\d+)?|\d+[eE][+-]?\d+)$/.test(num)) return Number.parseFloat(num);
  if (/^0x[0-9a-fA-F]+$/.test(num)) return Number.parseInt(num.slice(2), 16);
  return r.fail(`unsupported value "${word}"`);
}

function setPath(root: TomlTable, path: string[], value: TomlValue, r: Reader): void {
  let table = root;
  for (const part of path.slice(0, -1)) {
    const next = getOwn(table, part);
    if (next === undefined) table = setOwn(table, part, {});
    else if (isTable(next)) table = next;
    else r.fail(`key ${path.join(".")} redefines a value`);
  }
  const last = path[path.length - 1]!;
  if (Object.hasOwn(table, last)) r.fail(`key ${path.join(".")} is defined twice`);
  setOwn(table, last, value);
}

export function parseToml(text: string): TomlTable {
  const root: TomlTable = {};
  let current = root;
  const r: Reader = new Reader(text, (): number => text.slice(0, r.pos).split("\n").length);
  for (;;) {
    r.skipSpace(true);
    if (r.pos >= text.length) return root;
    if (r.peek() === "[") {
      r.pos++;
      if (r.peek() === "[") r.fail("arrays of tables are not supported");
      const path = readKey(r);
      if (r.peek() !== "]") r.fail("expected ] after table name");
      r.pos++;
      current = root;
      for (const part of path) {
        const next = getOwn(current, part);
        if (next === undefined) current = setOwn(current, part, {});
        else if (isTable(next)) current = next;
        else r.fail(`table ${path.join(".")} redefines a value`);
      }
    } else {
      const key = readKey(r);
      if (r.peek() !== "=") r.fail(`expected = after key ${key.join(".")}`);
      r.pos++;
      setPath(current, key, readValue(r), r);
    }
    r.skipSpace();
    if (r.peek() === "#") while (r.pos < text.length && r.peek() !== "\n") r.pos++;
    if (r.pos < text.length && r.peek() !== "\n" && r.peek() !== "\r") r.fail("expected end of line");
  }
}

function formatKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

function formatValue(v: TomlValue): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(v).includes(".") ? String(v) : `${v}.0`;
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
  return `{ ${Object.entries(v).map(([k, x]) => `${formatKey(k)} = ${formatValue(x)}`).join(", ")} }`;
}

/** Tables as `[a.b]` sections, scalars and arrays as `key = value`, key order kept. */
export function stringifyToml(root: TomlTable): string {
  const lines: string[] = [];
  const emit = (table: TomlTable, path: string[]) => {
    const scalars = Object.entries(table).filter(([, v]) => !isTable(v));
    const tables = Object.entries(table).filter(([, v]) => isTable(v)) as Array<[string, TomlTable]>;
    if (path.length > 0 && (scalars.length > 0 || tables.length === 0)) {
      if (lines.length > 0) lines.push("");
      lines.push(`[${path.map(formatKey).join(".")}]`);
    }
    for (const [k, v] of scalars) lines.push(`${formatKey(k)} = ${formatValue(v)}`);
    for (const [k, v] of tables) emit(v, [...path, k]);
  };
  emit(root, []);
  return `${lines.join("\n")}\n`;
}
