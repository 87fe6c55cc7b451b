/** The functions' settings (read from their environment by lib/wiring/settings.ts). Every value has Karpenter's default. */
import type { InputProblem } from "../errors.ts";

export interface Settings {
  /** Close the batch window after this long without a new pod signal (Karpenter BATCH_IDLE_DURATION, 1 s). */
  batchIdleMs: number;
  /** ... or this long after the first signal, whichever comes first (BATCH_MAX_DURATION, 10 s). */
  batchMaxMs: number;
  /** How long the provisioning lease holds without renewal; longer than one provisioner run. */
  provisionerLeaseTtlMs: number;
  /** Launch calls per NodeClaim in one invocation before it is given up (capacity errors). */
  launchAttempts: number;
  /** A launched NodeClaim whose Node has not appeared by then is terminated (Karpenter: 15 min). */
  registrationTtlMs: number;
  /** Instances without a record younger than this are left alone (a launch writes the instance before its record). */
  gcGraceMs: number;
  /** A Pending record (never launched) older than this is deleted: its provisioner crashed for good. */
  pendingRecordTtlMs: number;
  /**
   * The lifecycle tick publishes the bound-pod snapshot at most this often (a tick up to 10 s early
   * counts as due). Longer saves DynamoDB writes; cold provisioner runs then replay more changes,
   * or list every pod when the API server's history no longer reaches back (docs/kubernetes.md).
   */
  clusterStatePublishMs: number;
  /** While a disruption command is in flight or a pass decided something, the consolidator wakes itself this often (Karpenter polls every 10 s). */
  disruptionCadenceMs: number;
  /** How long a decision is held before it is re-validated and carried out (Karpenter: 15 s). */
  disruptionValidationMs: number;
  /** A replacement not initialized by then rolls its command back (Karpenter: 10 min). */
  replacementTimeoutMs: number;
  /** How long the disruption lease holds without renewal; longer than one consolidator run. */
  disruptionLeaseTtlMs: number;
  /** Decision journal entries (docs/explain.md) are kept this many days, then expire (DynamoDB TTL). */
  journalTtlDays: number;
  /** Karpenter's PREFERENCE_POLICY: `Respect` pods' preferences while they can be met, or `Ignore` them all. */
  preferencePolicy: PreferencePolicy;
  /** Karpenter's MIN_VALUES_POLICY: `Strict` refuses a launch that can't meet minValues; `BestEffort` relaxes it. */
  minValuesPolicy: MinValuesPolicy;
  /**
   * NodeClaim objects mirroring the table (`kubectl get nodeclaims`; lib/lifecycle/nodeclaim-mirror.ts):
   * `auto` mirrors when the NodeClaim CRD is installed, the mode is live and no Karpenter runs;
   * `on` whenever the CRD is installed; `off` never.
   */
  nodeClaimMirror: NodeClaimMirrorSetting;
  /** `on`: publish Karpenter's metrics (karpenter_*, docs/observability.md); `off`: Tenon's own only, to save their CloudWatch cost. */
  karpenterMetrics: OnOff;
  /** Karpenter's feature gates that change what Tenon decides (FEATURE_GATES, Karpenter's `Name=true,...` syntax). */
  featureGates: FeatureGates;
}

export const ON_OFF = ["on", "off"] as const;
export type OnOff = (typeof ON_OFF)[number];

export const NODECLAIM_MIRROR_SETTINGS = ["auto", "on", "off"] as const;
export type NodeClaimMirrorSetting = (typeof NODECLAIM_MIRROR_SETTINGS)[number];

export interface FeatureGates {
  /**
   * Consolidation may replace spot nodes with cheaper spot nodes (Karpenter's gate of the same
   * name, off by default): off, spot nodes are only ever deleted by consolidation, which saves
   * the churn of chasing small spot price differences.
   */
  spotToSpotConsolidation: boolean;
}

/** The gates' names as Karpenter spells them. */
export const FEATURE_GATE_NAMES: Readonly<Record<keyof FeatureGates, string>> = { spotToSpotConsolidation: "SpotToSpotConsolidation" };

/**
 * Parses `Name=true|false,...` (Karpenter's FEATURE_GATES syntax) over the defaults (all off); a
 * gate Tenon does not know is a problem, not ignored. Shared by the functions, the stack and the CLI.
 */
export function parseFeatureGates(raw: string | undefined, object: string, path: string): { gates: FeatureGates; problems: InputProblem[] } {
  const gates: FeatureGates = { spotToSpotConsolidation: false };
  const problems: InputProblem[] = [];
  const byName = new Map(Object.entries(FEATURE_GATE_NAMES).map(([key, name]) => [name, key as keyof FeatureGates]));
  for (const part of (raw ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9]+)=(true|false)$/.exec(part);
    const key = m ? byName.get(m[1]!) : undefined;
    if (!m) problems.push({ object, path, reason: `"${part}" is not Name=true or Name=false` });
    else if (!key) problems.push({ object, path, reason: `unknown feature gate "${m[1]}" (Tenon knows ${[...byName.keys()].join(", ")})` });
    else gates[key] = m[2] === "true";
  }
  return { gates, problems };
}

export const PREFERENCE_POLICIES = ["Respect", "Ignore"] as const;
export type PreferencePolicy = (typeof PREFERENCE_POLICIES)[number];
export const MIN_VALUES_POLICIES = ["Strict", "BestEffort"] as const;
export type MinValuesPolicy = (typeof MIN_VALUES_POLICIES)[number];

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  batchIdleMs: 1_000,
  batchMaxMs: 10_000,
  provisionerLeaseTtlMs: 150_000,
  launchAttempts: 3,
  registrationTtlMs: 15 * 60_000,
  gcGraceMs: 30_000,
  pendingRecordTtlMs: 15 * 60_000,
  clusterStatePublishMs: 60_000,
  disruptionCadenceMs: 15_000,
  disruptionValidationMs: 15_000,
  replacementTimeoutMs: 10 * 60_000,
  disruptionLeaseTtlMs: 150_000,
  journalTtlDays: 14,
  preferencePolicy: "Respect",
  minValuesPolicy: "Strict",
  featureGates: Object.freeze({ spotToSpotConsolidation: false }),
  nodeClaimMirror: "auto",
  karpenterMetrics: "on",
});
