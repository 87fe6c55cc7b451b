/**
 * NodeClaim (karpenter.sh/v1): a request for one node, as Karpenter's CRD accepts it. NodeClaims
 * usually come from `kubectl get -o yaml` (capacity in flight), so their status is read too:
 * the fields the simulation relies on are type-checked, the rest ignored.
 * Unknown fields in `spec` are problems, for the reason given in nodepool.ts.
 */
import { InputError, type InputProblem } from "../errors.ts";
import type { Condition, NodeClaim, NodeClaimSpec, NodeClaimStatus } from "./types.ts";
import { Problems, withoutNulls, isRecord, objectLabel } from "./fields.ts";
import { checkHeader, parseMetadata, parseNodeClassRef, parseRequirements, parseResourceList, parseTaints, readDuration } from "./common.ts";
import { DEFAULT_EXPIRE_AFTER_MS, NODEPOOL_API_VERSION } from "./nodepool.ts";

function parseSpec(raw: unknown, problems: Problems): NodeClaimSpec | undefined {
  const spec = problems.requiredRecord(raw, "spec");
  if (!spec) return undefined;
  const before = problems.list.length;
  problems.unknownFields(spec, "spec", ["nodeClassRef", "requirements", "taints", "startupTaints", "resources", "expireAfter", "terminationGracePeriod"]);
  const nodeClassRef = parseNodeClassRef(spec["nodeClassRef"], "spec.nodeClassRef", problems);
  const requirements = parseRequirements(spec["requirements"], "spec.requirements", problems, "nodeclaim-requirement");
  const seen = new Set<string>();
  const taints = parseTaints(spec["taints"], "spec.taints", problems, seen);
  const startupTaints = parseTaints(spec["startupTaints"], "spec.startupTaints", problems, seen);
  const resources = problems.record(spec["resources"], "spec.resources");
  let requests: Record<string, string> | undefined;
  if (resources) {
    problems.unknownFields(resources, "spec.resources", ["requests"]);
    requests = parseResourceList(resources["requests"], "spec.resources.requests", problems);
  }
  const expireAfter = spec["expireAfter"] === undefined ? DEFAULT_EXPIRE_AFTER_MS : readDuration(problems, spec["expireAfter"], "spec.expireAfter", "duration-or-never");
  const terminationGracePeriod = readDuration(problems, spec["terminationGracePeriod"], "spec.terminationGracePeriod", "duration");
  if (problems.list.length > before || !nodeClassRef || !requirements || !taints || !startupTaints || expireAfter === undefined) return undefined;
  return {
    nodeClassRef,
    requirements,
    taints,
    startupTaints,
    ...(resources ? { resources: requests ? { requests } : {} } : {}),
    expireAfter,
    ...(typeof terminationGracePeriod === "number" ? { terminationGracePeriod } : {}),
  };
}

function parseStatus(raw: unknown, problems: Problems): NodeClaimStatus | undefined {
  const status = problems.record(raw, "status");
  if (!status) return undefined;
  const out: NodeClaimStatus = {};
  for (const field of ["providerID", "nodeName", "imageID", "lastPodEventTime"] as const) {
    const value = problems.string(status[field], `status.${field}`);
    if (value !== undefined) out[field] = value;
  }
  for (const field of ["capacity", "allocatable"] as const) {
    const value = parseResourceList(status[field], `status.${field}`, problems);
    if (value) out[field] = value;
  }
  if (Array.isArray(status["conditions"])) {
    out.conditions = status["conditions"].filter((c): c is Condition => isRecord(c) && typeof c["type"] === "string" && typeof c["status"] === "string");
  }
  return out;
}

/** Validates a NodeClaim document, returning the defaulted object when it has no problems. */
export function validateNodeClaim(raw: unknown): { value?: NodeClaim; problems: InputProblem[] } {
  raw = withoutNulls(raw);
  const problems = new Problems(objectLabel("NodeClaim", raw));
  if (!isRecord(raw)) {
    problems.add("", "must be an object");
    return { problems: problems.list };
  }
  checkHeader(raw, problems, NODEPOOL_API_VERSION, "NodeClaim");
  const metadata = parseMetadata(raw["metadata"], problems);
  const spec = parseSpec(raw["spec"], problems);
  const status = parseStatus(raw["status"], problems);
  if (!problems.empty || !metadata || !spec) return { problems: problems.list };
  const value: NodeClaim = { apiVersion: NODEPOOL_API_VERSION, kind: "NodeClaim", metadata, spec };
  if (status) value.status = status;
  return { value, problems: [] };
}

/** Parses a NodeClaim; throws InputError carrying every problem found. */
export function parseNodeClaim(raw: unknown): NodeClaim {
  const { value, problems } = validateNodeClaim(raw);
  if (!value) throw new InputError(problems);
  return value;
}
