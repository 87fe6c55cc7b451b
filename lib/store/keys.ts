/**
 * The table's key layout, shared by the DynamoDB adapter and the in-memory store so both order
 * and name records the same way. One partition per cluster and item type; the sort key starts
 * with the type too.
 * See docs/state.md.
 */
import { createHash } from "node:crypto";
import { InputError } from "../errors.ts";
import type { OfferingKey } from "../ports/unavailable-offerings.ts";
import type { ConfigKind } from "../ports/store.ts";

export const NODECLAIM_PREFIX = "NODECLAIM#";
export const BATCH_SK = "BATCH#current";
export const LEASE_PREFIX = "LEASE#";
export const UNAVAILABLE_PREFIX = "UNAVAILABLE#";
export const STATE_MANIFEST_SK = "STATE#manifest";
export const STATE_PAGE_PREFIX = "STATE#page#";
export const COMMAND_PREFIX = "COMMAND#";
/** Journal entries by time, and the per-subject index items that point at them (docs/explain.md). */
export const JOURNAL_AT_PREFIX = "JOURNAL#at#";
export const JOURNAL_ABOUT_PREFIX = "JOURNAL#about#";
/** The status Tenon reports for a NodePool or EC2NodeClass kept in the table (`STATUS#<kind>#<name>`). */
export const STATUS_PREFIX = "STATUS#";
/** Kubernetes Events published recently, by dedupe key (short TTL items: lib/actions/events.ts). */
export const EVENT_PREFIX = "EVENT#";

const CONFIG_PREFIX: Record<ConfigKind, string> = { NodePool: "NODEPOOL#", EC2NodeClass: "EC2NODECLASS#" };

/** Generations are padded so the sort key orders them numerically. */
const GENERATION_DIGITS = 16;
const PAGE_INDEX_DIGITS = 6;
export const MAX_GENERATION = 10 ** GENERATION_DIGITS - 1;

/** A key part must be non-empty and free of the `#` separator, so keys never collide. */
export function assertKeyPart(what: string, value: string): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new InputError({ object: what, path: "", reason: "name must be a non-empty string" });
  }
  if (value.includes("#")) {
    throw new InputError({ object: `${what} ${value}`, path: "", reason: 'name must not contain "#"' });
  }
}

export function clusterPk(clusterName: string): string {
  assertKeyPart("cluster", clusterName);
  return `CLUSTER#${clusterName}`;
}

/**
 * The kinds of item, each in a partition of its own: `CLUSTER#<name>#<type>`. IAM can scope a
 * request only by its partition key (`dynamodb:LeadingKeys`), not by the sort key, so giving each
 * item type its own partition lets a function's role name exactly the types it may read or write
 * (infra/function-specs.ts, docs/iam.md). The type is the sort key's first part.
 */
export const ITEM_TYPES = ["NODECLAIM", "BATCH", "LEASE", "UNAVAILABLE", "STATE", "NODEPOOL", "EC2NODECLASS", "COMMAND", "JOURNAL", "EVENT", "STATUS"] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

/** The partition that holds one item type of one cluster. */
export function itemPk(clusterName: string, type: ItemType): string {
  return `${clusterPk(clusterName)}#${type}`;
}

/** The item type a sort key (or a sort-key prefix) belongs to. */
export function itemTypeOf(sk: string): ItemType {
  const type = sk.slice(0, sk.indexOf("#"));
  if (!(ITEM_TYPES as readonly string[]).includes(type)) throw new Error(`sort key ${sk} names no known item type`);
  return type as ItemType;
}

export function nodeClaimSk(name: string): string {
  assertKeyPart("NodeClaim", name);
  return NODECLAIM_PREFIX + name;
}

export function commandSk(id: string): string {
  assertKeyPart("disruption command", id);
  return COMMAND_PREFIX + id;
}

export function leaseSk(name: string): string {
  assertKeyPart("lease", name);
  return LEASE_PREFIX + name;
}

export function unavailableSk(key: OfferingKey): string {
  assertKeyPart("offering instance type", key.instanceType);
  assertKeyPart("offering zone", key.zone);
  assertKeyPart("offering capacity type", key.capacityType);
  return `${UNAVAILABLE_PREFIX}${key.instanceType}#${key.zone}#${key.capacityType}`;
}

