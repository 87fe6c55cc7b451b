/**
 * What a pod asks of a node, as kube-scheduler counts it: requests only (a limit with no request
 * stands in for the request, as the API server defaults it), init containers as the peak of their
 * sequence, sidecars (restartable init containers) running alongside everything after them,
 * pod overhead on top, pod-level `spec.resources` overriding the container sum, and one "pods".
 */
import type { Container, Pod, ResourceRequirements } from "../api/kubernetes.ts";
import { parseResources, type Resources } from "../quantity/resources.ts";

/** A container's effective requests: request, or the limit when no request is given. */
export function effectiveRequests(resources: ResourceRequirements | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!resources) return out;
  const limits = parseResources(resources.limits);
  const requests = parseResources(resources.requests);
  for (const name in limits) out[name] = limits[name]!;
  for (const name in requests) out[name] = requests[name]!;
  return out;
}

function addInto(into: Record<string, number>, add: Resources): void {
  for (const name in add) into[name] = (into[name] ?? 0) + add[name]!;
}
function maxInto(into: Record<string, number>, other: Resources): void {
  for (const name in other) if ((into[name] ?? 0) < other[name]!) into[name] = other[name]!;
}

/** Requests of all containers, init containers and sidecars (KEP-753), without overhead. */
function containerRequests(containers: readonly Container[], initContainers: readonly Container[]): Record<string, number> {
  const running: Record<string, number> = {};
  for (const c of containers) addInto(running, effectiveRequests(c.resources));
  const sidecars: Record<string, number> = {};
  const initPeak: Record<string, number> = {};
  for (const c of initContainers) {
    const own = effectiveRequests(c.resources);
    if (c.restartPolicy === "Always") {
      // A sidecar keeps running: it adds to every later init container and to the main phase.
      addInto(sidecars, own);
      maxInto(initPeak, sidecars);
    } else {
      const during: Record<string, number> = { ...sidecars };
      addInto(during, own);
      maxInto(initPeak, during);
    }
  }
  addInto(running, sidecars);
  maxInto(running, initPeak);
  return running;
}

/**
 * The pod's total requests in scheduler units, with `pods: 1`. Throws QuantityError on a
 * malformed quantity (the caller reports the pod unschedulable with that message).
 */
export function podRequests(pod: Pod): Resources {
  const spec = pod.spec;
  const out = containerRequests(spec.containers ?? [], spec.initContainers ?? []);
  if (spec.resources) {
    // Pod-level resources replace the aggregate for the resources they name.
    const podLevel = effectiveRequests(spec.resources);
    for (const name in podLevel) out[name] = podLevel[name]!;
  }
  if (spec.overhead) addInto(out, parseResources(spec.overhead));
  out.pods = (out.pods ?? 0) + 1;
  for (const name of Object.keys(out)) if (out[name] === 0 && name !== "pods") delete out[name];
  return out;
}

/**
 * The field that gives the pod Dynamic Resource Allocation requirements (`spec.resourceClaims`, or a
 * container's `resources.claims`), or undefined when it has none. Like Karpenter with its default
 * IGNORE_DRA_REQUESTS, Tenon does not schedule such pods, nor count such DaemonSets' overhead.
 */
export function draRequirementField(pod: Pod): string | undefined {
  if ((pod.spec.resourceClaims ?? []).length > 0) return "spec.resourceClaims";
  for (const [list, path] of [[pod.spec.initContainers ?? [], "spec.initContainers"], [pod.spec.containers ?? [], "spec.containers"]] as const) {
    const c = list.find((x) => (x.resources?.claims ?? []).length > 0);
    if (c) return `${path}[${c.name}].resources.claims`;
  }
  return undefined;
}
