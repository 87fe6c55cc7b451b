/**
 * NodePool (karpenter.sh/v1): parsing, Karpenter's defaults, and validation that mirrors its CRD
 * schema, CEL rules and admission checks, so Tenon accepts what Karpenter accepts.
 *
 * Unknown fields: the API server prunes them, but kubectl's default strict field validation
 * rejects them at apply time, and a misspelt field (`disruptions:`, `requirement:`) silently
 * dropped would change behaviour without a word. So unknown fields anywhere in `spec` are
 * problems. `metadata` and `status` are read leniently: they come from `kubectl get -o yaml`.
 */
import { InputError, type InputProblem } from "../errors.ts";
import type { Budget, ConsolidationPolicy, DisruptionReason, NodePool, NodePoolSpec } from "./types.ts";
import { Problems, withoutNulls, child, isRecord, objectLabel, quote, type Json } from "./fields.ts";
import { checkHeader, parseMetadata, parseNodeClassRef, parseRequirements, parseResourceList, parseTaints, readDuration } from "./common.ts";
import { ANNOTATION_NODE_COST, labelValueProblem, qualifiedNameProblem, restrictedLabelReason } from "./labels.ts";
import { cronProblem } from "./cron.ts";

export const NODEPOOL_API_VERSION = "karpenter.sh/v1";
export const DEFAULT_EXPIRE_AFTER_MS = 720 * 3_600_000;
export const DEFAULT_BUDGET_NODES = "10%";

const CONSOLIDATION_POLICIES: readonly ConsolidationPolicy[] = ["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"];
const DISRUPTION_REASONS: readonly DisruptionReason[] = ["Underutilized", "Empty", "Drifted"];
const BUDGET_NODES = /^((100|[0-9]{1,2})%|[0-9]+)$/;

/** Fields Karpenter v1beta1 had where v1 has none: a hint beats a bare "unknown field". */
const MOVED_IN_V1: Record<string, string> = {
  "spec.template.spec.kubelet": "unknown field: kubelet moved to the EC2NodeClass (spec.kubelet) in Karpenter v1",
  "spec.disruption.expireAfter": "unknown field: expireAfter moved to spec.template.spec.expireAfter in Karpenter v1",
};

function reportUnknown(problems: Problems, value: Json, path: string, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const at = child(path, key);
    problems.add(at, (Object.hasOwn(MOVED_IN_V1, at) ? MOVED_IN_V1[at] : undefined) ?? `unknown field (expected one of ${known.join(", ")})`);
  }
}

function parseTemplateLabels(raw: unknown, path: string, problems: Problems): Record<string, string> | undefined {
  const labels = problems.stringMap(raw, path, 100);
  if (!labels) return undefined;
  const before = problems.list.length;
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = qualifiedNameProblem(key) ?? restrictedLabelReason(key, "label");
    if (keyProblem) problems.add(child(path, key), keyProblem);
    const valueProblem = labelValueProblem(value);
    if (valueProblem) problems.add(child(path, key), valueProblem);
  }
  return problems.list.length > before ? undefined : labels;
}

