/**
 * The state port: everything Tenon's functions share between invocations, in one table per
 * cluster (DynamoDB in AWS, an in-memory copy in the demo and fast tests). See docs/state.md.
 *
 * Functions run concurrently and are retried, so every write two of them could race on is
 * conditional: on a record `version`, on a lease's holder and expiry, or on a generation number.
 * Losing such a race is reported as a `ConflictError` where the caller asked for a specific
 * version, and as a plain "no" (`undefined` / `false`) where contention is the normal case
 * (leases, claiming a batch window, publishing an older cluster state).
 *
 * All times are milliseconds since the epoch and are passed in by the caller (from its Clock), so
 * the store never reads a clock itself.
 */
import type { NodeClaim } from "../api/types.ts";
import type { JournalStore } from "./journal.ts";
import type { UnavailableOfferingsStore } from "./unavailable-offerings.ts";

export type ConflictReason =
  /** create: a record of that name exists with different content */
  | "exists"
  /** update/delete: no record of that name */
  | "missing"
  /** update/delete/put: the record's version is not the one the caller expected */
  | "version";

/** A conditional write lost: re-read the record and decide again. */
export class ConflictError extends Error {
  readonly record: string;
  readonly reason: ConflictReason;
  constructor(record: string, reason: ConflictReason, detail: string) {
    super(`${record}: ${detail}`);
    this.name = "ConflictError";
    this.record = record;
    this.reason = reason;
  }
}

// ---------------------------------------------------------------------------------------------
// NodeClaims. Tenon has no controller in the cluster, so these records are the source of truth
// for NodeClaims, including ones still in flight (launched, not yet a Node).

/** Where a NodeClaim is in its life; mirrors its Launched/Registered/Initialized conditions. */
export type NodeClaimPhase = "Pending" | "Launched" | "Registered" | "Initialized" | "Terminating";
export const NODECLAIM_PHASES: readonly NodeClaimPhase[] = ["Pending", "Launched", "Registered", "Initialized", "Terminating"];

export interface LaunchAttempt {
  /** Launch calls made so far. */
  attempts: number;
  lastAttemptAtMs?: number;
  /** EC2 client token derived from the NodeClaim, so a retried launch never makes two instances. */
  clientToken?: string;
  instanceId?: string;
  lastError?: string;
}

/** What a caller writes; the store adds name, timestamps and version. */
export interface NodeClaimContent {
  nodeClaim: NodeClaim;
  phase: NodeClaimPhase;
  launch: LaunchAttempt;
}

export interface NodeClaimRecord extends NodeClaimContent {
  /** `nodeClaim.metadata.name` */
  name: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** 1 on create, +1 on every update. */
  version: number;
}

export interface CreateNodeClaimResult {
  record: NodeClaimRecord;
  /** false when an identical record already existed (a retried create). */
  created: boolean;
}

// ---------------------------------------------------------------------------------------------
// The provisioning batch window (Karpenter's idle/max batching, shared across invocations).

export interface BatchWindow {
  firstSeenAtMs: number;
  lastSeenAtMs: number;
  /** Pod signals recorded in this window (a pod seen twice counts twice). */
  podCount: number;
  /** +1 on every recorded signal; claiming is conditional on it. */
  version: number;
}

export interface RecordPodsSeenResult {
  window: BatchWindow;
  /** true when this call opened the window, so exactly one caller schedules the provisioner. */
  opened: boolean;
}

// ---------------------------------------------------------------------------------------------
// Leases: at most one holder per name until expiry.

export interface Lease {
  name: string;
  holder: string;
  acquiredAtMs: number;
  expiresAtMs: number;
  /** Fencing token: grows on every successful acquire, unchanged by renew. */
  token: number;
}

// ---------------------------------------------------------------------------------------------
// NodePools and EC2NodeClasses written by `tenon nodepool apply -f`. Stored raw: lib/api
// re-validates them on read, so a stored object never bypasses validation.

export type ConfigKind = "NodePool" | "EC2NodeClass";

export interface ConfigObjectRecord {
  kind: ConfigKind;
  name: string;
  /** The object as applied (JSON). */
  raw: unknown;
  updatedAtMs: number;
  version: number;
}

/** The status Tenon last reported for a NodePool or EC2NodeClass kept in the table (what the CRD's status would hold). */
export interface ObjectStatusRecord {
  kind: ConfigKind;
  name: string;
  status: Record<string, unknown>;
  updatedAtMs: number;
}

export interface PutConfigObjectOptions {
  /**
   * Absent: write whatever is there (apply semantics; the version still grows atomically).
   * 0: only if no object of that name exists. n: only if the stored version is n.
   */
  expectedVersion?: number;
}

// ---------------------------------------------------------------------------------------------
// Cluster state: a snapshot (e.g. node summaries) too large for one item, split into pages.

export interface ClusterState {
  generation: number;
  writtenAtMs: number;
  /** JSON values as written; callers validate their own shape. */
  entries: unknown[];
}

// ---------------------------------------------------------------------------------------------
// Disruption commands (the consolidator's and drift checker's orchestration, docs/disruption.md):
// written before anything is done, so a crashed or retried run finds what was started and either
// carries it on or rolls it back.

export type DisruptionCommandReason = "Empty" | "Underutilized" | "Drifted";

/**
 * Where a command stands (lib/disruption/commands.ts):
 *  - `Validating`: decided, nothing done yet; re-checked after the validation delay;
 *  - `Launching`: validated; candidates tainted, replacements written and launched, waited for;
 *  - `Deleting`: the candidates' records are being marked Terminating (termination drains them).
 */
