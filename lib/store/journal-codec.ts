/** What both store adapters share for journal items: validation, encoding and the index keys. */
import { InputError } from "../errors.ts";
import { JOURNAL_LIMITS, JOURNAL_SUBJECT_KINDS, type JournalEntry, type JournalQuery } from "../ports/journal.ts";
import { assertTime, utf8Bytes } from "./codec.ts";
import { journalEntrySk, journalSubjectSk } from "./keys.ts";

/** An entry's JSON may be at most this big: a quarter of DynamoDB's item limit. */
export const JOURNAL_ENTRY_MAX_BYTES = 100 * 1024;
export const DEFAULT_JOURNAL_LIMIT = 100;

export interface EncodedJournalEntry {
  sk: string;
  body: string;
  /** Sort keys of the index items, one per subject (deduplicated). */
  subjectSks: string[];
}

export function encodeJournalEntry(entry: JournalEntry, expiresAtMs: number): EncodedJournalEntry {
  const what = `journal entry ${entry.id}`;
  assertTime(what, "atMs", entry.atMs);
  assertTime(what, "expiresAtMs", expiresAtMs);
  const sk = journalEntrySk(entry.atMs, entry.id);
  if (entry.subjects.length > JOURNAL_LIMITS.subjects) {
    throw new InputError({ object: what, path: "subjects", reason: `names ${entry.subjects.length} subjects; at most ${JOURNAL_LIMITS.subjects}` });
  }
  const subjectSks = [...new Set(entry.subjects.map((s) => {
    if (!JOURNAL_SUBJECT_KINDS.includes(s.kind)) throw new InputError({ object: what, path: "subjects", reason: `"${s.kind}" is not one of ${JOURNAL_SUBJECT_KINDS.join(", ")}` });
    return journalSubjectSk(s.kind, s.name, entry.atMs, entry.id);
  }))];
  // The subjects live in the index items: the entry itself does not repeat them.
  const body = JSON.stringify({ ...entry, subjects: [] });
  const bytes = utf8Bytes(body);
  if (bytes > JOURNAL_ENTRY_MAX_BYTES) throw new InputError({ object: what, path: "", reason: `is ${bytes} bytes as JSON; a journal entry may be at most ${JOURNAL_ENTRY_MAX_BYTES}` });
  return { sk, body, subjectSks };
}

export function checkJournalQuery(query: JournalQuery): number {
  assertTime("journal query", "fromMs", query.fromMs);
  assertTime("journal query", "toMs", query.toMs);
  const limit = query.limit ?? DEFAULT_JOURNAL_LIMIT;
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new InputError({ object: "journal query", path: "limit", reason: `${limit} is not a positive integer` });
  return limit;
}

/** The entry sort key an index item's sort key points at (same time and id). */
export function entrySkOfSubjectSk(subjectSk: string): string {
  const parts = subjectSk.split("#");
  const id = parts[parts.length - 1]!;
  const at = parts[parts.length - 2]!;
  return journalEntrySk(Number(at), id);
}