function parseBudget(raw: unknown, path: string, problems: Problems): Budget | undefined {
  const budget = problems.requiredRecord(raw, path);
  if (!budget) return undefined;
  const before = problems.list.length;
  reportUnknown(problems, budget, path, ["nodes", "schedule", "duration", "reasons"]);
  let nodes: string | undefined = DEFAULT_BUDGET_NODES;
  if (budget["nodes"] !== undefined) {
    if (typeof budget["nodes"] === "number") {
      nodes = problems.add(child(path, "nodes"), `must be a string; quote it: "${budget["nodes"]}"`);
    } else {
      nodes = problems.string(budget["nodes"], child(path, "nodes"));
      if (nodes !== undefined && !BUDGET_NODES.test(nodes)) {
        nodes = problems.add(child(path, "nodes"), `${quote(nodes)} is not a node count (like 5) or a percentage from 0% to 100% (like 10%)`);
      }
    }
  }
  const schedule = problems.string(budget["schedule"], child(path, "schedule"));
  if (schedule !== undefined) {
    const problem = cronProblem(schedule);
    if (problem) problems.add(child(path, "schedule"), problem);
  }
  const duration = readDuration(problems, budget["duration"], child(path, "duration"), "budget");
  if ((budget["schedule"] === undefined) !== (budget["duration"] === undefined)) {
    problems.add(path, "'schedule' must be set with 'duration'");
  }
  let reasons: DisruptionReason[] | undefined;
  const rawReasons = problems.array(budget["reasons"], child(path, "reasons"), 50);
  if (rawReasons) {
    reasons = [];
    rawReasons.forEach((reason, i) => {
      const value = problems.oneOf(reason, child(child(path, "reasons"), i), DISRUPTION_REASONS);
      if (value === undefined) return;
      if (reasons!.includes(value)) problems.add(child(child(path, "reasons"), i), `duplicate reason ${value}`);
      reasons!.push(value);
    });
  }
  if (problems.list.length > before || nodes === undefined) return undefined;
  const out: Budget = { nodes };
  if (schedule !== undefined && typeof duration === "number") {
    out.schedule = schedule;
    out.duration = duration;
  }
  if (reasons) out.reasons = reasons;
  return out;
}

function parseDisruption(raw: unknown, path: string, problems: Problems): NodePoolSpec["disruption"] | undefined {
  const disruption = problems.record(raw, path) ?? (raw === undefined ? {} : undefined);
  if (!disruption) return undefined;
  const before = problems.list.length;
  reportUnknown(problems, disruption, path, ["consolidationPolicy", "consolidateAfter", "budgets"]);
  const consolidationPolicy = problems.oneOf(disruption["consolidationPolicy"], child(path, "consolidationPolicy"), CONSOLIDATION_POLICIES) ?? "WhenEmptyOrUnderutilized";
  // Without a disruption block Karpenter defaults it to `consolidateAfter: 0s`; inside one the field is required.
  const consolidateAfter =
    disruption["consolidateAfter"] === undefined ? (raw === undefined ? 0 : problems.add(child(path, "consolidateAfter"), "is required")) : readDuration(problems, disruption["consolidateAfter"], child(path, "consolidateAfter"), "duration-or-never");
  let budgets: Budget[] | undefined = [{ nodes: DEFAULT_BUDGET_NODES }];
  if (disruption["budgets"] !== undefined) {
    const items = problems.array(disruption["budgets"], child(path, "budgets"), 50);
    const parsed = items?.map((item, i) => parseBudget(item, child(child(path, "budgets"), i), problems));
    budgets = parsed?.every((b) => b !== undefined) ? (parsed as Budget[]) : undefined;
  }
  if (problems.list.length > before || consolidateAfter === undefined || !budgets) return undefined;
  return { consolidationPolicy, consolidateAfter, budgets };
}

function parseTemplate(raw: unknown, path: string, problems: Problems): NodePoolSpec["template"] | undefined {
  const template = problems.requiredRecord(raw, path);
  if (!template) return undefined;
  reportUnknown(problems, template, path, ["metadata", "spec"]);
  const metaPath = child(path, "metadata");
  const metadata = problems.record(template["metadata"], metaPath) ?? {};
  reportUnknown(problems, metadata, metaPath, ["labels", "annotations"]);
  const labels = metadata["labels"] === undefined ? {} : parseTemplateLabels(metadata["labels"], child(metaPath, "labels"), problems);
  const annotations = metadata["annotations"] === undefined ? {} : problems.stringMap(metadata["annotations"], child(metaPath, "annotations"));

  const specPath = child(path, "spec");
  const spec = problems.requiredRecord(template["spec"], specPath);
  if (!spec) return undefined;
  reportUnknown(problems, spec, specPath, ["nodeClassRef", "requirements", "taints", "startupTaints", "expireAfter", "terminationGracePeriod"]);
  const nodeClassRef = parseNodeClassRef(spec["nodeClassRef"], child(specPath, "nodeClassRef"), problems);
  const requirements = parseRequirements(spec["requirements"], child(specPath, "requirements"), problems, "requirement");
  const seenTaints = new Set<string>();
  const taints = parseTaints(spec["taints"], child(specPath, "taints"), problems, seenTaints);
  const startupTaints = parseTaints(spec["startupTaints"], child(specPath, "startupTaints"), problems, seenTaints);
  const expireAfter = spec["expireAfter"] === undefined ? DEFAULT_EXPIRE_AFTER_MS : readDuration(problems, spec["expireAfter"], child(specPath, "expireAfter"), "duration-or-never");
  const terminationGracePeriod = readDuration(problems, spec["terminationGracePeriod"], child(specPath, "terminationGracePeriod"), "duration");
  if (!labels || !annotations || !nodeClassRef || !requirements || !taints || !startupTaints || expireAfter === undefined) return undefined;
  if (spec["terminationGracePeriod"] !== undefined && terminationGracePeriod === undefined) return undefined;
  return {
    metadata: { labels, annotations },
    spec: {
      nodeClassRef,
      requirements,
      taints,
      startupTaints,
      expireAfter,
      ...(typeof terminationGracePeriod === "number" ? { terminationGracePeriod } : {}),
    },
  };
}

