/**
 * The Store in memory, with the same semantics as the DynamoDB adapter (the shared contract tests
 * run against both): the same validation and encoding (lib/store/codec.ts), the same ordering
 * (by sort key), the same conflict rules. Each operation checks and writes without awaiting in
 * between, which is what a conditional write is. Used by the demo, `tenon simulate` and fast tests.
 */
import {
  ConflictError,
  type BatchWindow,
  type ClusterState,
  type ConfigKind,
  type ConfigObjectRecord,
  type ObjectStatusRecord,
  type DisruptionCommandContent,
  type DisruptionCommandRecord,
  type Lease,
  type NodeClaimContent,
  type NodeClaimRecord,
  type PutConfigObjectOptions,
  type Store,
} from "../../ports/store.ts";
import type { OfferingKey, UnavailableOffering } from "../../ports/unavailable-offerings.ts";
import type { JournalEntry, JournalQuery } from "../../ports/journal.ts";
import { checkJournalQuery, encodeJournalEntry, entrySkOfSubjectSk } from "../journal-codec.ts";
import {
  assertLeaseArgs,
  assertPositiveInteger,
  assertTime,
  boundedReason,
  checkExpectedVersion,
  configConflict,
  decodeNodeClaimContent,
  encodeBody,
  encodeCommandContent,
  encodeNodeClaimContent,
  joinPages,
  paginateEntries,
} from "../codec.ts";
import { assertGeneration, clusterPk, commandSk, configSk, eventSk, statusSk, journalEntryRange, journalSubjectRange, leaseSk, nodeClaimSk, unavailableSk } from "../keys.ts";

interface StoredNodeClaim {
  content: string;
  createdAtMs: number;
  updatedAtMs: number;
  version: number;
}

interface StoredConfig {
  kind: ConfigKind;
  name: string;
  raw: string;
  updatedAtMs: number;
  version: number;
}

