/**
 * The functions' settings from their environment. Every value has Karpenter's default; a bad
 * value is an InputError naming the variable, so a misconfigured function fails at cold start
 * with a clear message instead of misbehaving.
 */
import { InputError, type InputProblem } from "../errors.ts";
import { DEFAULT_SETTINGS, MIN_VALUES_POLICIES, NODECLAIM_MIRROR_SETTINGS, ON_OFF, parseFeatureGates, PREFERENCE_POLICIES, type Settings } from "../ports/settings.ts";
import { TENON_MODES, type TenonMode } from "../ports/journal.ts";

/** Which variable sets which setting; values are milliseconds unless the name says otherwise. */
export const SETTINGS_ENV: Readonly<Record<Exclude<keyof Settings, "featureGates">, string>> = {
  batchIdleMs: "BATCH_IDLE_MS",
  batchMaxMs: "BATCH_MAX_MS",
  provisionerLeaseTtlMs: "PROVISIONER_LEASE_TTL_MS",
  launchAttempts: "LAUNCH_ATTEMPTS",
  registrationTtlMs: "REGISTRATION_TTL_MS",
  gcGraceMs: "GC_GRACE_MS",
  pendingRecordTtlMs: "PENDING_RECORD_TTL_MS",
  clusterStatePublishMs: "CLUSTER_STATE_PUBLISH_MS",
  disruptionCadenceMs: "DISRUPTION_CADENCE_MS",
  disruptionValidationMs: "DISRUPTION_VALIDATION_MS",
  replacementTimeoutMs: "REPLACEMENT_TIMEOUT_MS",
  disruptionLeaseTtlMs: "DISRUPTION_LEASE_TTL_MS",
  journalTtlDays: "JOURNAL_TTL_DAYS",
  preferencePolicy: "PREFERENCE_POLICY",
  minValuesPolicy: "MIN_VALUES_POLICY",
  nodeClaimMirror: "NODECLAIM_MIRROR",
  karpenterMetrics: "KARPENTER_METRICS",
};

type WordSetting = "preferencePolicy" | "minValuesPolicy" | "nodeClaimMirror" | "karpenterMetrics";
type NumberSetting = Exclude<keyof Settings, WordSetting | "featureGates">;

/** Karpenter's FEATURE_GATES variable: `SpotToSpotConsolidation=true,...`. */
export const FEATURE_GATES_ENV = "FEATURE_GATES";


/** Settings that take one of a few words (Karpenter's spelling), not a number. */
const WORDS: Readonly<Record<WordSetting, readonly string[]>> = {
  preferencePolicy: PREFERENCE_POLICIES,
  minValuesPolicy: MIN_VALUES_POLICIES,
  nodeClaimMirror: NODECLAIM_MIRROR_SETTINGS,
  karpenterMetrics: ON_OFF,
};

export type Env = Readonly<Record<string, string | undefined>>;

export function readSettings(env: Env): Settings {
  const problems: InputProblem[] = [];
  const out: Settings = { ...DEFAULT_SETTINGS };
  const numbers: Partial<Record<NumberSetting, number>> = {};
  const words: Partial<Record<WordSetting, string>> = {};
  for (const key of Object.keys(SETTINGS_ENV) as Array<keyof typeof SETTINGS_ENV>) {
    const name = SETTINGS_ENV[key];
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") continue;
    if (Object.hasOwn(WORDS, key)) {
      const allowed = WORDS[key as WordSetting];
      if (allowed.includes(raw)) words[key as WordSetting] = raw;
      else problems.push({ object: "environment", path: name, reason: `"${raw}" is not one of ${allowed.join(", ")}` });
      continue;
    }
    const value = Number(raw);
    const minimum = key === "launchAttempts" || key === "journalTtlDays" ? 1 : 0;
    if (!Number.isInteger(value) || value < minimum) {
      problems.push({ object: "environment", path: name, reason: `"${raw}" is not a whole number >= ${minimum}` });
      continue;
    }
    numbers[key as NumberSetting] = value;
  }
  Object.assign(out, numbers, words);
  const gates = parseFeatureGates(env[FEATURE_GATES_ENV], "environment", FEATURE_GATES_ENV);
  out.featureGates = gates.gates;
  problems.push(...gates.problems);
  if (problems.length === 0 && out.batchMaxMs < out.batchIdleMs) {
    problems.push({ object: "environment", path: SETTINGS_ENV.batchMaxMs, reason: `${out.batchMaxMs} is shorter than ${SETTINGS_ENV.batchIdleMs} (${out.batchIdleMs})` });
  }
  if (problems.length > 0) throw new InputError(problems);
  return out;
}

/** `live` (the default) or `shadow`: every flow decides and journals, and performs nothing (docs/explain.md). */
export const MODE_ENV = "TENON_MODE";

export function readMode(env: Env): TenonMode {
  const raw = env[MODE_ENV]?.trim();
  if (!raw) return "live";
  if (!(TENON_MODES as readonly string[]).includes(raw)) throw new InputError({ object: "environment", path: MODE_ENV, reason: `"${raw}" is not one of ${TENON_MODES.join(", ")}` });
  return raw as TenonMode;
}

/** The disruption queue's URL (consolidator and drift checker); unset: the consolidator wakes on its ticks only. */
export const DISRUPTION_QUEUE_URL_ENV = "DISRUPTION_QUEUE_URL";

/** Names the S3 bucket for the bound-pod snapshot; unset: the snapshot stays in the table. */
export const CLUSTER_STATE_BUCKET_ENV = "CLUSTER_STATE_BUCKET";

/**
 * The bucket the bound-pod snapshot goes to (docs/kubernetes.md, "Keeping cluster state
 * current"), undefined when unset; an InputError when it can't be an S3 bucket name.
 */
export function readClusterStateBucket(env: Env): string | undefined {
  const raw = env[CLUSTER_STATE_BUCKET_ENV]?.trim();
  if (!raw) return undefined;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw) || raw.includes("..")) {
    throw new InputError({ object: "environment", path: CLUSTER_STATE_BUCKET_ENV, reason: `"${raw}" is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)` });
  }
  return raw;
}

/** Where a cluster's snapshot objects live in the bucket: `cluster-state/<cluster>/<generation>-<writer>.json.gz`. */
export function clusterStatePrefix(clusterName: string): string {
  return `cluster-state/${clusterName}/`;
}

/** A required variable, or an InputError naming it. */
export function requireEnv(env: Env, name: string, why: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") throw new InputError({ object: "environment", path: name, reason: `is required (${why})` });
  return value;
}
