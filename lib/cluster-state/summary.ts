/**
 * A bound pod reduced to what the scheduler reads of pods already on a node, so 50,000 of them
 * fit in a Lambda's memory and in a DynamoDB snapshot (docs/kubernetes.md, "Keeping cluster state
 * current"). What the scheduler reads of a bound pod, and so what is kept:
 *  - its total requests (lib/scheduling/pod-requests.ts: init containers, sidecars, overhead and
 *    pod-level resources already folded in), to subtract from the node's allocatable;
 *  - namespace and labels, for topology-spread and pod-(anti-)affinity counts;
 *  - host ports (lib/scheduling/host-ports.ts);
 *  - its own required pod anti-affinity terms, which keep later pods away (topology.ts);
 *  - the DaemonSet that owns it, if any (overhead still owed on a node that is not initialized);
 *  - the node it is bound to.
 * `podFromSummary` turns a summary back into a minimal Pod for which the scheduler computes the
 * same requests, ports, labels and terms as for the original.
 */
import type { Pod, PodAffinityTerm } from "../api/kubernetes.ts";
import { formatResources, type Resources } from "../quantity/resources.ts";
import { podHostPorts, type HostPort } from "../scheduling/host-ports.ts";
import { podRequests } from "../scheduling/pod-requests.ts";

const TERMINAL_PHASES = new Set(["Succeeded", "Failed"]);

export interface BoundPodSummary {
  namespace: string;
  name: string;
  uid?: string;
  node: string;
  /** Requests as the scheduler counts them, without the `pods: 1` every pod adds. Absent when none. */
  requests?: Record<string, number>;
  labels?: Record<string, string>;
  hostPorts?: HostPort[];
  /** `spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution`. */
  antiAffinity?: PodAffinityTerm[];
  /** Name of the owning DaemonSet. */
  daemonSet?: string;
}

/** Bound to a node and not finished: the pods that hold capacity. */
export function holdsCapacity(pod: Pod): boolean {
  return Boolean(pod.spec.nodeName) && !TERMINAL_PHASES.has(pod.status?.phase ?? "");
}

export function summaryKey(summary: Pick<BoundPodSummary, "namespace" | "name">): string {
  return `${summary.namespace}/${summary.name}`;
}

/** Requests without the automatic pod slot; a pod with a malformed quantity counts as requesting nothing, as the scheduler treats it. */
function requestsOf(pod: Pod): Record<string, number> {
  let all: Resources;
  try {
    all = podRequests(pod);
  } catch {
    return {};
  }
  const out: Record<string, number> = { ...all };
  const pods = (out.pods ?? 1) - 1;
  if (pods > 0) out.pods = pods;
  else delete out.pods;
  return out;
}

/** The summary of a pod that holds capacity; undefined for pods that do not (unbound or finished). */
export function summarizeBoundPod(pod: Pod): BoundPodSummary | undefined {
  if (!holdsCapacity(pod)) return undefined;
  const out: BoundPodSummary = { namespace: pod.metadata.namespace || "default", name: pod.metadata.name, node: pod.spec.nodeName! };
  if (pod.metadata.uid) out.uid = pod.metadata.uid;
  const requests = requestsOf(pod);
  if (Object.keys(requests).length > 0) out.requests = requests;
  if (pod.metadata.labels && Object.keys(pod.metadata.labels).length > 0) out.labels = { ...pod.metadata.labels };
  const ports = podHostPorts(pod);
  if (ports.length > 0) out.hostPorts = ports;
  const anti = pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (anti && anti.length > 0) out.antiAffinity = structuredClone(anti);
  const daemonSet = pod.metadata.ownerReferences?.find((o) => o.kind === "DaemonSet")?.name;
  if (daemonSet !== undefined) out.daemonSet = daemonSet;
  return out;
}

/** A minimal Pod carrying exactly the summary: one container with the total requests and the host ports. */
export function podFromSummary(summary: BoundPodSummary): Pod {
  const container: Pod["spec"]["containers"][number] = { name: "summary" };
  if (summary.requests) container.resources = { requests: formatResources(summary.requests) };
  if (summary.hostPorts) {
    container.ports = summary.hostPorts.map((p) => ({ containerPort: p.port, hostPort: p.port, hostIP: p.ip, protocol: p.protocol as "TCP" | "UDP" | "SCTP" }));
  }
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: summary.name, namespace: summary.namespace },
    spec: { nodeName: summary.node, containers: [container] },
    status: { phase: "Running" },
  };
  if (summary.uid) pod.metadata.uid = summary.uid;
  if (summary.labels) pod.metadata.labels = { ...summary.labels };
  if (summary.daemonSet !== undefined) pod.metadata.ownerReferences = [{ apiVersion: "apps/v1", kind: "DaemonSet", name: summary.daemonSet }];
  if (summary.antiAffinity) pod.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: structuredClone(summary.antiAffinity) } };
  return pod;
}

/** Checks a value read back from the store has the summary's shape; the reason when it has not. */
export function summaryProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "not an object";
  const v = value as Record<string, unknown>;
  for (const field of ["namespace", "name", "node"] as const) if (typeof v[field] !== "string" || v[field] === "") return `${field} is not a non-empty string`;
  if (v.uid !== undefined && typeof v.uid !== "string") return "uid is not a string";
  if (v.requests !== undefined && !isRecordOf(v.requests, "number")) return "requests is not a map of numbers";
  if (v.labels !== undefined && !isRecordOf(v.labels, "string")) return "labels is not a map of strings";
  if (v.hostPorts !== undefined && !Array.isArray(v.hostPorts)) return "hostPorts is not a list";
  if (v.antiAffinity !== undefined && !Array.isArray(v.antiAffinity)) return "antiAffinity is not a list";
  if (v.daemonSet !== undefined && typeof v.daemonSet !== "string") return "daemonSet is not a string";
  return undefined;
}

function isRecordOf(value: unknown, type: "number" | "string"): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((x) => typeof x === type);
}
