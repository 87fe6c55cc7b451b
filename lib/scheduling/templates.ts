/**
 * NodePools as claim templates: their requirements (spec requirements ∩ template labels ∩ the
 * nodepool label), taints, instance types, DaemonSet overhead and limits, in the order new claims
 * try them (weight descending, then name).
 */
import { LABEL_HOSTNAME, LABEL_INITIALIZED, LABEL_NODEPOOL, LABEL_REGISTERED, WELL_KNOWN_LABEL_KEYS, normalizeLabelKey } from "../api/labels.ts";
import type { NodePool, Taint } from "../api/types.ts";
import type { DaemonSet, Pod, Toleration } from "../api/kubernetes.ts";
import { parseResources, type Resources } from "../quantity/resources.ts";
import { allowWellKnown, Requirement, Requirements, type AllowUndefined } from "../requirements/index.ts";
import { LABEL_CAPACITY_TYPE, LABEL_ZONE } from "../api/labels.ts";
import { podNodeConstraints } from "./node-affinity.ts";
import { draRequirementField, podRequests } from "./pod-requests.ts";
import { podHostPorts, type HostPort } from "./host-ports.ts";
import { prepareTypes, TypeCatalog, type PreparedType } from "./instance-types.ts";
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
  /**
   * The NodePool's instance types; each one's `allocatable` is already less the DaemonSets that
   * would run on it here (`daemon`), as Karpenter counts overhead per instance type.
   */
  readonly catalog: TypeCatalog;
  /** Host ports bound by DaemonSets that run on every instance type of the NodePool. */
  readonly daemonPorts: readonly HostPort[];
  /** Whether some instance type runs a DaemonSet binding host ports (pods with host ports then check per type). */
  readonly daemonPortsVary: boolean;
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
  const prepared = prepareDaemonSets(daemonSets);
  const sorted = [...options].sort((a, b) => (b.nodePool.spec.weight ?? 0) - (a.nodePool.spec.weight ?? 0) || cmp(a.nodePool.metadata.name, b.nodePool.metadata.name));
  return sorted.map((o, index) => {
    const np = o.nodePool;
    const name = np.metadata.name;
    const labels: Record<string, string> = { ...np.spec.template.metadata.labels, [LABEL_NODEPOOL]: name };
    const reqs = Requirements.fromNodeSelector(np.spec.template.spec.requirements, normalizeLabelKey)
      .intersect(Requirements.fromLabels(labels, normalizeLabelKey))
      .with(Requirement.in(LABEL_NODEPOOL, [name]));
    const taints = np.spec.template.spec.taints ?? [];
    const daemons = daemonsFor(prepared, reqs, taints, allowUndefined);
    // Without DaemonSet overhead on any type, the pool shares the prepared catalog of its type list.
    const catalog = daemons.length === 0 ? sharedCatalog(o.instanceTypes).catalog : new TypeCatalog(withDaemonOverhead(prepareTypes(o.instanceTypes), daemons));
    const portSets = new Set(catalog.types.map((t) => (t.daemonPorts.length ? t.daemonPorts : NO_PORTS)));
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
      daemonPorts: portSets.size === 1 ? [...portSets][0]! : commonPorts(catalog.types),
      daemonPortsVary: portSets.size > 1 && catalog.types.some((t) => t.daemonPorts.length > 0),
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

/** A DaemonSet's pod as scheduling reads it, worked out once per run. */
interface DaemonPod {
  readonly name: string;
  readonly tolerations: Toleration[];
  /** Its required node constraints, one entry per required node-affinity term (ORed). */
  readonly terms: Requirements[];
  readonly requests: Resources;
  readonly ports: HostPort[];
}

function prepareDaemonSets(daemonSets: readonly DaemonSet[]): DaemonPod[] {
  const out: DaemonPod[] = [];
  for (const ds of daemonSets) {
    const pod: Pod = { metadata: { name: ds.metadata.name, namespace: ds.metadata.namespace, labels: ds.spec.template.metadata?.labels }, spec: ds.spec.template.spec };
    // A DaemonSet needing DRA is left out, as its pods are (Karpenter with IGNORE_DRA_REQUESTS).
    if (draRequirementField(pod) !== undefined) continue;
    let requests: Resources;
    try {
      requests = podRequests(pod);
    } catch {
      continue; // a malformed DaemonSet quantity can't be counted; the DaemonSet is reported elsewhere
    }
    const c = podNodeConstraints(pod);
    // The DaemonSet controller pins each pod to its node by name, never by a hostname label.
    const base = c.base.without(LABEL_HOSTNAME);
    const terms = c.requiredTerms.length ? c.requiredTerms.map((t) => base.intersect(t.without(LABEL_HOSTNAME))) : [base];
    out.push({ name: ds.metadata.name, tolerations: pod.spec.tolerations ?? [], terms, requests, ports: podHostPorts(pod) });
  }
  return out;
}

/**
 * The DaemonSets whose pods would run on a node of this NodePool, each with the constraint terms
 * that allow it. A node gets `karpenter.sh/registered` and `karpenter.sh/initialized` once up, so
 * DaemonSets that select those labels count; the labels are only assumed here, never put on claims.
 */
function daemonsFor(daemons: readonly DaemonPod[], reqs: Requirements, taints: readonly Taint[], allowUndefined: AllowUndefined): Array<{ daemon: DaemonPod; terms: Requirements[] }> {
  const node = reqs.with(Requirement.in(LABEL_REGISTERED, ["true"])).with(Requirement.in(LABEL_INITIALIZED, ["true"]));
  const out: Array<{ daemon: DaemonPod; terms: Requirements[] }> = [];
  for (const d of daemons) {
    // The DaemonSet controller ignores PreferNoSchedule; NoSchedule and NoExecute must be tolerated.
    if (untoleratedTaint(d.tolerations, taints, true)) continue;
    const terms = d.terms.filter((t) => node.isCompatible(t, allowUndefined));
    if (terms.length) out.push({ daemon: d, terms });
  }
  return out;
}

const ALLOW_ALL: AllowUndefined = () => true;
const NO_PORTS: readonly HostPort[] = [];

/**
 * Each type with the requests and host ports of the DaemonSets that would run on it (a term of
 * theirs meets the type's own labels, keys the type doesn't define aside), taken off its
 * allocatable. A DaemonSet that no type meets adds nothing anywhere.
 */
function withDaemonOverhead(types: PreparedType[], daemons: ReadonlyArray<{ daemon: DaemonPod; terms: Requirements[] }>): PreparedType[] {
  if (daemons.length === 0) return types;
  const shared = new Map<string, { requests: Resources; ports: readonly HostPort[] }>();
  return types.map((t) => {
    const running = daemons.filter((d) => d.terms.some((term) => t.reqs.isCompatible(term, ALLOW_ALL)));
    if (running.length === 0) return t;
    const key = running.map((d) => d.daemon.name).join("\0");
    let overhead = shared.get(key);
    if (!overhead) {
      const requests: Record<string, number> = {};
      const ports: HostPort[] = [];
      for (const { daemon } of running) {
        for (const name in daemon.requests) requests[name] = (requests[name] ?? 0) + daemon.requests[name]!;
        ports.push(...daemon.ports);
      }
      overhead = { requests, ports: ports.length ? ports : NO_PORTS };
      shared.set(key, overhead);
    }
    const allocatable: Record<string, number> = { ...t.allocatable };
    for (const name in overhead.requests) allocatable[name] = (allocatable[name] ?? 0) - overhead.requests[name]!;
    return { ...t, allocatable, daemon: overhead.requests, daemonPorts: overhead.ports };
  });
}

/** Host ports every type's DaemonSets bind. */
function commonPorts(types: readonly PreparedType[]): readonly HostPort[] {
  if (types.length === 0) return NO_PORTS;
  const key = (p: HostPort) => `${p.ip}:${p.port}/${p.protocol}`;
  let common = new Set(types[0]!.daemonPorts.map(key));
  for (const t of types) {
    const mine = new Set(t.daemonPorts.map(key));
    common = new Set([...common].filter((k) => mine.has(k)));
  }
  return types[0]!.daemonPorts.filter((p) => common.has(key(p)));
}

/** Requests of the DaemonSets that would run on a node with these labels and taints. */
export function daemonOverhead(daemonSets: readonly DaemonSet[], reqs: Requirements, taints: readonly Taint[], allowUndefined: AllowUndefined): Resources {
  const total: Record<string, number> = {};
  for (const { daemon } of daemonsFor(prepareDaemonSets(daemonSets), reqs, taints, allowUndefined)) {
    for (const name in daemon.requests) total[name] = (total[name] ?? 0) + daemon.requests[name]!;
  }
  return total;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
