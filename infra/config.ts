/**
 * What one Tenon deployment is configured with, read from CDK context (`-c key=value` on the
 * command line, or `context` in cdk.json). Values from the command line arrive as strings, values
 * from cdk.json may be JSON, so every reader accepts both. Bad values fail synth with an
 * InputError that names the context key and the reason.
 */
import { INSTANCE_CATALOG_SOURCES, type InstanceCatalogSource } from "../lib/cloud/aws/instance-catalog-source.ts";
import { InputError, type InputProblem } from "../lib/errors.ts";
import { TENON_MODES, type TenonMode } from "../lib/ports/journal.ts";
import { MIN_VALUES_POLICIES, NODECLAIM_MIRROR_SETTINGS, parseFeatureGates, PREFERENCE_POLICIES, type MinValuesPolicy, type NodeClaimMirrorSetting, type PreferencePolicy } from "../lib/ports/settings.ts";

/** Every function Tenon knows how to deploy, in the order they are created. */
export const ALL_FUNCTIONS = ["batcher", "provisioner", "lifecycle", "interruption", "consolidator", "drift"] as const;
export type FunctionName = (typeof ALL_FUNCTIONS)[number];

/**
 * Deployed unless `functions` says otherwise: all six. Leave some out with e.g.
 * `-c functions=batcher,provisioner,lifecycle,interruption` (no consolidation or drift).
 */
export const DEFAULT_FUNCTIONS: readonly FunctionName[] = [...ALL_FUNCTIONS];

/** CloudWatch Logs retention values the service accepts (days). */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export interface TenonConfig {
  readonly cluster: string;
  readonly account: string | undefined;
  readonly region: string | undefined;
  readonly kubernetesVersion: string | undefined;
  readonly tableName: string;
  readonly auditLogGroup: string;
  readonly enableAuditSubscription: boolean;
  readonly functions: readonly FunctionName[];
  /** IAM roles the nodes run as; the only roles the functions may pass to EC2. */
  readonly nodeRoleArns: readonly string[];
  /** Existing SNS topic the alarms notify; none means alarms only show in the console. */
  readonly alarmTopicArn: string | undefined;
  readonly logRetentionDays: number;
  /** Karpenter's PREFERENCE_POLICY (`Respect`, `Ignore`); undefined: the functions' default, Respect. */
  readonly preferencePolicy: PreferencePolicy | undefined;
  /** Karpenter's MIN_VALUES_POLICY (`Strict`, `BestEffort`); undefined: the functions' default, Strict. */
  readonly minValuesPolicy: MinValuesPolicy | undefined;
  /** `live`, or `shadow`: every function decides and journals, and performs nothing (docs/explain.md). */
  readonly mode: TenonMode;
  /** Days the decision journal is kept (JOURNAL_TTL_DAYS); undefined: the functions' default, 14. */
  readonly journalTtlDays: number | undefined;
  /** Where instance types come from (INSTANCE_CATALOG): auto, live or bundled; undefined: auto. */
  readonly instanceCatalog: InstanceCatalogSource | undefined;
  /** Karpenter's feature gates as written (`SpotToSpotConsolidation=true`), passed as FEATURE_GATES; undefined: all off. */
  readonly featureGates: string | undefined;
  /** NodeClaim objects mirroring the table (NODECLAIM_MIRROR): auto, on or off; undefined: the functions' default, auto. */
  readonly nodeClaimMirror: NodeClaimMirrorSetting | undefined;
  /** Publish Karpenter's metrics (karpenter_*, about 25 series per NodePool); false sets KARPENTER_METRICS=off. */
  readonly karpenterMetrics: boolean;
}

/** Reads one context value; `app.node.tryGetContext` fits. */
export type ContextReader = (key: string) => unknown;

// EKS cluster names: 1-100 characters, a letter or digit first, then letters, digits, - and _.
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const KUBERNETES_VERSION = /^1\.\d{1,2}$/;
// DynamoDB table names: 3-255 of letters, digits, _ - and .
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const LOG_GROUP_NAME = /^[A-Za-z0-9_\-/.#]{1,512}$/;
// A concrete role: no wildcards, so PassRole can never widen to "any role".
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_\-/]{1,512}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

const CONTEXT = "CDK context";

