/**
 * The decision journal (docs/explain.md): one entry per run of every flow, saying what it decided
 * and why, kept in the state table for `journalTtlDays` and read by `tenon explain`. Entries are
 * summaries (per pod group, capped lists), so even a 5,000-pod run stays far under DynamoDB's
 * 400 KB item limit. Each entry names the subjects it concerns (pods by group, Nodes, NodeClaims,
 * NodePools); the store keeps a small index item per subject so a subject's story is one query.
 */

export type JournalFlow = "provisioner" | "lifecycle" | "interruption" | "consolidation" | "drift";
export type TenonMode = "live" | "shadow";
export const TENON_MODES: readonly TenonMode[] = ["live", "shadow"];

export type JournalSubjectKind = "pod" | "node" | "nodeclaim" | "nodepool";
export const JOURNAL_SUBJECT_KINDS: readonly JournalSubjectKind[] = ["pod", "node", "nodeclaim", "nodepool"];

/**
 * What an entry is about. A pod subject is its group: `<namespace>/<owner>` for a pod with a
 * controller (its ReplicaSet, StatefulSet, Job...), `<namespace>/<pod>` otherwise.
 */
export interface JournalSubject {
  kind: JournalSubjectKind;
  name: string;
}

export interface JournalAction {
  kind: string;
  /** What it acts on, in words (lib/actions/actions.ts describe()). */
  target: string;
  reason: string;
  /** done, conflict, skipped, failed, or recorded (shadow mode). */
  outcome: string;
  detail?: string;
}

/** Pods of one group (same namespace and controller, same outcome) and what became of them. */
export interface JournalPodGroup {
  namespace: string;
  /** The controller (`ReplicaSet/web-7d9f8c6b5d`), or the pod's own name when it has none. */
  owner: string;
  pods: number;
  /** Up to JOURNAL_LIMITS.podNamesPerGroup pod names. */
  names: string[];
  /** Where they went: NodeClaim or Node name and how many pods; `new` for a NodeClaim this run decides. */
  placed: Array<{ target: string; pods: number; new: boolean; nodePool?: string }>;
  /** Why they fit nowhere (the scheduler's reason names the NodePool and constraint). */
  unschedulable?: string;
}

/** A NodeClaim the provisioner decided (or a disruption command's replacement). */
export interface JournalNodeClaim {
  name: string;
  nodePool: string;
  pods: number;
  /** Its instance types in preference order (the first JOURNAL_LIMITS.instanceTypes), with their cheapest price. */
  instanceTypes: Array<{ name: string; pricePerHour?: number }>;
  /** How many instance types it could launch in all. */
  options: number;
  /** The cheapest price among its options, per hour. */
  pricePerHour?: number;
}

export interface JournalEntry {
  /** Unique per run. */
  id: string;
  atMs: number;
  flow: JournalFlow;
  /** What woke the run: tick, message, an interruption's kind... */
  trigger: string;
  mode: TenonMode;
  /** One line on the run as a whole ("lease busy", "3 NodeClaims created"). */
  summary: string;
  actions: JournalAction[];
  /** Actions left out of `actions` (over the cap), and pod Events counted instead of listed. */
  omitted?: { actions?: number; podEvents?: number; groups?: number; leftAlone?: number; /** Events skipped as duplicates (docs/observability.md). */ deduplicatedEvents?: number;
    /** Events dropped by their rate limiter (Nominated). */ rateLimitedEvents?: number;
    /** Events on NodeClaims, counted like pod Events (published only where the NodeClaim has an object). */ nodeClaimEvents?: number };
  groups?: JournalPodGroup[];
  nodeClaims?: JournalNodeClaim[];
  /** Disruption: what happened to the command in flight or the new one. */
  steps?: string[];
  /** Disruption: every node the pass left alone, with why. */
  leftAlone?: Array<{ node: string; reason: string }>;
  /** The run failed with this error after deciding what `actions` holds. */
  error?: string;
  subjects: JournalSubject[];
}

export interface JournalQuery {
  /** Inclusive, milliseconds since the epoch. */
  fromMs: number;
  toMs: number;
  /** Only entries naming this subject. */
  subject?: JournalSubject;
  /** At most this many entries, newest first (default 100). */
  limit?: number;
}

/** Caps that keep an entry small whatever the run's size (docs/explain.md). */
export const JOURNAL_LIMITS = {
  actions: 100,
  groups: 150,
  podNamesPerGroup: 3,
  /** Targets (NodeClaims, Nodes) listed per pod group. */
  targetsPerGroup: 10,
  nodeClaims: 100,
  instanceTypes: 5,
  leftAlone: 200,
  subjects: 400,
  text: 500,
} as const;

export interface JournalStore {
  /** Writes the entry and one index item per subject; everything expires at `expiresAtMs`. */
  putJournalEntry(entry: JournalEntry, expiresAtMs: number): Promise<void>;
  /** Entries in the range (and naming the subject, when given), newest first; expired ones left out. */
  listJournal(query: JournalQuery, nowMs: number): Promise<JournalEntry[]>;
}
