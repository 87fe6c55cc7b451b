/**
 * An independent checker of scheduling results: given the scheduler's input and its answer, lists
 * every broken hard rule. It does not try to judge quality (cheapest, fewest nodes), only that the
 * answer is one Kubernetes and Karpenter would accept:
 *   - every pending pod is accounted for exactly once (a new claim, an existing node, or unschedulable);
 *   - resources (with DaemonSet overhead on new claims, and already-bound pods on existing nodes) fit
 *     every instance type a claim lists, and every existing node;
 *   - nodeSelector and required node affinity hold on every node a claim could become;
 *   - NoSchedule/NoExecute taints are tolerated;
 *   - required pod anti-affinity and affinity, DoNotSchedule topology spread (zone and hostname) and
 *     host ports hold, with claims pinned to one domain for the keys that need it;
 *   - NodePool limits hold, counting each claim at its largest instance type;
 *   - claimed volumes exist and their zone (PersistentVolume affinity, StorageClass topologies) holds.
 * Where a rule depends on detail the scheduler may legitimately choose, the checker errs on the
 * lenient side, so a reported violation is a real one.
 */
import type { NodeSelectorRequirement, Taint } from "../../../lib/api/types.ts";
import type { InstanceType } from "../../../lib/ports/instance-type.ts";
import type { NodeSelectorTerm, Pod, PodAffinityTerm } from "../../../lib/api/kubernetes.ts";
import { podKey } from "../../../lib/api/kubernetes.ts";
import { parseResources } from "../../../lib/quantity/resources.ts";
import type { ExistingNode, NewNodeClaim, NodePoolOption, SchedulingInput, SchedulingResult } from "../../../lib/scheduling/types.ts";
import {
  hostPortsConflict,
  hostPortsOf,
  labelsAsRequirements,
  namespaceOf,
  nodeConstraintFailure,
  possibleValues,
  requestsOf,
  selectorMatches,
  untoleratedTaint,
  withMatchLabelKeys,
} from "./checker-rules.ts";

export type ViolationKind =
  | "missing"
  | "duplicate"
  | "unknown-pod"
  | "unknown-node"
  | "unknown-nodepool"
  | "instance-type"
  | "resources"
  | "node-affinity"
  | "taint"
  | "pod-anti-affinity"
  | "pod-affinity"
  | "topology-spread"
  | "host-port"
  | "limits"
  | "volume"
  | "reason";

export interface Violation {
  kind: ViolationKind;
  message: string;
}

const HOSTNAME = "kubernetes.io/hostname";
const ZONE = "topology.kubernetes.io/zone";
const CAPACITY_TYPE = "karpenter.sh/capacity-type";
const DAEMONSET_TOLERATED = new Set(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "node.kubernetes.io/unschedulable"]);

/** A place pods end up: an existing node or a new claim. */
interface Host {
  id: string;
  /** What every node this host could be is known to satisfy. */
  requirements: NodeSelectorRequirement[];
  nodeName?: string;
  taints: Taint[];
  bound: Pod[];
  placed: Pod[];
  claim?: NewNodeClaim;
  existing?: ExistingNode;
}

export function checkSchedule(input: SchedulingInput, result: SchedulingResult): Violation[] {
  const v: Violation[] = [];
  const add = (kind: ViolationKind, message: string) => v.push({ kind, message });
  const pending = new Map(input.pods.map((p) => [podKey(p), p]));
  const hosts = buildHosts(input, result, add);
  checkAccounting(input, result, pending, add);
  const pools = new Map(input.nodePools.map((o) => [o.nodePool.metadata.name, o]));
  for (const host of hosts) {
    if (host.claim) checkClaim(host, host.claim, pools.get(host.claim.nodePoolName), input, add);
    else checkExisting(host, add);
    for (const pod of host.placed) {
      const failure = nodeConstraintFailure(pod, host.requirements, host.nodeName);
      if (failure) add("node-affinity", `${podKey(pod)} on ${host.id}: ${failure}`);
      const volume = volumeFailure(pod, host, input);
      if (volume) add("volume", `${podKey(pod)} on ${host.id}: ${volume}`);
      const taint = untoleratedTaint(pod, host.taints);
      if (taint) add("taint", `${podKey(pod)} on ${host.id}: taint ${taint.key}=${taint.value ?? ""}:${taint.effect} not tolerated`);
    }
    checkHostPorts(host, add);
  }
  checkPodAffinity(hosts, add);
  checkTopologySpread(hosts, input, add);
  checkLimits(input, result, add);
  return v;
}