/** Functions that call RunInstances/CreateFleet with an instance profile, so need a node role. */
const LAUNCHING_FUNCTIONS: readonly FunctionName[] = ["provisioner", "consolidator", "drift"];

export function readConfig(read: ContextReader, env: Readonly<Record<string, string | undefined>> = {}): TenonConfig {
  const problems: InputProblem[] = [];
  const problem = (path: string, reason: string): undefined => {
    problems.push({ object: CONTEXT, path, reason });
    return undefined;
  };

  const cluster = optionalString(read("cluster"));
  if (cluster === undefined) {
    problem("cluster", "is required: name the EKS cluster, e.g. `npx cdk deploy -c cluster=my-cluster`");
  } else if (!CLUSTER_NAME.test(cluster)) {
    problem("cluster", `"${cluster}" is not an EKS cluster name (letters, digits, - and _, at most 100, starting with a letter or digit)`);
  }

  const account = optionalString(read("account")) ?? nonEmpty(env["CDK_DEFAULT_ACCOUNT"]);
  if (account !== undefined && !ACCOUNT_ID.test(account)) problem("account", `"${account}" is not a 12-digit AWS account id`);
  const region = optionalString(read("region")) ?? nonEmpty(env["CDK_DEFAULT_REGION"]);
  if (region !== undefined && !REGION.test(region)) problem("region", `"${region}" is not an AWS region name such as us-east-1`);

  const kubernetesVersion = optionalString(read("kubernetesVersion"));
  if (kubernetesVersion !== undefined && !KUBERNETES_VERSION.test(kubernetesVersion)) {
    problem("kubernetesVersion", `"${kubernetesVersion}" is not a Kubernetes minor version such as 1.33`);
  }

  // Names derived from a valid cluster name are valid; only names given explicitly are checked.
  const givenTableName = optionalString(read("tableName"));
  if (givenTableName !== undefined && !TABLE_NAME.test(givenTableName)) {
    problem("tableName", `"${givenTableName}" is not a DynamoDB table name (3-255 of letters, digits, _ - .)`);
  }
  const tableName = givenTableName ?? `tenon-${cluster}`;

  const givenAuditLogGroup = optionalString(read("auditLogGroup"));
  if (givenAuditLogGroup !== undefined && !LOG_GROUP_NAME.test(givenAuditLogGroup)) {
    problem("auditLogGroup", `"${givenAuditLogGroup}" is not a CloudWatch Logs group name`);
  }
  const auditLogGroup = givenAuditLogGroup ?? `/aws/eks/${cluster}/cluster`;

  const enableAuditSubscription = readBoolean(read("enableAuditSubscription"), true, (reason) => problem("enableAuditSubscription", reason));

  const functions = readFunctions(read("functions"), (reason) => problem("functions", reason));

  const nodeRoleArns = readList(read("nodeRoleArns"));
  nodeRoleArns.forEach((arn, i) => {
    if (!ROLE_ARN.test(arn)) {
      problem(`nodeRoleArns[${i}]`, `"${arn}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>, no wildcards)`);
      return;
    }
    // EC2 only launches with roles of its own account.
    const roleAccount = arn.split(":")[4];
    if (account !== undefined && ACCOUNT_ID.test(account) && roleAccount !== account) {
      problem(`nodeRoleArns[${i}]`, `"${arn}" belongs to account ${roleAccount}, but the stack deploys to ${account}`);
    }
  });
  const launching = functions.filter((f) => LAUNCHING_FUNCTIONS.includes(f));
  if (nodeRoleArns.length === 0 && launching.length > 0) {
    problem(
      "nodeRoleArns",
      `is required when ${launching.join(", ")} ${launching.length === 1 ? "is" : "are"} deployed: the node IAM role(s) the functions may pass to EC2, comma-separated, e.g. -c nodeRoleArns=arn:aws:iam::123456789012:role/KarpenterNodeRole-my-cluster`,
    );
  }

  const alarmTopicArn = optionalString(read("alarmTopicArn"));
  if (alarmTopicArn !== undefined && !TOPIC_ARN.test(alarmTopicArn)) problem("alarmTopicArn", `"${alarmTopicArn}" is not an SNS topic ARN`);

  const logRetentionDays = readLogRetention(read("logRetentionDays"), (reason) => problem("logRetentionDays", reason));
  const preferencePolicy = oneOf(optionalString(read("preferencePolicy")), PREFERENCE_POLICIES, (reason) => problem("preferencePolicy", reason));
  const minValuesPolicy = oneOf(optionalString(read("minValuesPolicy")), MIN_VALUES_POLICIES, (reason) => problem("minValuesPolicy", reason));
  const karpenterMetrics = readBoolean(read("karpenterMetrics"), true, (reason) => problem("karpenterMetrics", reason));
  const nodeClaimMirror = oneOf(optionalString(read("nodeClaimMirror")), NODECLAIM_MIRROR_SETTINGS, (reason) => problem("nodeClaimMirror", reason));

  const givenMode = optionalString(read("mode"));
  if (givenMode !== undefined && !(TENON_MODES as readonly string[]).includes(givenMode)) problem("mode", `"${givenMode}" is not one of ${TENON_MODES.join(", ")}`);
  const mode = (givenMode ?? "live") as TenonMode;

  const ttlText = optionalString(read("journalTtlDays"));
  const journalTtlDays = ttlText === undefined ? undefined : Number(ttlText);
  if (journalTtlDays !== undefined && !(Number.isInteger(journalTtlDays) && journalTtlDays >= 1)) problem("journalTtlDays", `"${ttlText}" is not a whole number of days >= 1`);

  const instanceCatalog = optionalString(read("instanceCatalog"));
  if (instanceCatalog !== undefined && !(INSTANCE_CATALOG_SOURCES as readonly string[]).includes(instanceCatalog)) {
    problem("instanceCatalog", `"${instanceCatalog}" is not one of ${INSTANCE_CATALOG_SOURCES.join(", ")}`);
  }

  const featureGates = optionalString(read("featureGates"));
  for (const p of parseFeatureGates(featureGates, "featureGates", "featureGates").problems) problem("featureGates", p.reason);

  if (problems.length > 0) throw new InputError(problems);
  return {
    featureGates,
    mode,
    journalTtlDays,
    instanceCatalog: instanceCatalog as InstanceCatalogSource | undefined,
    cluster: cluster as string,
    account,
    region,
    kubernetesVersion,
    tableName,
    auditLogGroup,
    enableAuditSubscription,
    functions,
    nodeRoleArns,
    alarmTopicArn,
    logRetentionDays,
    preferencePolicy,
    minValuesPolicy,
    nodeClaimMirror,
    karpenterMetrics,
  };
}

