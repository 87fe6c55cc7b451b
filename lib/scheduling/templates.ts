/**
 * NodePools as claim templates: their requirements (spec requirements ∩ template labels ∩ the
 * nodepool label), taints, instance types, DaemonSet overhead and limits, in the order new claims
 * try them (weight descending, then name).
 */
import { LABEL_NODEPOOL, WELL_KNOWN_LABEL_KEYS, normalizeLabelKey } from "../api/labels.ts";
import type { NodePool, Taint } from "../api/types.ts";
import type { DaemonSet, Pod } from "../api/kubernetes.ts";
import { parseResources, type Resources } from "../quantity/resources.ts";
import { allowWellKnown, Requirement, Requirements, type AllowUndefined } from "../requirements/index.ts";
import { LABEL_CAPACITY_TYPE, LABEL_ZONE } from "../api/labels.ts";
import { podNodeConstraints } from "./node-affinity.ts";
import { draRequirementField, podRequests } from "./pod-requests.ts";
import { podHostPorts, type HostPort } from "./host-ports.ts";
import { prepareTypes, TypeCatalog } from "./instance-types.ts";
import { untoleratedTaint } from "./taints.ts";
import type { NodePoolOption } from "./types.ts";
import type { InstanceType } from "../ports/instance-type.ts";

export interface NodePoolTemplate {
  readonly index: number;
  readonly name: string;
  readonly weight: number;
  readonly reqs: Requirements;
  /** Template labels plus karpenter.sh/nodepool. */
  readonly labels: Record<string, string>;
  readonly taints: readonly Taint[];
  readonly startupTaints: readonly Taint[];
  readonly catalog: TypeCatalog;
  readonly daemonRequests: Resources;
  /** Host ports the DaemonSets running on such a node bind. */
  readonly daemonPorts: readonly HostPort[];
  /** Parsed spec.limits, or undefined when unlimited. */
  readonly limits: Resources | undefined;
  readonly allowUndefined: AllowUndefined;
  /** The values a key can take on this NodePool's nodes (for topology domains). */
  domains(key: string): readonly string[];
}

/**
 * Keys a pod may select on although the NodePool does not define them: well-known labels and
 * every key the instance-type catalog gives its types (a cloud provider's own labels).
 */
export function wellKnownKeys(options: readonly NodePoolOption[]): ReadonlySet<string> {
  const keys = new Set<string>(WELL_KNOWN_LABEL_KEYS);
  for (const o of options) for (const k of sharedCatalog(o.instanceTypes).keys) keys.add(k);
  return keys;
}

interface SharedCatalog {
  items: readonly InstanceType[];
  catalog: TypeCatalog;
  /** Every label key the types define, normalized. */
  keys: readonly string[];
}

/** The last few lists prepared, newest first: a cluster's NodePools use a handful. */
const recent: SharedCatalog[] = [];
const RECENT_LIMIT = 8;

/**
 * The prepared catalog and label keys of an instance-type list, remembered while a list of the
 * same frozen type objects, in the same order, comes back (the bundled catalog hands out the same
 * frozen types call after call, and a disruption pass schedules dozens of simulations with them:
 * rebuilding both each time was most of a replay's time). Lists of types that are not frozen are
 * prepared afresh every time.
 */
function sharedCatalog(types: readonly InstanceType[]): SharedCatalog {
  const hit = recent.find((r) => r.items.length === types.length && r.items.every((t, i) => t === types[i]));
  if (hit) return hit;
  const keys = new Set<string>();
  for (const t of types) {
    for (const r of t.requirements) keys.add(normalizeLabelKey(r.key));
    for (const k of Object.keys(t.labels)) keys.add(normalizeLabelKey(k));
  }
  const out: SharedCatalog = { items: [...types], catalog: new TypeCatalog(prepareTypes(types)), keys: [...keys] };
  if (types.every((t) => Object.isFrozen(t) && Object.isFrozen(t.offerings))) {
    recent.unshift(out);
    recent.length = Math.min(recent.length, RECENT_LIMIT);
  }
  return out;
}

/** A static NodePool (`spec.replicas` set) keeps a fixed node count and is never provisioned for pending pods. */
export function isStaticNodePool(nodePool: NodePool): boolean {
  return nodePool.spec.replicas !== undefined;
}