function buildHosts(input: SchedulingInput, result: SchedulingResult, add: (k: ViolationKind, m: string) => void): Host[] {
  const hosts: Host[] = [];
  const existingByName = new Map(input.existingNodes.map((n) => [n.name, n]));
  const placedOn = new Map<string, Host>();
  for (const node of input.existingNodes) {
    const host: Host = {
      id: `node ${node.name}`,
      requirements: labelsAsRequirements({ [HOSTNAME]: node.name, ...node.labels }),
      nodeName: node.name,
      taints: node.taints,
      bound: node.pods,
      placed: [],
      existing: node,
    };
    hosts.push(host);
    placedOn.set(node.name, host);
  }
  for (const placement of result.existingNodes) {
    const node = existingByName.get(placement.name);
    const host = placedOn.get(placement.name);
    if (!node || !host) {
      add("unknown-node", `pods placed on ${placement.name}, which is not existing capacity`);
      continue;
    }
    if (node.unschedulable && placement.pods.length > 0) add("unknown-node", `pods placed on ${placement.name}, which is cordoned or being deleted`);
    host.placed.push(...placement.pods);
  }
  result.newNodeClaims.forEach((claim, i) => {
    hosts.push({
      id: `claim #${i + 1} (${claim.nodePoolName})`,
      requirements: [...claim.requirements, ...labelsAsRequirements(claim.labels), { key: HOSTNAME, operator: "In", values: [`claim-${i + 1}`] }],
      taints: claim.taints,
      bound: [],
      placed: claim.pods,
      claim,
    });
  });
  return hosts;
}

function checkAccounting(input: SchedulingInput, result: SchedulingResult, pending: Map<string, Pod>, add: (k: ViolationKind, m: string) => void): void {
  const seen = new Map<string, number>();
  const count = (pod: Pod) => {
    const key = podKey(pod);
    if (!pending.has(key)) add("unknown-pod", `${key} is in the result but is not a pending pod of the input`);
    seen.set(key, (seen.get(key) ?? 0) + 1);
  };
  for (const claim of result.newNodeClaims) claim.pods.forEach(count);
  for (const placement of result.existingNodes) placement.pods.forEach(count);
  for (const u of result.unschedulable) {
    count(u.pod);
    if (typeof u.reason !== "string" || u.reason.trim() === "") add("reason", `${podKey(u.pod)} is unschedulable without a reason`);
  }
  for (const key of pending.keys()) {
    const n = seen.get(key) ?? 0;
    if (n === 0) add("missing", `${key} appears nowhere in the result`);
    if (n > 1) add("duplicate", `${key} appears ${n} times in the result`);
  }
  void input;
}

function fitFailure(requests: Record<string, number>, allocatable: Readonly<Record<string, number>>, skipMissingPods: boolean): string | undefined {
  for (const [name, amount] of Object.entries(requests)) {
    if (amount <= 0) continue;
    if (name === "pods" && skipMissingPods && allocatable.pods === undefined) continue;
    if (amount > (allocatable[name] ?? 0)) return `${name} ${amount} > ${allocatable[name] ?? 0}`;
  }
  return undefined;
}

function total(pods: readonly Pod[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pod of pods) for (const [k, n] of Object.entries(requestsOf(pod))) out[k] = (out[k] ?? 0) + n;
  return out;
}