/** An event's dedupe item: the key as is when it is short and has no `#`, else its digest. */
export function eventSk(key: string): string {
  if (typeof key !== "string" || key.length === 0) throw new InputError({ object: "event dedupe key", path: "", reason: "must be a non-empty string" });
  if (key.length <= 200 && !key.includes("#")) return `${EVENT_PREFIX}${key}`;
  return `${EVENT_PREFIX}sha256-${createHash("sha256").update(key).digest("hex")}`;
}

export function statusSk(kind: ConfigKind, name: string): string {
  configSk(kind, name); // validates the kind and the name
  return `${STATUS_PREFIX}${kind}#${name}`;
}

export function configPrefix(kind: ConfigKind): string {
  if (!Object.hasOwn(CONFIG_PREFIX, kind)) {
    throw new InputError({ object: `kind ${String(kind)}`, path: "", reason: `is not one of ${Object.keys(CONFIG_PREFIX).join(", ")}` });
  }
  return CONFIG_PREFIX[kind];
}

export function configSk(kind: ConfigKind, name: string): string {
  configPrefix(kind);
  assertKeyPart(kind, name);
  return CONFIG_PREFIX[kind] + name;
}

export function assertGeneration(generation: number): void {
  if (!Number.isSafeInteger(generation) || generation < 0 || generation > MAX_GENERATION) {
    throw new InputError({ object: "cluster state", path: "generation", reason: `${generation} is not an integer from 0 to ${MAX_GENERATION}` });
  }
}

function padGeneration(generation: number): string {
  return String(generation).padStart(GENERATION_DIGITS, "0");
}

/** All pages of one published snapshot: generation plus the writer's unique id. */
export function statePagePrefix(generation: number, writerId: string): string {
  return `${STATE_PAGE_PREFIX}${padGeneration(generation)}#${writerId}#`;
}

export function statePageSk(generation: number, writerId: string, index: number): string {
  return statePagePrefix(generation, writerId) + String(index).padStart(PAGE_INDEX_DIGITS, "0");
}

/** Sort-key upper bound (exclusive) for pages of generations below `generation`. */
export function statePagesBelow(generation: number): string {
  return STATE_PAGE_PREFIX + padGeneration(generation);
}

const TIME_DIGITS = 15;

function padTime(ms: number): string {
  return String(Math.max(0, Math.trunc(ms))).padStart(TIME_DIGITS, "0");
}

/** A journal entry: `JOURNAL#at#<ms, padded>#<run id>`, so a time range is one sort-key range. */
export function journalEntrySk(atMs: number, id: string): string {
  assertKeyPart("journal entry", id);
  return `${JOURNAL_AT_PREFIX}${padTime(atMs)}#${id}`;
}

/** Sort-key bounds (inclusive) of the entries written from `fromMs` to `toMs`. */
export function journalEntryRange(fromMs: number, toMs: number): [string, string] {
  return [`${JOURNAL_AT_PREFIX}${padTime(fromMs)}#`, `${JOURNAL_AT_PREFIX}${padTime(toMs)}#~`];
}

function subjectPrefix(kind: string, name: string): string {
  assertKeyPart(`journal subject ${kind}`, name);
  return `${JOURNAL_ABOUT_PREFIX}${kind}#${name}#`;
}

/** The index item saying entry (atMs, id) concerns this subject: `JOURNAL#about#<kind>#<name>#<ms>#<id>`. */
export function journalSubjectSk(kind: string, name: string, atMs: number, id: string): string {
  assertKeyPart("journal entry", id);
  return `${subjectPrefix(kind, name)}${padTime(atMs)}#${id}`;
}

/** Sort-key bounds (inclusive) of one subject's index items from `fromMs` to `toMs`. */
export function journalSubjectRange(kind: string, name: string, fromMs: number, toMs: number): [string, string] {
  const prefix = subjectPrefix(kind, name);
  return [`${prefix}${padTime(fromMs)}#`, `${prefix}${padTime(toMs)}#~`];
}