export function buildTemplates(options: readonly NodePoolOption[], daemonSets: readonly DaemonSet[]): NodePoolTemplate[] {
  const allowUndefined: AllowUndefined = allowWellKnown(wellKnownKeys(options));
  const sorted = [...options].sort((a, b) => (b.nodePool.spec.weight ?? 0) - (a.nodePool.spec.weight ?? 0) || cmp(a.nodePool.metadata.name, b.nodePool.metadata.name));
  return sorted.map((o, index) => {
    const np = o.nodePool;
    const name = np.metadata.name;
    const labels: Record<string, string> = { ...np.spec.template.metadata.labels, [LABEL_NODEPOOL]: name };
    const reqs = Requirements.fromNodeSelector(np.spec.template.spec.requirements, normalizeLabelKey)
      .intersect(Requirements.fromLabels(labels, normalizeLabelKey))
      .with(Requirement.in(LABEL_NODEPOOL, [name]));
    const taints = np.spec.template.spec.taints ?? [];
    const catalog = sharedCatalog(o.instanceTypes).catalog;
    const limits = Object.keys(np.spec.limits ?? {}).length ? parseResources(np.spec.limits) : undefined;
    const domainCache = new Map<string, string[]>();
    const template: NodePoolTemplate = {
      index,
      name,
      weight: np.spec.weight ?? 0,
      reqs,
      labels,
      taints,
      startupTaints: np.spec.template.spec.startupTaints ?? [],
      catalog,
      ...(() => {
        const d = daemonOverheadWithPorts(daemonSets, reqs, taints, allowUndefined);
        return { daemonRequests: d.requests, daemonPorts: d.ports };
      })(),
      limits,
      allowUndefined,
      domains(key) {
        let d = domainCache.get(key);
        if (!d) {
          d = templateDomains(reqs, catalog, key);
          domainCache.set(key, d);
        }
        return d;
      },
    };
    return template;
  });
}

function templateDomains(reqs: Requirements, catalog: TypeCatalog, key: string): string[] {
  const own = reqs.get(key);
  const set = new Set<string>();
  let typesDefine = false;
  for (const t of catalog.types) {
    const r = t.reqs.get(key);
    if (!r || r.complement) continue;
    if (key === LABEL_ZONE || key === LABEL_CAPACITY_TYPE) {
      // Only offerings both the NodePool and the type allow.
      for (const o of t.offerings) {
        if (!reqs.allows(LABEL_ZONE, o.zone) || !reqs.allows(LABEL_CAPACITY_TYPE, o.capacityType)) continue;
        set.add(key === LABEL_ZONE ? o.zone : o.capacityType);
      }
      typesDefine = true;
      continue;
    }
    typesDefine = true;
    for (const v of r.values) if (!own || own.has(v)) set.add(v);
  }
  if (!typesDefine && own && !own.complement) for (const v of own.values) set.add(v);
  return [...set].sort();
}

/** Requests of the DaemonSets that would run on a node of this template. */
export function daemonOverhead(daemonSets: readonly DaemonSet[], reqs: Requirements, taints: readonly Taint[], allowUndefined: AllowUndefined): Resources {
  return daemonOverheadWithPorts(daemonSets, reqs, taints, allowUndefined).requests;
}

/** Requests and host ports of the DaemonSets that would run on such a node. */
export function daemonOverheadWithPorts(
  daemonSets: readonly DaemonSet[],
  reqs: Requirements,
  taints: readonly Taint[],
  allowUndefined: AllowUndefined,
): { requests: Resources; ports: HostPort[] } {
  const total: Record<string, number> = {};
  const ports: HostPort[] = [];
  for (const ds of daemonSets) {
    const pod: Pod = { metadata: { name: ds.metadata.name, namespace: ds.metadata.namespace, labels: ds.spec.template.metadata?.labels }, spec: ds.spec.template.spec };
    // A DaemonSet needing DRA is left out, as its pods are (Karpenter with IGNORE_DRA_REQUESTS).
    if (draRequirementField(pod) !== undefined) continue;
    // The DaemonSet controller ignores PreferNoSchedule; NoSchedule and NoExecute must be tolerated.
    if (untoleratedTaint(pod.spec.tolerations ?? [], taints, true)) continue;
    const c = podNodeConstraints(pod);
    const nodeReqs = c.requiredTerms.length ? c.base.intersect(c.requiredTerms[0]!) : c.base;
    if (c.requiredTerms.length > 1 && !c.requiredTerms.some((t) => reqs.isCompatible(c.base.intersect(t), allowUndefined))) continue;
    if (c.requiredTerms.length <= 1 && !reqs.isCompatible(nodeReqs, allowUndefined)) continue;
    let requests: Resources;
    try {
      requests = podRequests(pod);
    } catch {
      continue; // a malformed DaemonSet quantity can't be counted; the DaemonSet is reported elsewhere
    }
    for (const name in requests) total[name] = (total[name] ?? 0) + requests[name]!;
    ports.push(...podHostPorts(pod));
  }
  return { requests: total, ports };
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