function checkExisting(host: Host, add: (k: ViolationKind, m: string) => void): void {
  if (host.placed.length === 0) return;
  const node = host.existing!;
  const newRequests = total(host.placed);
  const used = total([...host.bound, ...host.placed]);
  const relevant = Object.fromEntries(Object.entries(used).filter(([k]) => (newRequests[k] ?? 0) > 0));
  const failure = fitFailure(relevant, node.allocatable, true);
  if (failure) add("resources", `${host.id}: pods do not fit: ${failure}`);
}

/** DaemonSets whose pods surely run on every node the claim could become. */
function daemonSetOverhead(claim: NewNodeClaim, it: InstanceType, input: SchedulingInput): Record<string, number> {
  const requirements = [...claim.requirements, ...labelsAsRequirements(claim.labels), ...it.requirements, ...labelsAsRequirements(it.labels)];
  const pods: Pod[] = [];
  for (const ds of input.daemonSets) {
    const pod: Pod = { metadata: { name: ds.metadata.name, ...(ds.spec.template.metadata ?? {}) }, spec: ds.spec.template.spec };
    const taints = claim.taints.filter((t) => !DAEMONSET_TOLERATED.has(t.key));
    if (untoleratedTaint(pod, taints)) continue;
    if (nodeConstraintFailure(pod, requirements, undefined)) continue;
    pods.push(pod);
  }
  const out = total(pods);
  delete out.pods;
  // DaemonSet pods do take pod slots.
  if (pods.length > 0) out.pods = pods.length;
  return out;
}

function checkClaim(host: Host, claim: NewNodeClaim, pool: NodePoolOption | undefined, input: SchedulingInput, add: (k: ViolationKind, m: string) => void): void {
  if (!pool) {
    add("unknown-nodepool", `${host.id}: NodePool ${claim.nodePoolName} is not in the input`);
    return;
  }
  if (claim.pods.length === 0) add("instance-type", `${host.id}: a new claim with no pods`);
  if (claim.instanceTypes.length === 0) add("instance-type", `${host.id}: lists no instance type`);
  const poolTypes = new Set(pool.instanceTypes.map((it) => it.name));
  const poolTaints = pool.nodePool.spec.template.spec.taints;
  for (const t of poolTaints) {
    if (!claim.taints.some((c) => c.key === t.key && c.effect === t.effect && (c.value ?? "") === (t.value ?? ""))) {
      add("taint", `${host.id}: NodePool taint ${t.key}:${t.effect} is missing from the claim`);
    }
  }
  const podRequests = total(claim.pods);
  for (const it of claim.instanceTypes) {
    if (!poolTypes.has(it.name)) add("instance-type", `${host.id}: ${it.name} is not an instance type of NodePool ${claim.nodePoolName}`);
    const nodeReqs = [...host.requirements, ...it.requirements, ...labelsAsRequirements(it.labels)];
    const offering = it.offerings.some(
      (o) => o.available && allows(nodeReqs, ZONE, o.zone) && allows(nodeReqs, CAPACITY_TYPE, o.capacityType),
    );
    if (!offering) add("instance-type", `${host.id}: ${it.name} has no available offering the claim allows`);
    const needed = { ...podRequests };
    for (const [k, n] of Object.entries(daemonSetOverhead(claim, it, input))) needed[k] = (needed[k] ?? 0) + n;
    const failure = fitFailure(needed, it.allocatable, false);
    if (failure) add("resources", `${host.id}: pods do not fit ${it.name}: ${failure}`);
    for (const pod of claim.pods) {
      const f = nodeConstraintFailure(pod, nodeReqs, undefined);
      if (f) add("node-affinity", `${podKey(pod)} on ${host.id} as ${it.name}: ${f}`);
    }
  }
  // The claim must obey its NodePool's requirements.
  for (const r of pool.nodePool.spec.template.spec.requirements) {
    const f = nodeConstraintFailure({ metadata: { name: "nodepool" }, spec: { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: r.key, operator: r.operator, values: r.values ?? [] }] }] } } } } }, host.requirements, undefined);
    if (f && r.key !== HOSTNAME) add("node-affinity", `${host.id}: breaks NodePool requirement ${r.key} ${r.operator} ${(r.values ?? []).join(",")}`);
  }
}