export type DisruptionCommandState = "Validating" | "Launching" | "Deleting";

export interface DisruptionCandidateRef {
  node: string;
  nodeClaim: string;
  providerId?: string;
  /** What the node cost per hour when decided (for savings and the journal). */
  pricePerHour?: number;
}

export interface DisruptionCommandContent {
  reason: DisruptionCommandReason;
  decision: "delete" | "replace";
  /** The method that decided it (emptiness, drift, multi-node-consolidation, single-node-consolidation). */
  method: string;
  candidates: DisruptionCandidateRef[];
  /** NodeClaim record names launched to replace the candidates. */
  replacements: string[];
  state: DisruptionCommandState;
  decidedAtMs: number;
  savingsPerHour: number;
  /** Why, in words. */
  message: string;
}

export interface DisruptionCommandRecord extends DisruptionCommandContent {
  id: string;
  createdAtMs: number;
  updatedAtMs: number;
  version: number;
}

export interface Store extends UnavailableOfferingsStore, JournalStore {
  /**
   * Claims the right to publish the Event whose dedupe key is `key` until `nowMs + timeoutMs`:
   * true when no unexpired claim exists (this one is written, atomically), false when one does
   * (another run, or an earlier one, published it within the timeout).
   */
  claimEvent(key: string, nowMs: number, timeoutMs: number): Promise<boolean>;
  /** Replaces the status reported for a table NodePool or EC2NodeClass (an item of its own: the object's item, and its version, stay as applied). */
  putObjectStatus(kind: ConfigKind, name: string, status: Record<string, unknown>, nowMs: number): Promise<void>;
  /** Every reported status, sorted by kind and name. */
  listObjectStatuses(): Promise<ObjectStatusRecord[]>;
  /** Creates the record if absent; the same content again is a no-op; different content is a conflict ("exists"). */
  createNodeClaim(content: NodeClaimContent, nowMs: number): Promise<CreateNodeClaimResult>;
  getNodeClaim(name: string): Promise<NodeClaimRecord | undefined>;
  /** Sorted by name. */
  listNodeClaims(): Promise<NodeClaimRecord[]>;
  /** Replaces the content if the stored version is `expectedVersion`; else ConflictError ("version" or "missing"). */
  updateNodeClaim(name: string, expectedVersion: number, content: NodeClaimContent, nowMs: number): Promise<NodeClaimRecord>;
  /** false when already gone (a retried delete); ConflictError ("version") when it changed since read. */
  deleteNodeClaim(name: string, expectedVersion: number): Promise<boolean>;

  /** Atomically adds `count` pod signals at `nowMs`, opening the window if there is none. */
  recordPodsSeen(count: number, nowMs: number): Promise<RecordPodsSeenResult>;
  getBatchWindow(): Promise<BatchWindow | undefined>;
  /**
   * Closes the window for processing if it is still at `expectedVersion`. true for exactly one
   * caller; false if another claimed it or more pods arrived (re-read and decide again).
   * Signals recorded after a claim open a new window.
   */
  claimBatchWindow(expectedVersion: number): Promise<boolean>;

  /** Succeeds if the lease is free, expired at `nowMs`, or already held by `holder`. */
  acquireLease(name: string, holder: string, ttlMs: number, nowMs: number): Promise<Lease | undefined>;
  /** Extends the lease only if `holder` still holds it unexpired at `nowMs`. */
  renewLease(name: string, holder: string, ttlMs: number, nowMs: number): Promise<Lease | undefined>;
  /** Frees the lease only if `holder` holds it; false otherwise. */
  releaseLease(name: string, holder: string): Promise<boolean>;
  /** As stored, possibly expired or released (then `holder` is ""): compare `expiresAtMs` yourself. */
  getLease(name: string): Promise<Lease | undefined>;

  /** Creates the command; the same content again is a no-op; different content is a conflict ("exists"). */
  createDisruptionCommand(id: string, content: DisruptionCommandContent, nowMs: number): Promise<DisruptionCommandRecord>;
  /** Sorted by id. */
  listDisruptionCommands(): Promise<DisruptionCommandRecord[]>;
  /** Replaces the content if the stored version is `expectedVersion`; else ConflictError ("version" or "missing"). */
  updateDisruptionCommand(id: string, expectedVersion: number, content: DisruptionCommandContent, nowMs: number): Promise<DisruptionCommandRecord>;
  /** false when already gone; ConflictError ("version") when it changed since read. */
  deleteDisruptionCommand(id: string, expectedVersion: number): Promise<boolean>;

  putConfigObject(kind: ConfigKind, name: string, raw: unknown, nowMs: number, options?: PutConfigObjectOptions): Promise<ConfigObjectRecord>;
  getConfigObject(kind: ConfigKind, name: string): Promise<ConfigObjectRecord | undefined>;
  /** Sorted by name. */
  listConfigObjects(kind: ConfigKind): Promise<ConfigObjectRecord[]>;
  /** false when absent; ConflictError ("version") when `expectedVersion` is given and differs. */
  deleteConfigObject(kind: ConfigKind, name: string, expectedVersion?: number): Promise<boolean>;

  /**
   * Publishes a snapshot if `generation` is newer than the published one; false (and nothing
   * visible changes) otherwise. Readers always see one whole generation.
   */
  putClusterState(generation: number, entries: readonly unknown[], nowMs: number): Promise<boolean>;
  getClusterState(): Promise<ClusterState | undefined>;
}