function bySortKey<T>(map: Map<string, T>): T[] {
  return [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((key) => map.get(key) as T);
}

export function createMemoryStore(options: { clusterName?: string } = {}): Store {
  clusterPk(options.clusterName ?? "memory");
  const nodeClaims = new Map<string, StoredNodeClaim>(); // by sort key
  const leases = new Map<string, Lease>();
  const unavailable = new Map<string, UnavailableOffering>();
  const statuses = new Map<string, ObjectStatusRecord>();
  /** Event dedupe claims: sort key -> expiry. */
  const eventClaims = new Map<string, number>();
  const configObjects = new Map<string, StoredConfig>();
  const commands = new Map<string, StoredNodeClaim & { id: string }>(); // by sort key; content is the JSON body
  const journal = new Map<string, { body: string; expiresAtMs: number }>(); // entries and index items, by sort key
  let batch: BatchWindow | undefined;
  let clusterState: { generation: number; writtenAtMs: number; pages: string[] } | undefined;

  const claimRecord = (stored: StoredNodeClaim): NodeClaimRecord => {
    const content = decodeNodeClaimContent(stored.content);
    return { ...content, name: content.nodeClaim.metadata.name, createdAtMs: stored.createdAtMs, updatedAtMs: stored.updatedAtMs, version: stored.version };
  };
  const configRecord = (stored: StoredConfig): ConfigObjectRecord => ({
    kind: stored.kind,
    name: stored.name,
    raw: JSON.parse(stored.raw) as unknown,
    updatedAtMs: stored.updatedAtMs,
    version: stored.version,
  });
  const commandRecord = (stored: StoredNodeClaim & { id: string }): DisruptionCommandRecord => ({
    ...(JSON.parse(stored.content) as DisruptionCommandContent),
    id: stored.id,
    createdAtMs: stored.createdAtMs,
    updatedAtMs: stored.updatedAtMs,
    version: stored.version,
  });
  const versionConflict = (what: string, expectedVersion: number, existing: { version: number } | undefined): ConflictError =>
    existing
      ? new ConflictError(what, "version", `expected version ${expectedVersion}, found ${existing.version}`)
      : new ConflictError(what, "missing", "no such record");

  return {
    async createNodeClaim(content: NodeClaimContent, nowMs: number) {
      assertTime("NodeClaim", "nowMs", nowMs);
      const body = encodeNodeClaimContent(content);
      const name = content.nodeClaim.metadata.name;
      const sk = nodeClaimSk(name);
      const existing = nodeClaims.get(sk);
      if (existing) {
        if (existing.content === body) return { record: claimRecord(existing), created: false };
        throw new ConflictError(`NodeClaim ${name}`, "exists", "a record of that name exists with different content");
      }
      const stored = { content: body, createdAtMs: nowMs, updatedAtMs: nowMs, version: 1 };
      nodeClaims.set(sk, stored);
      return { record: claimRecord(stored), created: true };
    },
    async getNodeClaim(name: string) {
      const stored = nodeClaims.get(nodeClaimSk(name));
      return stored ? claimRecord(stored) : undefined;
    },
    async listNodeClaims() {
      return bySortKey(nodeClaims).map(claimRecord);
    },
    async updateNodeClaim(name: string, expectedVersion: number, content: NodeClaimContent, nowMs: number) {
      assertTime("NodeClaim", "nowMs", nowMs);
      checkExpectedVersion(`NodeClaim ${name}`, expectedVersion);
      const body = encodeNodeClaimContent(content, name);
      const sk = nodeClaimSk(name);
      const existing = nodeClaims.get(sk);
      if (!existing || existing.version !== expectedVersion) throw versionConflict(`NodeClaim ${name}`, expectedVersion, existing);
      const stored = { content: body, createdAtMs: existing.createdAtMs, updatedAtMs: nowMs, version: expectedVersion + 1 };
      nodeClaims.set(sk, stored);
      return claimRecord(stored);
    },
    async deleteNodeClaim(name: string, expectedVersion: number) {
      const sk = nodeClaimSk(name);
      checkExpectedVersion(`NodeClaim ${name}`, expectedVersion);
      const existing = nodeClaims.get(sk);
      if (!existing) return false;
      if (existing.version !== expectedVersion) throw versionConflict(`NodeClaim ${name}`, expectedVersion, existing);
      nodeClaims.delete(sk);
      return true;
    },

    async recordPodsSeen(count: number, nowMs: number) {
      assertPositiveInteger("batch window", "count", count);
      assertTime("batch window", "nowMs", nowMs);
      const opened = batch === undefined;
      batch = batch
        ? { firstSeenAtMs: batch.firstSeenAtMs, lastSeenAtMs: nowMs, podCount: batch.podCount + count, version: batch.version + 1 }
        : { firstSeenAtMs: nowMs, lastSeenAtMs: nowMs, podCount: count, version: 1 };
      return { opened, window: { ...batch } };
    },
    async getBatchWindow() {
      return batch ? { ...batch } : undefined;
    },
    async claimBatchWindow(expectedVersion: number) {
      checkExpectedVersion("batch window", expectedVersion);
      if (!batch || batch.version !== expectedVersion) return false;
      batch = undefined;
      return true;
    },

    async acquireLease(name: string, holder: string, ttlMs: number, nowMs: number) {
      assertLeaseArgs(name, holder, ttlMs, nowMs);
      const sk = leaseSk(name);
      const existing = leases.get(sk);
      if (existing && existing.holder !== holder && existing.expiresAtMs > nowMs) return undefined;
      const lease: Lease = { name, holder, acquiredAtMs: nowMs, expiresAtMs: nowMs + ttlMs, token: (existing?.token ?? 0) + 1 };
      leases.set(sk, lease);
      return { ...lease };
    },
    async renewLease(name: string, holder: string, ttlMs: number, nowMs: number) {
      assertLeaseArgs(name, holder, ttlMs, nowMs);
      const sk = leaseSk(name);
      const existing = leases.get(sk);
      if (!existing || existing.holder !== holder || existing.expiresAtMs <= nowMs) return undefined;
      const lease = { ...existing, expiresAtMs: nowMs + ttlMs };
      leases.set(sk, lease);
      return { ...lease };
    },
    async releaseLease(name: string, holder: string) {
      const sk = leaseSk(name);
      const existing = leases.get(sk);
      if (!existing || existing.holder !== holder) return false;
      leases.set(sk, { ...existing, holder: "", expiresAtMs: 0 });
      return true;
    },
    async getLease(name: string) {
      const lease = leases.get(leaseSk(name));
      return lease ? { ...lease } : undefined;
    },

    async putObjectStatus(kind: ConfigKind, name: string, status: Record<string, unknown>, nowMs: number) {
      const what = `${kind} ${name} status`;
      assertTime(what, "nowMs", nowMs);
      const sk = statusSk(kind, name);
      statuses.set(sk, { kind, name, status: JSON.parse(encodeBody(status, what)) as Record<string, unknown>, updatedAtMs: nowMs });
    },
    async listObjectStatuses() {
      return bySortKey(statuses).map((s) => structuredClone(s));
    },

    async claimEvent(key: string, nowMs: number, timeoutMs: number) {
      assertTime("event dedupe", "nowMs", nowMs);
      assertTime("event dedupe", "timeoutMs", timeoutMs);
      const sk = eventSk(key);
      const existing = eventClaims.get(sk);
      if (existing !== undefined && existing > nowMs) return false;
      eventClaims.set(sk, nowMs + timeoutMs);
      return true;
    },

    async markUnavailable(key: OfferingKey, reason: string, expiresAtMs: number) {
      assertTime("unavailable offering", "expiresAtMs", expiresAtMs);
      const sk = unavailableSk(key);
      const existing = unavailable.get(sk);
      if (existing && existing.expiresAtMs >= expiresAtMs) return;
      unavailable.set(sk, { instanceType: key.instanceType, zone: key.zone, capacityType: key.capacityType, reason: boundedReason(reason), expiresAtMs });
    },
    async listUnavailable(nowMs: number) {
      return bySortKey(unavailable)
        .filter((entry) => entry.expiresAtMs > nowMs)
        .map((entry) => ({ ...entry }));
    },

    async putConfigObject(kind: ConfigKind, name: string, raw: unknown, nowMs: number, opts: PutConfigObjectOptions = {}) {
      const what = `${kind} ${name}`;
      const sk = configSk(kind, name);
      assertTime(what, "nowMs", nowMs);
      const { expectedVersion } = opts;
      checkExpectedVersion(what, expectedVersion);
      const body = encodeBody(raw, what);
      const existing = configObjects.get(sk);
      if (existing && existing.raw === body) return configRecord(existing);
      const allowed = expectedVersion === undefined || (expectedVersion === 0 ? !existing : existing?.version === expectedVersion);
      if (!allowed) throw configConflict(what, expectedVersion, existing);
      const stored: StoredConfig = { kind, name, raw: body, updatedAtMs: nowMs, version: (existing?.version ?? 0) + 1 };
      configObjects.set(sk, stored);
      return configRecord(stored);
    },
    async getConfigObject(kind: ConfigKind, name: string) {
      const stored = configObjects.get(configSk(kind, name));
      return stored ? configRecord(stored) : undefined;
    },
    async listConfigObjects(kind: ConfigKind) {
      configSk(kind, "x"); // validates kind as the DynamoDB adapter does
      return bySortKey(configObjects)
        .filter((stored) => stored.kind === kind)
        .map(configRecord);
    },
    async deleteConfigObject(kind: ConfigKind, name: string, expectedVersion?: number) {
      const what = `${kind} ${name}`;
      const sk = configSk(kind, name);
      checkExpectedVersion(what, expectedVersion);
      const existing = configObjects.get(sk);
      if (!existing) return false;
      if (expectedVersion !== undefined && existing.version !== expectedVersion) {
        throw new ConflictError(what, "version", `expected version ${expectedVersion}, found ${existing.version}`);
      }
      configObjects.delete(sk);
      return true;
    },

    async createDisruptionCommand(id: string, content: DisruptionCommandContent, nowMs: number) {
      const what = `disruption command ${id}`;
      const sk = commandSk(id);
      assertTime(what, "nowMs", nowMs);
      const body = encodeCommandContent(content, id);
      const existing = commands.get(sk);
      if (existing) {
        if (existing.content === body) return commandRecord(existing);
        throw new ConflictError(what, "exists", "a command of that id exists with different content");
      }
      const stored = { id, content: body, createdAtMs: nowMs, updatedAtMs: nowMs, version: 1 };
      commands.set(sk, stored);
      return commandRecord(stored);
    },
    async listDisruptionCommands() {
      return bySortKey(commands).map(commandRecord);
    },
    async updateDisruptionCommand(id: string, expectedVersion: number, content: DisruptionCommandContent, nowMs: number) {
      const what = `disruption command ${id}`;
      const sk = commandSk(id);
      assertTime(what, "nowMs", nowMs);
      checkExpectedVersion(what, expectedVersion);
      const body = encodeCommandContent(content, id);
      const existing = commands.get(sk);
      if (!existing || existing.version !== expectedVersion) throw versionConflict(what, expectedVersion, existing);
      const stored = { id, content: body, createdAtMs: existing.createdAtMs, updatedAtMs: nowMs, version: expectedVersion + 1 };
      commands.set(sk, stored);
      return commandRecord(stored);
    },
    async deleteDisruptionCommand(id: string, expectedVersion: number) {
      const what = `disruption command ${id}`;
      const sk = commandSk(id);
      checkExpectedVersion(what, expectedVersion);
      const existing = commands.get(sk);
      if (!existing) return false;
      if (existing.version !== expectedVersion) throw versionConflict(what, expectedVersion, existing);
      commands.delete(sk);
      return true;
    },

    async putClusterState(generation: number, entries: readonly unknown[], nowMs: number) {
      assertGeneration(generation);
      assertTime("cluster state", "nowMs", nowMs);
      const pages = paginateEntries(entries);
      if (clusterState && clusterState.generation >= generation) return false;
      clusterState = { generation, writtenAtMs: nowMs, pages };
      return true;
    },
    async putJournalEntry(entry: JournalEntry, expiresAtMs: number) {
      const { sk, body, subjectSks } = encodeJournalEntry(entry, expiresAtMs);
      journal.set(sk, { body, expiresAtMs });
      for (const subjectSk of subjectSks) journal.set(subjectSk, { body: sk, expiresAtMs });
    },
    async listJournal(query: JournalQuery, nowMs: number) {
      const limit = checkJournalQuery(query);
      const [lo, hi] = query.subject ? journalSubjectRange(query.subject.kind, query.subject.name, query.fromMs, query.toMs) : journalEntryRange(query.fromMs, query.toMs);
      const keys = [...journal.keys()].filter((k) => k >= lo && k <= hi && journal.get(k)!.expiresAtMs > nowMs).sort().reverse();
      const entries: JournalEntry[] = [];
      for (const key of keys) {
        const item = journal.get(query.subject ? entrySkOfSubjectSk(key) : key);
        if (item && item.expiresAtMs > nowMs) entries.push(JSON.parse(item.body) as JournalEntry);
        if (entries.length >= limit) break;
      }
      return entries;
    },

    async getClusterState(): Promise<ClusterState | undefined> {
      return clusterState ? { generation: clusterState.generation, writtenAtMs: clusterState.writtenAtMs, entries: joinPages(clusterState.pages) } : undefined;
    },
  };
}