function allows(reqs: readonly NodeSelectorRequirement[], key: string, value: string): boolean {
  const p = possibleValues(key, reqs);
  if (p.kind === "set") return p.values.has(value);
  if (p.kind === "except") return !p.values.has(value);
  return true; // not constrained: any offering will do
}

/** The one domain of `key` a host is in; undefined when it has no such label or is not pinned to one value. */
function domainOf(host: Host, key: string): string | undefined {
  const p = possibleValues(key, host.requirements);
  return p.kind === "set" && p.values.size === 1 ? [...p.values][0] : undefined;
}

function isPinned(host: Host, key: string): boolean {
  const p = possibleValues(key, host.requirements);
  return p.kind === "absent" || (p.kind === "set" && p.values.size === 1);
}

function termNamespaces(term: PodAffinityTerm, pod: Pod): ((ns: string) => boolean) {
  if (term.namespaceSelector && Object.keys(term.namespaceSelector).length === 0) return () => true;
  const list = term.namespaces?.length ? term.namespaces : [namespaceOf(pod)];
  return (ns) => list.includes(ns);
}

function termMatches(term: PodAffinityTerm, owner: Pod, other: Pod): boolean {
  if (!termNamespaces(term, owner)(namespaceOf(other))) return false;
  return selectorMatches(withMatchLabelKeys(term.labelSelector, term.matchLabelKeys, owner), other.metadata.labels ?? {});
}

function checkPodAffinity(hosts: readonly Host[], add: (k: ViolationKind, m: string) => void): void {
  const all = hosts.flatMap((h) => [...h.bound.map((p) => ({ pod: p, host: h, placed: false })), ...h.placed.map((p) => ({ pod: p, host: h, placed: true }))]);
  for (const a of all) {
    for (const term of a.pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (a.placed && !isPinned(a.host, term.topologyKey)) {
        add("pod-anti-affinity", `${podKey(a.pod)} on ${a.host.id}: ${term.topologyKey} is not pinned to one value`);
        continue;
      }
      const domain = domainOf(a.host, term.topologyKey);
      if (domain === undefined) continue;
      for (const b of all) {
        if (b.pod === a.pod || (!a.placed && !b.placed)) continue;
        if (domainOf(b.host, term.topologyKey) !== domain) continue;
        if (termMatches(term, a.pod, b.pod)) {
          add("pod-anti-affinity", `${podKey(a.pod)} and ${podKey(b.pod)} share ${term.topologyKey}=${domain} against ${podKey(a.pod)}'s anti-affinity`);
        }
      }
    }
    if (!a.placed) continue;
    for (const term of a.pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const domain = domainOf(a.host, term.topologyKey);
      const partners = all.filter((b) => b.pod !== a.pod && termMatches(term, a.pod, b.pod));
      const together = domain !== undefined && partners.some((b) => domainOf(b.host, term.topologyKey) === domain);
      // The first pod of a group that selects itself may open the domain (Kubernetes' special case).
      const opensGroup = partners.every((b) => b.placed) && termMatches(term, a.pod, a.pod);
      if (!together && !opensGroup) add("pod-affinity", `${podKey(a.pod)} on ${a.host.id}: no pod matching its affinity in the same ${term.topologyKey}`);
    }
  }
}

