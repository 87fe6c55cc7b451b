/**
 * Reading untyped documents field by field while collecting every problem, so a user sees all
 * mistakes in an object at once. Each reader returns the typed value, or undefined after
 * recording why it could not.
 */
import type { InputProblem } from "../errors.ts";

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `a string`, `a number`, `a list`, `an object`, `null`: for "must be X, got Y" messages. */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return Number.isInteger(value) ? "an integer" : "a number";
    case "boolean":
      return "a boolean";
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}

/** A value as it appears in a message: strings quoted, other scalars as written, anything else as JSON. */
export function quote(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  try {
    return JSON.stringify(value) ?? describeType(value);
  } catch {
    return describeType(value);
  }
}

/** Joins a path: `child("spec", "template")` = `spec.template`; index: `child("x", 2)` = `x[2]`. */
export function child(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  // Keys with dots or slashes (labels, tags) are shown in brackets so the path stays readable.
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export class Problems {
  readonly list: InputProblem[] = [];
  constructor(readonly object: string) {}

  add(path: string, reason: string): undefined {
    this.list.push({ object: this.object, path, reason });
    return undefined;
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Reports keys of `value` not in `known`: kubectl's strict field validation refuses them. */
  unknownFields(value: Json, path: string, known: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.add(child(path, key), `unknown field (expected one of ${known.join(", ")})`);
    }
  }

  record(value: unknown, path: string): Json | undefined {
    if (value === undefined) return undefined;
    if (!isRecord(value)) return this.add(path, `must be an object, got ${describeType(value)}`);
    return value;
  }

  requiredRecord(value: unknown, path: string): Json | undefined {
    if (value === undefined || value === null) return this.add(path, "is required");
    return this.record(value, path);
  }

  string(value: unknown, path: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "string") return this.add(path, `must be a string, got ${describeType(value)}`);
    return value;
  }

  requiredString(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return this.add(path, "is required");
    return this.string(value, path);
  }

  /** A non-empty string (CEL `self != ''`). */
  nonEmptyString(value: unknown, path: string, required: boolean): string | undefined {
    if (required && (value === undefined || value === null)) return this.add(path, "is required");
    const text = this.string(value, path);
    if (text === "") return this.add(path, "may not be empty");
    return text;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") return this.add(path, `must be true or false, got ${describeType(value)}`);
    return value;
  }

  integer(value: unknown, path: string, min?: number, max?: number): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value)) return this.add(path, `must be an integer, got ${describeType(value)}${typeof value === "number" || typeof value === "string" ? ` ${quote(value)}` : ""}`);
    if (min !== undefined && value < min) return this.add(path, `${value} is less than the minimum ${min}`);
    if (max !== undefined && value > max) return this.add(path, `${value} is greater than the maximum ${max}`);
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "string" || !allowed.includes(value as T)) {
      return this.add(path, `${quote(value)} is not one of ${allowed.join(", ")}`);
    }
    return value as T;
  }

  array(value: unknown, path: string, maxItems?: number): unknown[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return this.add(path, `must be a list, got ${describeType(value)}`);
    if (maxItems !== undefined && value.length > maxItems) return this.add(path, `has ${value.length} items, more than the maximum ${maxItems}`);
    return value;
  }

  stringList(value: unknown, path: string): string[] | undefined {
    const items = this.array(value, path);
    if (!items) return undefined;
    const out: string[] = [];
    items.forEach((item, i) => {
      const text = this.string(item, child(path, i));
      if (text !== undefined) out.push(text);
    });
    return out.length === items.length ? out : undefined;
  }

  /** A map of strings; numbers and booleans are refused, as the API server refuses them. */
  stringMap(value: unknown, path: string, maxProperties?: number): Record<string, string> | undefined {
    const map = this.record(value, path);
    if (!map) return undefined;
    if (maxProperties !== undefined && Object.keys(map).length > maxProperties) {
      return this.add(path, `has ${Object.keys(map).length} entries, more than the maximum ${maxProperties}`);
    }
    const out: Record<string, string> = {};
    let ok = true;
    for (const [key, item] of Object.entries(map)) {
      const text = this.string(item, child(path, key));
      if (text === undefined) ok = false;
      else out[key] = text;
    }
    return ok ? out : undefined;
  }
}

/** The object's name for error lines: `NodePool default`, or `NodePool (unnamed)`. */
export function objectLabel(kind: string, raw: unknown): string {
  const metadata = isRecord(raw) ? raw["metadata"] : undefined;
  const name = isRecord(metadata) ? metadata["name"] : undefined;
  return typeof name === "string" && name !== "" ? `${kind} ${name}` : `${kind} (unnamed)`;
}

/**
 * A copy without null-valued object fields: YAML writes an empty `labels:` as null, and the API
 * server drops nulls for fields that are not nullable, so null means "not set" here too.
 * Nulls inside lists stay, and are reported where they appear.
 */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = withoutNulls(item);
  return out;
}