function parseSpec(raw: unknown, problems: Problems): NodePoolSpec | undefined {
  const spec = problems.requiredRecord(raw, "spec");
  if (!spec) return undefined;
  const before = problems.list.length;
  reportUnknown(problems, spec, "spec", ["template", "disruption", "limits", "weight", "replicas"]);
  const template = parseTemplate(spec["template"], "spec.template", problems);
  const disruption = parseDisruption(spec["disruption"], "spec.disruption", problems);
  const limits = spec["limits"] === undefined ? {} : parseResourceList(spec["limits"], "spec.limits", problems);
  const weight = problems.integer(spec["weight"], "spec.weight", 1, 100);
  const replicas = problems.integer(spec["replicas"], "spec.replicas", 0);
  if (spec["replicas"] !== undefined) {
    if (limits && Object.keys(limits).some((name) => name !== "nodes")) problems.add("spec.limits", "only 'limits.nodes' is supported on static NodePools");
    if (spec["weight"] !== undefined) problems.add("spec.weight", "'weight' is not supported on static NodePools");
  }
  if (problems.list.length > before || !template || !disruption || !limits) return undefined;
  return {
    template,
    disruption,
    limits,
    ...(weight !== undefined ? { weight } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
  };
}

/** A non-negative decimal, at most 6 decimals (a price in USD per hour). */
const NODE_COST = /^\d{1,6}(\.\d{1,6})?$/;

/** Validates a NodePool document, returning the defaulted object when it has no problems. */
export function validateNodePool(raw: unknown): { value?: NodePool; problems: InputProblem[] } {
  raw = withoutNulls(raw);
  const problems = new Problems(objectLabel("NodePool", raw));
  if (!isRecord(raw)) {
    problems.add("", "must be an object");
    return { problems: problems.list };
  }
  checkHeader(raw, problems, NODEPOOL_API_VERSION, "NodePool");
  const metadata = parseMetadata(raw["metadata"], problems);
  const cost = metadata?.annotations?.[ANNOTATION_NODE_COST];
  if (cost !== undefined && !NODE_COST.test(cost)) {
    problems.add(`metadata.annotations["${ANNOTATION_NODE_COST}"]`, `"${cost}" is not a price in USD per hour (a decimal number such as 0.05)`);
  }
  const spec = parseSpec(raw["spec"], problems);
  if (!problems.empty || !metadata || !spec) return { problems: problems.list };
  const value: NodePool = { apiVersion: NODEPOOL_API_VERSION, kind: "NodePool", metadata, spec };
  if (isRecord(raw["status"])) value.status = raw["status"] as NodePool["status"];
  return { value, problems: [] };
}

/** Parses a NodePool; throws InputError carrying every problem found. */
export function parseNodePool(raw: unknown): NodePool {
  const { value, problems } = validateNodePool(raw);
  if (!value) throw new InputError(problems);
  return value;
}