function checkTopologySpread(hosts: readonly Host[], input: SchedulingInput, add: (k: ViolationKind, m: string) => void): void {
  const checked = new Set<string>();
  for (const host of hosts) {
    for (const pod of host.placed) {
      for (const c of pod.spec.topologySpreadConstraints ?? []) {
        if (c.whenUnsatisfiable !== "DoNotSchedule") continue;
        if (!isPinned(host, c.topologyKey) || domainOf(host, c.topologyKey) === undefined) {
          add("topology-spread", `${podKey(pod)} on ${host.id}: ${c.topologyKey} is not pinned to one value`);
          continue;
        }
        const selector = withMatchLabelKeys(c.labelSelector, c.matchLabelKeys, pod);
        const key = `${namespaceOf(pod)}|${c.topologyKey}|${c.maxSkew}|${JSON.stringify(selector)}|${JSON.stringify(pod.spec.nodeSelector ?? {})}|${JSON.stringify(pod.spec.affinity?.nodeAffinity ?? {})}`;
        if (checked.has(key)) continue;
        checked.add(key);
        const matching = (p: Pod) => namespaceOf(p) === namespaceOf(pod) && selectorMatches(selector, p.metadata.labels ?? {});
        // Pods with other node constraints see other eligible domains, so they must match too.
        // Claimed volumes pin pods to their volumes' zones, which narrows their domains too: such groups are skipped.
        const sameNodeConstraints = (p: Pod) =>
          !hasClaimedVolume(p) &&
          JSON.stringify(p.spec.nodeSelector ?? {}) === JSON.stringify(pod.spec.nodeSelector ?? {}) &&
          JSON.stringify(p.spec.affinity?.nodeAffinity ?? {}) === JSON.stringify(pod.spec.affinity?.nodeAffinity ?? {});
        const sameConstraint = (p: Pod) =>
          sameNodeConstraints(p) &&
          (p.spec.topologySpreadConstraints ?? []).some(
            (x) => x.topologyKey === c.topologyKey && x.maxSkew === c.maxSkew && x.whenUnsatisfiable === "DoNotSchedule" && JSON.stringify(withMatchLabelKeys(x.labelSelector, x.matchLabelKeys, p)) === JSON.stringify(selector),
          );
        // Judged only for a homogeneous group (every new matching pod carries this constraint and
        // the same node constraints): then the
        // final count of a domain is what it held right after its last such pod arrived.
        if (!hosts.every((h) => h.placed.every((p) => !matching(p) || sameConstraint(p)))) continue;
        const counts = new Map<string, number>();
        const receivedNew = new Set<string>();
        for (const h of hosts) {
          // Nodes the pod's node constraints exclude don't count (nodeAffinityPolicy Honor, the default).
          if (c.nodeAffinityPolicy !== "Ignore" && nodeConstraintFailure(pod, h.requirements, h.nodeName)) continue;
          // Cordoned nodes count in kube-scheduler but schedulers differ on them: leave them out (lenient).
          if (h.existing?.unschedulable) continue;
          const domain = domainOf(h, c.topologyKey);
          if (domain === undefined) continue;
          counts.set(domain, (counts.get(domain) ?? 0) + h.bound.filter(matching).length + h.placed.filter(matching).length);
          if (h.placed.some(matching)) receivedNew.add(domain);
        }
        if (c.topologyKey === ZONE) for (const zone of zonesFor(pod, host, input)) if (!counts.has(zone)) counts.set(zone, 0);
        const min = Math.min(...counts.values());
        for (const domain of receivedNew) {
          // Placing the last pod into a domain needed count - min <= maxSkew at that moment, and the minimum only grows.
          if (counts.get(domain)! - min > c.maxSkew) {
            add("topology-spread", `${podKey(pod)}: ${c.topologyKey}=${domain} holds ${counts.get(domain)} matching pods, minimum is ${min}, maxSkew ${c.maxSkew}`);
          }
        }
      }
    }
  }
}

/** Zones a new claim for this pod could have used: allowed by the claim's other requirements and offered by its instance types. */
function zonesFor(pod: Pod, host: Host, input: SchedulingInput): string[] {
  if (!host.claim) return [];
  const pool = input.nodePools.find((o) => o.nodePool.metadata.name === host.claim!.nodePoolName);
  if (!pool) return [];
  const withoutZone = host.claim.requirements.filter((r) => r.key !== ZONE);
  const poolZone = pool.nodePool.spec.template.spec.requirements.filter((r) => r.key === ZONE);
  const zones = new Set<string>();
  for (const it of host.claim.instanceTypes) {
    for (const o of it.offerings) {
      if (!o.available || !allows([...withoutZone, ...poolZone], ZONE, o.zone) || !allows(withoutZone, CAPACITY_TYPE, o.capacityType)) continue;
      if (nodeConstraintFailure(pod, [...labelsAsRequirements({ [ZONE]: o.zone })], undefined) && hasZoneConstraint(pod)) continue;
      zones.add(o.zone);
    }
  }
  return [...zones];
}

