/**
 * Encoding shared by every Store implementation: canonical JSON bodies (so "same content" is a
 * string comparison), item-size accounting against DynamoDB's 400 KB limit, and the paging of
 * large cluster state. Pure functions; both adapters call them so they fail the same way.
 */
import { InputError } from "../errors.ts";
import {
  ConflictError,
  NODECLAIM_PHASES,
  type DisruptionCommandContent,
  type DisruptionCommandReason,
  type DisruptionCommandState,
  type NodeClaimContent,
} from "../ports/store.ts";

const DISRUPTION_COMMAND_STATES: readonly DisruptionCommandState[] = ["Validating", "Launching", "Deleting"];
const DISRUPTION_COMMAND_REASONS: readonly DisruptionCommandReason[] = ["Empty", "Underutilized", "Drifted"];

/** DynamoDB's hard limit on one item (names plus values). */
export const DYNAMODB_ITEM_LIMIT_BYTES = 400 * 1024;
/**
 * The largest body (JSON text) we put in one item. Leaves a quarter of the limit for the other
 * attributes and for our size estimate being approximate.
 */
export const MAX_BODY_BYTES = 300 * 1024;
/**
 * Target size of one cluster-state page. Small enough that a page is far from the limit even if
 * an entry is added late, large enough that 5,000 node summaries of ~1 KB fit in ~50 pages (one
 * BatchWriteItem call per 25 pages, one Query response per ~10 pages).
 */
export const STATE_PAGE_BYTES = 96 * 1024;

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/**
 * JSON text with object keys sorted and `undefined` members dropped, so equal values encode to
 * equal strings. Rejects what JSON cannot hold exactly (bigint, NaN/Infinity, functions, cycles).
 */
export function canonicalJson(value: unknown, what: string): string {
  const seen = new Set<object>();
  const encode = (v: unknown, path: string): string => {
    if (v === null) return "null";
    switch (typeof v) {
      case "string":
        return JSON.stringify(v);
      case "boolean":
        return v ? "true" : "false";
      case "number":
        if (!Number.isFinite(v)) throw new InputError({ object: what, path, reason: `${v} is not a finite number` });
        return JSON.stringify(v);
      case "object": {
        const withJson = v as { toJSON?: () => unknown };
        if (typeof withJson.toJSON === "function") return encode(withJson.toJSON(), path);
        if (seen.has(v)) throw new InputError({ object: what, path, reason: "refers to itself (a cycle)" });
        seen.add(v);
        let text: string;
        if (Array.isArray(v)) {
          text = `[${v.map((item, i) => (item === undefined ? "null" : encode(item, `${path}[${i}]`))).join(",")}]`;
        } else {
          const record = v as Record<string, unknown>;
          const parts: string[] = [];
          for (const key of Object.keys(record).sort()) {
            const member = record[key];
            if (member === undefined) continue;
            parts.push(`${JSON.stringify(key)}:${encode(member, path ? `${path}.${key}` : key)}`);
          }
          text = `{${parts.join(",")}}`;
        }
        seen.delete(v);
        return text;
      }
      default:
        throw new InputError({ object: what, path, reason: `a ${typeof v} cannot be stored as JSON` });
    }
  };
  return encode(value, "");
}

/** Canonical JSON of a body that must fit in one item. */
export function encodeBody(value: unknown, what: string): string {
  const text = canonicalJson(value, what);
  const bytes = utf8Bytes(text);
  if (bytes > MAX_BODY_BYTES) {
    throw new InputError({ object: what, path: "", reason: `is ${bytes} bytes as JSON; one stored object may be at most ${MAX_BODY_BYTES}` });
  }
  return text;
}

/**
 * Upper bound of DynamoDB's size for an item of strings, numbers, booleans, nulls, lists and maps:
 * attribute name bytes plus value bytes, numbers counted at their 21-byte maximum.
 */
export function itemSizeBytes(item: Record<string, unknown>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    total += utf8Bytes(name) + valueSizeBytes(value);
  }
  return total;
}

function valueSizeBytes(value: unknown): number {
  if (value === null || typeof value === "boolean") return 1;
  if (typeof value === "string") return utf8Bytes(value);
  if (typeof value === "number") return 21;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSizeBytes(v), 0);
  if (typeof value === "object") {
    return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => sum + 1 + utf8Bytes(k) + valueSizeBytes(v), 0);
  }
  return 0;
}

export function assertPositiveInteger(what: string, path: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InputError({ object: what, path, reason: `${value} is not a positive integer` });
  }
}

export function assertTime(what: string, path: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InputError({ object: what, path, reason: `${value} is not a time in milliseconds since the epoch` });
  }
}

