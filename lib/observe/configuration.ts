/**
 * NodePools and EC2NodeClasses from both places they may live: the cluster's CRDs and the state
 * table (`tenon nodepool apply -f`). Every object is validated with lib/api; an invalid one is
 * reported (a `Ready=False` condition on the CRD's status, and a log line) and skipped, so one bad
 * object never stops provisioning for the others. A CRD wins over a table item of the same name.
 */
import { validateEC2NodeClass } from "../api/ec2nodeclass.ts";
import { validateNodePool } from "../api/nodepool.ts";
import type { EC2NodeClass, NodePool } from "../api/types.ts";
import { formatProblem, type InputProblem } from "../errors.ts";
import { listAll, upsertCondition, type Cluster, type CustomObjectKind, type RawObject } from "../ports/cluster.ts";
import type { Store } from "../ports/store.ts";
import type { Log } from "../ports/telemetry.ts";

export interface ConfigurationProblem {
  kind: CustomObjectKind;
  name: string;
  source: "cluster" | "table";
  message: string;
}

export interface Configuration {
  nodePools: NodePool[];
  /** Where each valid NodePool came from, by name. */
  nodePoolSources: Map<string, "cluster" | "table">;
  nodeClasses: EC2NodeClass[];
  /** Where each valid EC2NodeClass came from, by name. */
  nodeClassSources: Map<string, "cluster" | "table">;
  problems: ConfigurationProblem[];
}

export const INVALID_SPEC_REASON = "InvalidSpec";

interface Candidate {
  raw: unknown;
  name: string;
  source: "cluster" | "table";
}

function nameOf(raw: unknown): string {
  const name = (raw as RawObject | undefined)?.metadata?.name;
  return typeof name === "string" && name ? name : "(unnamed)";
}

async function candidates(kind: CustomObjectKind, cluster: Cluster, store: Store): Promise<Candidate[]> {
  const fromCluster = (await listAll((o) => cluster.listCustomObjects(kind, o))).map((raw) => ({ raw, name: nameOf(raw), source: "cluster" as const }));
  const clusterNames = new Set(fromCluster.map((c) => c.name));
  const fromTable = (await store.listConfigObjects(kind))
    .filter((r) => !clusterNames.has(r.name))
    .map((r) => ({ raw: r.raw, name: r.name, source: "table" as const }));
  return [...fromCluster, ...fromTable];
}

function describeProblems(problems: readonly InputProblem[]): string {
  return problems.map(formatProblem).join("; ");
}

/**
 * Marks the CRD `ValidationSucceeded=False` and `Ready=False` with the validation message, as
 * Karpenter does, and writes only when that changes its conditions; nothing to mark for table items.
 */
async function reportOnStatus(cluster: Cluster, kind: CustomObjectKind, candidate: Candidate, message: string, nowMs: number): Promise<void> {
  if (candidate.source !== "cluster") return;
  const raw = ((candidate.raw as { status?: { conditions?: unknown } }).status?.conditions ?? []) as Parameters<typeof upsertCondition>[0];
  const existing = Array.isArray(raw) ? raw : [];
  const nowIso = new Date(nowMs).toISOString();
  let conditions = upsertCondition(existing, { type: "ValidationSucceeded", status: "False", reason: INVALID_SPEC_REASON, message }, nowIso);
  conditions = upsertCondition(conditions, { type: "Ready", status: "False", reason: INVALID_SPEC_REASON, message }, nowIso);
  if (JSON.stringify(conditions) === JSON.stringify(existing)) return;
  await cluster.setCustomObjectConditions(kind, candidate.name, conditions);
}

async function loadKind<T>(
  kind: CustomObjectKind,
  validate: (raw: unknown) => { value?: T; problems: InputProblem[] },
  ports: { cluster: Cluster; store: Store; log: Log },
  nowMs: number,
  problems: ConfigurationProblem[],
  sources?: Map<string, "cluster" | "table">,
): Promise<T[]> {
  const out: T[] = [];
  for (const candidate of await candidates(kind, ports.cluster, ports.store)) {
    let result: { value?: T; problems: InputProblem[] };
    try {
      result = validate(candidate.raw);
    } catch (error) {
      // Validation must never take a function down; treat a crash as one more problem.
      result = { problems: [{ object: `${kind} ${candidate.name}`, path: "", reason: `could not be validated: ${(error as Error).message}` }] };
    }
    if (result.value) {
      out.push(result.value);
      sources?.set(candidate.name, candidate.source);
      continue;
    }
    const message = describeProblems(result.problems);
    problems.push({ kind, name: candidate.name, source: candidate.source, message });
    ports.log.warn(`${kind} ${candidate.name} is invalid and is skipped`, { kind, name: candidate.name, source: candidate.source, problems: result.problems });
    try {
      await reportOnStatus(ports.cluster, kind, candidate, message, nowMs);
    } catch (error) {
      ports.log.warn(`could not report the problem on ${kind} ${candidate.name}'s status`, { error: (error as Error).message });
    }
  }
  return out;
}

export async function loadConfiguration(ports: { cluster: Cluster; store: Store; log: Log }, nowMs: number): Promise<Configuration> {
  const problems: ConfigurationProblem[] = [];
  const nodePoolSources = new Map<string, "cluster" | "table">();
  const nodePools = await loadKind("NodePool", validateNodePool, ports, nowMs, problems, nodePoolSources);
  const nodeClassSources = new Map<string, "cluster" | "table">();
  const nodeClasses = await loadKind("EC2NodeClass", validateEC2NodeClass, ports, nowMs, problems, nodeClassSources);
  return { nodePools, nodePoolSources, nodeClasses, nodeClassSources, problems };
}