function hasZoneConstraint(pod: Pod): boolean {
  return JSON.stringify([pod.spec.nodeSelector ?? {}, pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? {}]).includes(ZONE);
}

function checkHostPorts(host: Host, add: (k: ViolationKind, m: string) => void): void {
  const ports = [...host.bound, ...host.placed].map((p) => ({ pod: p, ports: hostPortsOf(p) }));
  const placed = new Set(host.placed);
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (!placed.has(ports[i]!.pod) && !placed.has(ports[j]!.pod)) continue;
      const clash = ports[i]!.ports.find((a) => ports[j]!.ports.some((b) => hostPortsConflict(a, b)));
      if (clash) add("host-port", `${podKey(ports[i]!.pod)} and ${podKey(ports[j]!.pod)} both use host port ${clash.port}/${clash.protocol} on ${host.id}`);
    }
  }
}

function checkLimits(input: SchedulingInput, result: SchedulingResult, add: (k: ViolationKind, m: string) => void): void {
  for (const option of input.nodePools) {
    const name = option.nodePool.metadata.name;
    const claims = result.newNodeClaims.filter((c) => c.nodePoolName === name);
    const raw = option.nodePool.spec.limits ?? {};
    if (claims.length === 0 || Object.keys(raw).length === 0) continue;
    const limits = parseResources(raw);
    const usage: Record<string, number> = {};
    const addTo = (r: Readonly<Record<string, number>>) => {
      for (const [k, n] of Object.entries(r)) usage[k] = (usage[k] ?? 0) + n;
    };
    let nodes = 0;
    for (const node of input.existingNodes) {
      if (node.nodePoolName !== name) continue;
      nodes++;
      const capacity = node.node?.status?.capacity ?? node.nodeClaim?.status?.capacity;
      addTo(capacity ? parseResources(capacity) : node.allocatable);
    }
    for (const claim of claims) {
      nodes++;
      const largest: Record<string, number> = {};
      for (const it of claim.instanceTypes) for (const [k, n] of Object.entries(it.capacity)) largest[k] = Math.max(largest[k] ?? 0, n);
      addTo(largest);
    }
    usage.nodes = nodes;
    for (const [k, limit] of Object.entries(limits)) {
      if ((usage[k] ?? 0) > limit) add("limits", `NodePool ${name}: ${k} would reach ${usage[k]}, above its limit ${limit}`);
    }
  }
}

/**
 * Whether a pending pod obviously has a home: it has no node, pod or port constraints, and some
 * NodePool without limits whose taints it tolerates has an instance type, allowed by the pool's
 * requirements and with an allowed available offering, that holds the pod plus every DaemonSet.
 * A scheduler that calls such a pod unschedulable is wrong. (Existing capacity is not needed.)
 */
export function obviouslySchedulable(input: SchedulingInput, pod: Pod): boolean {
  const spec = pod.spec;
  if (spec.nodeSelector && Object.keys(spec.nodeSelector).length > 0) return false;
  if (spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution) return false;
  if (spec.affinity?.podAffinity || spec.affinity?.podAntiAffinity || spec.topologySpreadConstraints?.length) return false;
  if (hostPortsOf(pod).length > 0 || spec.volumes?.length) return false;
  const needed = total([pod, ...input.daemonSets.map((ds): Pod => ({ metadata: { name: ds.metadata.name }, spec: ds.spec.template.spec }))]);
  return input.nodePools.some((option) => {
    const template = option.nodePool.spec.template.spec;
    if (Object.keys(option.nodePool.spec.limits ?? {}).length > 0) return false;
    if (untoleratedTaint(pod, template.taints)) return false;
    const poolReqs = [...template.requirements, ...labelsAsRequirements(option.nodePool.spec.template.metadata.labels)];
    return option.instanceTypes.some((it) => {
      const itReqs = [...it.requirements, ...labelsAsRequirements(it.labels)];
      const keys = new Set(poolReqs.map((r) => r.key).filter((k) => k !== ZONE && k !== CAPACITY_TYPE));
      for (const key of keys) {
        const p = possibleValues(key, itReqs);
        const exprs = poolReqs.filter((r) => r.key === key);
        if (p.kind !== "set" || p.values.size !== 1 || !exprs.every((e) => surelyIn(p, e))) return false;
      }
      const offered = it.offerings.some((o) => o.available && allows(poolReqs, ZONE, o.zone) && allows(poolReqs, CAPACITY_TYPE, o.capacityType));
      return offered && fitFailure(needed, it.allocatable, false) === undefined;
    });
  });
}