/** Checks a NodeClaim record's content and encodes it; `name` is the record it must belong to. */
export function encodeNodeClaimContent(content: NodeClaimContent, name?: string): string {
  const claimName = content?.nodeClaim?.metadata?.name;
  const what = `NodeClaim ${claimName ?? name ?? "(unnamed)"}`;
  if (typeof claimName !== "string" || claimName === "") {
    throw new InputError({ object: what, path: "metadata.name", reason: "is required" });
  }
  if (name !== undefined && claimName !== name) {
    throw new InputError({ object: what, path: "metadata.name", reason: `does not match the record being written (${name})` });
  }
  if (!NODECLAIM_PHASES.includes(content.phase)) {
    throw new InputError({ object: what, path: "phase", reason: `${JSON.stringify(content.phase)} is not one of ${NODECLAIM_PHASES.join(", ")}` });
  }
  if (!Number.isSafeInteger(content.launch?.attempts) || content.launch.attempts < 0) {
    throw new InputError({ object: what, path: "launch.attempts", reason: "must be a whole number of attempts" });
  }
  return encodeBody({ nodeClaim: content.nodeClaim, phase: content.phase, launch: content.launch }, what);
}

/** Checks a disruption command's content (its state and reason drive every later step) and encodes it. */
export function encodeCommandContent(content: DisruptionCommandContent, id: string): string {
  const what = `disruption command ${id}`;
  const oneOf = (path: string, value: unknown, allowed: readonly string[]): void => {
    if (!allowed.includes(value as string)) throw new InputError({ object: what, path, reason: `${JSON.stringify(value)} is not one of ${allowed.join(", ")}` });
  };
  oneOf("state", content?.state, DISRUPTION_COMMAND_STATES);
  oneOf("reason", content.reason, DISRUPTION_COMMAND_REASONS);
  oneOf("decision", content.decision, ["delete", "replace"]);
  if (!Array.isArray(content.candidates)) throw new InputError({ object: what, path: "candidates", reason: "must be a list" });
  if (!Array.isArray(content.replacements)) throw new InputError({ object: what, path: "replacements", reason: "must be a list" });
  return encodeBody(content, what);
}

export function decodeNodeClaimContent(text: string): NodeClaimContent {
  return JSON.parse(text) as NodeClaimContent;
}

/**
 * Splits entries into pages of JSON-array text, each at most STATE_PAGE_BYTES unless a single
 * entry is larger (then it gets a page of its own, up to MAX_BODY_BYTES).
 */
export function paginateEntries(entries: readonly unknown[]): string[] {
  const pages: string[] = [];
  let current: string[] = [];
  let currentBytes = 2; // "[]"
  entries.forEach((entry, i) => {
    const text = canonicalJson(entry, `cluster state entry ${i}`);
    const bytes = utf8Bytes(text);
    if (bytes + 2 > MAX_BODY_BYTES) {
      throw new InputError({ object: `cluster state entry ${i}`, path: "", reason: `is ${bytes} bytes as JSON; one entry may be at most ${MAX_BODY_BYTES - 2}` });
    }
    const added = bytes + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && currentBytes + added > STATE_PAGE_BYTES) {
      pages.push(`[${current.join(",")}]`);
      current = [];
      currentBytes = 2;
    }
    currentBytes += bytes + (current.length > 0 ? 1 : 0);
    current.push(text);
  });
  if (current.length > 0) pages.push(`[${current.join(",")}]`);
  return pages;
}

export function joinPages(pages: readonly string[]): unknown[] {
  return pages.flatMap((page) => JSON.parse(page) as unknown[]);
}

/** Reasons are error messages of unknown length; a long one is cut so the item stays small. */
export const MAX_REASON_CHARS = 1024;
export function boundedReason(reason: string): string {
  const text = String(reason);
  return text.length > MAX_REASON_CHARS ? text.slice(0, MAX_REASON_CHARS) : text;
}

export function assertLeaseArgs(name: string, holder: string, ttlMs: number, nowMs: number): void {
  if (typeof holder !== "string" || holder === "") {
    throw new InputError({ object: `lease ${name}`, path: "holder", reason: "must be a non-empty string" });
  }
  assertPositiveInteger(`lease ${name}`, "ttlMs", ttlMs);
  assertTime(`lease ${name}`, "nowMs", nowMs);
}

export function checkExpectedVersion(what: string, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0)) {
    throw new InputError({ object: what, path: "expectedVersion", reason: `${expectedVersion} is not a whole number` });
  }
}

/** Why a conditional put of a config object failed, from the stored object as it was. */
export function configConflict(what: string, expectedVersion: number | undefined, existing: { version: number } | undefined): ConflictError {
  if (expectedVersion === 0) return new ConflictError(what, "exists", "an object of that name exists with different content");
  if (!existing) return new ConflictError(what, "missing", "no such object");
  return new ConflictError(what, "version", `expected version ${expectedVersion}, found ${existing.version}`);
}