/** `value` when it is one of `allowed` (or absent), else undefined after reporting it. */
function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], problem: (reason: string) => void): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problem(`"${value}" is not one of ${allowed.join(", ")}`);
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return nonEmpty(String(value));
}

/** A list given as a JSON array (cdk.json) or a comma-separated string (`-c key=a,b`). */
function readList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value.map(String) : String(value).split(",");
  return items.map((s) => s.trim()).filter((s) => s !== "");
}

function readBoolean(value: unknown, fallback: boolean, fail: (reason: string) => void): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === "boolean") return value;
  const text = String(value).trim().toLowerCase();
  if (text === "true") return true;
  if (text === "false") return false;
  fail(`"${String(value)}" is not true or false`);
  return fallback;
}

function readFunctions(value: unknown, fail: (reason: string) => void): FunctionName[] {
  const requested = readList(value);
  if (requested.length === 0) {
    if (value !== undefined && value !== null) fail("lists no function; leave it out to deploy the defaults");
    return [...DEFAULT_FUNCTIONS];
  }
  const unknown = requested.filter((f) => !(ALL_FUNCTIONS as readonly string[]).includes(f));
  if (unknown.length > 0) fail(`unknown function ${unknown.map((f) => `"${f}"`).join(", ")}; known: ${ALL_FUNCTIONS.join(", ")}`);
  return ALL_FUNCTIONS.filter((f) => requested.includes(f));
}

function readLogRetention(value: unknown, fail: (reason: string) => void): number {
  if (value === undefined || value === null) return 30;
  const days = Number(value);
  if (!LOG_RETENTION_DAYS.includes(days)) {
    fail(`"${String(value)}" is not a CloudWatch Logs retention; use one of ${LOG_RETENTION_DAYS.join(", ")}`);
    return 30;
  }
  return days;
}