function surelyIn(p: { kind: "set"; values: Set<string> }, e: NodeSelectorRequirement): boolean {
  const [value] = [...p.values];
  const values = e.values ?? [];
  if (e.operator === "In") return values.includes(value!);
  if (e.operator === "NotIn") return !values.includes(value!);
  return e.operator === "Exists";
}

function requiredTerms(terms: NodeSelectorTerm[]): Pod {
  return { metadata: { name: "volume" }, spec: { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } } };
}

/**
 * Volume rules: a pod's claims must exist; a bound claim's PersistentVolume node affinity must hold
 * on the host (but a local or hostPath volume's hostname); an unbound claim whose StorageClass lists allowed topologies (alternatives) must be
 * placeable there.
 */
function volumeFailure(pod: Pod, host: Host, input: SchedulingInput): string | undefined {
  const ns = namespaceOf(pod);
  for (const volume of pod.spec.volumes ?? []) {
    const claimName = volume.persistentVolumeClaim?.claimName ?? (volume.ephemeral ? `${pod.metadata.name}-${volume.name}` : undefined);
    if (!claimName) continue;
    const claim = input.volumes.claims.find((c) => (c.metadata.namespace || "default") === ns && c.metadata.name === claimName);
    if (!claim) {
      if (volume.ephemeral) continue; // the API server creates it from the template
      return `PersistentVolumeClaim ${ns}/${claimName} does not exist`;
    }
    if (claim.spec.volumeName) {
      const pv = input.volumes.volumes.find((v) => v.metadata.name === claim.spec.volumeName);
      if (!pv) return `PersistentVolume ${claim.spec.volumeName} of claim ${claimName} does not exist`;
      let terms = pv.spec.nodeAffinity?.required?.nodeSelectorTerms ?? [];
      // A local or hostPath volume's hostname is where it was, not where a new node will be.
      if (pv.spec.local !== undefined || pv.spec.hostPath !== undefined) {
        const kept = terms.map((t) => ({ ...t, matchExpressions: (t.matchExpressions ?? []).filter((e) => e.key !== "kubernetes.io/hostname") }));
        terms = kept.some((t, i) => t.matchExpressions.length === 0 && (terms[i]!.matchExpressions ?? []).length > 0) ? [] : kept;
      }
      if (terms.length > 0 && nodeConstraintFailure(requiredTerms(terms), host.requirements, host.nodeName)) {
        return `PersistentVolume ${pv.metadata.name} is not reachable from here`;
      }
      continue;
    }
    const storageClass = input.volumes.storageClasses.find((sc) => sc.metadata.name === claim.spec.storageClassName);
    const allowed: NodeSelectorTerm[] = (storageClass?.allowedTopologies ?? [])
      .map((t) => ({ matchExpressions: (t.matchLabelExpressions ?? []).map((e) => ({ key: e.key, operator: "In" as const, values: e.values })) }))
      .filter((t) => t.matchExpressions.length > 0);
    if (allowed.length > 0 && nodeConstraintFailure(requiredTerms(allowed), host.requirements, host.nodeName)) {
      return `StorageClass ${storageClass!.metadata.name} does not allow this topology`;
    }
  }
  return undefined;
}

function hasClaimedVolume(pod: Pod): boolean {
  return (pod.spec.volumes ?? []).some((v) => v.persistentVolumeClaim || v.ephemeral);
}
