/**
 * Builds the scheduler's input from raw Kubernetes objects, applying the cluster semantics of the
 * simulate contract (docs/simulate.md, "Semantics the input relies on"). Pure: the simulate
 * command and the provisioner Lambda call it with whatever they observed.
 *
 * Decisions worth knowing:
 * - Pending pods: no `spec.nodeName`, not DaemonSet-owned, not being deleted.
 * - Bound pods in a terminal phase (Succeeded/Failed) hold no capacity and are dropped.
 * - A NodeClaim and a Node with the same provider ID are one machine, named by the Node.
 * - An in-flight NodeClaim (no Node) offers `status.allocatable` when it has one; otherwise the
 *   element-wise minimum allocatable of the instance types it may still become (from its NodePool's
 *   instance types, narrowed by its instance-type requirement), so whatever launches can hold what
 *   the simulation put there. With neither it offers nothing (and a note says so).
 * - Every existing node also gets a `capacity` for NodePool limits, which Karpenter counts against
 *   capacity, not allocatable: the Node's `status.capacity` (for a node not yet initialized, or one
 *   reporting none, filled from its NodeClaim's or instance type's); an in-flight NodeClaim's
 *   `status.capacity`, else the element-wise LARGEST capacity of the instance types it may still
 *   become. Largest, unlike allocatable's smallest, because limits must hold whichever of them
 *   launches (the same bound new claims reserve). Resources still unknown are filled from allocatable.
 * - A Node with a NodePool label but not `karpenter.sh/initialized=true` ignores its NodePool's (and
 *   NodeClaim's) startup taints and the not-ready/unreachable taints; resources it reports as absent
 *   or zero come from its NodeClaim, or without one from the instance type its label names.
 * - Cordoned or deleting Nodes, and deleting NodeClaims, are `unschedulable`.
 * - DaemonSets pass through untouched: the scheduler adds their overhead to new claims and owes it on
 *   capacity that is not initialized yet where their pod is not bound; bound DaemonSet pods stay in
 *   their node's `pods` and stand in for the overhead there.
 * - `beta.kubernetes.io/*` (and `failure-domain.beta...`) keys are rewritten to their stable keys in
 *   pod constraints, volume topology, and added next to the beta key on node labels.
 */
import { LABEL_ALIASES, LABEL_INITIALIZED, LABEL_INSTANCE_TYPE, LABEL_NODEPOOL, normalizeLabelKey } from "../api/labels.ts";
import type { NodeClaim, NodeSelectorRequirement, Taint } from "../api/types.ts";
import type { InstanceType } from "../ports/instance-type.ts";
import type {
  DaemonSet,
  Node,
  NodeSelectorTerm,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodAffinityTerm,
  StorageClass,
} from "../api/kubernetes.ts";
import { podKey } from "../api/kubernetes.ts";
import { parseResources, type Resources } from "../quantity/resources.ts";
import { isStaticNodePool } from "./templates.ts";
import type { ExistingNode, NodePoolOption, SchedulingInput, SchedulingOptions } from "./types.ts";

// Taints a node carries only until it is up and Tenon has registered it: ignored on uninitialized
// managed nodes, or a node that joined before the lifecycle tick registered it would look full and
// every pod its NodeClaim was launched for would get a second NodeClaim.
const NOT_READY_TAINTS = new Set(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "karpenter.sh/unregistered"]);
const TERMINAL_PHASES = new Set(["Succeeded", "Failed"]);

function isAlias(key: string): boolean {
  return Object.hasOwn(LABEL_ALIASES, key);
}

/** Everything observed about the cluster, as raw (but parsed) objects. */
export interface ClusterObjects {
  pods: readonly Pod[];
  nodes: readonly Node[];
  nodeClaims: readonly NodeClaim[];
  /** NodePools with the instance types each may launch. */
  nodePools: readonly NodePoolOption[];
  daemonSets: readonly DaemonSet[];
  persistentVolumeClaims: readonly PersistentVolumeClaim[];
  persistentVolumes: readonly PersistentVolume[];
  storageClasses: readonly StorageClass[];
}

export interface SnapshotOptions {
  scheduling?: SchedulingOptions;
  /** Receives remarks a user may want to see (pods bound to unknown nodes, capacity guessed, ...). */
  note?: (message: string) => void;
}

export function buildSchedulingInput(objects: ClusterObjects, options: SnapshotOptions = {}): SchedulingInput {
  const note = options.note ?? (() => {});
  for (const option of objects.nodePools) {
    if (isStaticNodePool(option.nodePool)) {
      note(`NodePool ${option.nodePool.metadata.name} is static (spec.replicas: ${option.nodePool.spec.replicas}): Tenon does not provision pending pods from it; its existing nodes still count as capacity`);
    }
  }
  const pods = objects.pods.map(normalizePod);
  const pending = pods.filter(isPending);
  const existingNodes = buildExistingNodes(objects, note);
  attachBoundPods(pods, existingNodes, note);
  const input: SchedulingInput = {
    pods: pending,
    nodePools: [...objects.nodePools],
    existingNodes,
    daemonSets: [...objects.daemonSets],
    volumes: {
      claims: withEphemeralClaims(objects.persistentVolumeClaims, pods),
      volumes: objects.persistentVolumes.map(normalizeVolume),
      storageClasses: objects.storageClasses.map(normalizeStorageClass),
    },
  };
  if (options.scheduling) input.options = options.scheduling;
  return input;
}

// ---- pods ----------------------------------------------------------------------------------------

export function isDaemonSetPod(pod: Pod): boolean {
  return (pod.metadata.ownerReferences ?? []).some((owner) => owner.kind === "DaemonSet");
}

/** A pod the scheduler has to place: unbound, not a DaemonSet's, not being deleted. */
export function isPending(pod: Pod): boolean {
  return !pod.spec.nodeName && !isDaemonSetPod(pod) && !pod.metadata.deletionTimestamp;
}

function normalizeRequirements(requirements: readonly NodeSelectorRequirement[] | undefined): NodeSelectorRequirement[] | undefined {
  return requirements?.map((r) => (isAlias(r.key) ? { ...r, key: normalizeLabelKey(r.key) } : r));
}

function normalizeTerms(terms: readonly NodeSelectorTerm[]): NodeSelectorTerm[] {
  return terms.map((term) => {
    const out: NodeSelectorTerm = { ...term };
    const expressions = normalizeRequirements(term.matchExpressions);
    if (expressions) out.matchExpressions = expressions;
    return out;
  });
}

function normalizeAffinityTerms<T extends PodAffinityTerm>(terms: readonly T[] | undefined): T[] | undefined {
  return terms?.map((t) => (isAlias(t.topologyKey) ? { ...t, topologyKey: normalizeLabelKey(t.topologyKey) } : t));
}

/** A copy of the pod whose node constraints use stable label keys; the pod itself is left alone. */
export function normalizePod(pod: Pod): Pod {
  const spec = pod.spec;
  const usesAlias =
    Object.keys(spec.nodeSelector ?? {}).some(isAlias) ||
    JSON.stringify(spec.affinity ?? {}).match(/beta\.kubernetes\.io|topology\.ebs\.csi/) !== null ||
    (spec.topologySpreadConstraints ?? []).some((c) => isAlias(c.topologyKey));
  if (!usesAlias) return pod;
  const out: Pod = { ...pod, spec: { ...spec } };
  if (spec.nodeSelector) {
    out.spec.nodeSelector = Object.fromEntries(Object.entries(spec.nodeSelector).map(([k, v]) => [normalizeLabelKey(k), v]));
  }
  if (spec.topologySpreadConstraints) {
    out.spec.topologySpreadConstraints = spec.topologySpreadConstraints.map((c) => ({ ...c, topologyKey: normalizeLabelKey(c.topologyKey) }));
  }
  const affinity = spec.affinity;
  if (affinity) {
    const nodeAffinity = affinity.nodeAffinity;
    out.spec.affinity = { ...affinity };
    if (nodeAffinity) {
      const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
      const preferred = nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution;
      out.spec.affinity.nodeAffinity = {
        ...(required ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: normalizeTerms(required.nodeSelectorTerms) } } : {}),
        ...(preferred
          ? { preferredDuringSchedulingIgnoredDuringExecution: preferred.map((p) => ({ ...p, preference: normalizeTerms([p.preference])[0]! })) }
          : {}),
      };
    }
    for (const kind of ["podAffinity", "podAntiAffinity"] as const) {
      const block = affinity[kind];
      if (!block) continue;
      const required = normalizeAffinityTerms(block.requiredDuringSchedulingIgnoredDuringExecution);
      const preferred = block.preferredDuringSchedulingIgnoredDuringExecution?.map((p) => ({
        ...p,
        podAffinityTerm: normalizeAffinityTerms([p.podAffinityTerm])![0]!,
      }));
      out.spec.affinity[kind] = {
        ...(required ? { requiredDuringSchedulingIgnoredDuringExecution: required } : {}),
        ...(preferred ? { preferredDuringSchedulingIgnoredDuringExecution: preferred } : {}),
      };
    }
  }
  return out;
}

/** Node labels with the stable key added wherever only its deprecated alias is present. */
export function withStableLabels(labels: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = { ...(labels ?? {}) };
  for (const [alias, stable] of Object.entries(LABEL_ALIASES)) {
    if (out[alias] !== undefined && out[stable] === undefined) out[stable] = out[alias]!;
  }
  return out;
}

function normalizeVolume(volume: PersistentVolume): PersistentVolume {
  const terms = volume.spec.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) return volume;
  return { ...volume, spec: { ...volume.spec, nodeAffinity: { required: { nodeSelectorTerms: normalizeTerms(terms) } } } };
}

function normalizeStorageClass(storageClass: StorageClass): StorageClass {
  if (!storageClass.allowedTopologies) return storageClass;
  return {
    ...storageClass,
    allowedTopologies: storageClass.allowedTopologies.map((t) => ({
      matchLabelExpressions: t.matchLabelExpressions?.map((e) => ({ ...e, key: normalizeLabelKey(e.key) })),
    })),
  };
}

/** The claims the API server would create for generic ephemeral volumes (`<pod>-<volume>`), when absent. */
function withEphemeralClaims(claims: readonly PersistentVolumeClaim[], pods: readonly Pod[]): PersistentVolumeClaim[] {
  const out = [...claims];
  const known = new Set(claims.map((c) => `${c.metadata.namespace || "default"}/${c.metadata.name}`));
  for (const pod of pods) {
    for (const volume of pod.spec.volumes ?? []) {
      const template = volume.ephemeral?.volumeClaimTemplate;
      if (!template) continue;
      const namespace = pod.metadata.namespace || "default";
      const name = `${pod.metadata.name}-${volume.name}`;
      if (known.has(`${namespace}/${name}`)) continue;
      known.add(`${namespace}/${name}`);
      out.push({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: {
          name,
          namespace,
          ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
          ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: pod.metadata.name, controller: true }],
        },
        spec: template.spec,
      });
    }
  }
  return out;
}

// ---- existing capacity ---------------------------------------------------------------------------

function buildExistingNodes(objects: ClusterObjects, note: (message: string) => void): ExistingNode[] {
  const poolsByName = new Map(objects.nodePools.map((option) => [option.nodePool.metadata.name, option]));
  const claimsByProviderID = new Map<string, NodeClaim>();
  for (const claim of objects.nodeClaims) {
    if (claim.status?.providerID) claimsByProviderID.set(claim.status.providerID, claim);
  }
  const matched = new Set<NodeClaim>();
  const out: ExistingNode[] = [];
  for (const node of objects.nodes) {
    const claim = node.spec.providerID ? claimsByProviderID.get(node.spec.providerID) : undefined;
    if (claim) matched.add(claim);
    out.push(existingFromNode(node, claim, poolsByName, note));
  }
  for (const claim of objects.nodeClaims) {
    if (!matched.has(claim)) out.push(existingFromNodeClaim(claim, poolsByName, note));
  }
  return out;
}

function nodePoolOf(labels: Readonly<Record<string, string>>, claim: NodeClaim | undefined): string | undefined {
  return labels[LABEL_NODEPOOL] ?? claim?.metadata.ownerReferences?.find((o) => o.kind === "NodePool")?.name;
}

function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect && (b.value === undefined || (a.value ?? "") === b.value);
}

function existingFromNode(
  node: Node,
  claim: NodeClaim | undefined,
  pools: ReadonlyMap<string, NodePoolOption>,
  note: (message: string) => void,
): ExistingNode {
  const labels = withStableLabels(node.metadata.labels);
  const nodePoolName = nodePoolOf(labels, claim);
  const managed = labels[LABEL_NODEPOOL] !== undefined;
  const initialized = !managed || labels[LABEL_INITIALIZED] === "true";
  let taints = node.spec.taints ?? [];
  let allocatable: Resources = parseResources(node.status?.allocatable);
  let capacity: Resources = parseResources(node.status?.capacity);
  const pool = nodePoolName ? pools.get(nodePoolName) : undefined;
  // Without a NodeClaim, the instance type the node says it is stands in for it.
  const ownType = claim ? undefined : pool?.instanceTypes.find((it) => it.name === labels[LABEL_INSTANCE_TYPE]);
  if (!initialized) {
    const startupTaints = [...(pool?.nodePool.spec.template.spec.startupTaints ?? []), ...(claim?.spec.startupTaints ?? [])];
    taints = taints.filter((t) => !NOT_READY_TAINTS.has(t.key) && !startupTaints.some((s) => sameTaint(t, s)));
    const expected = claim ? expectedAllocatable(claim, labels, pools, note, node.metadata.name) : (ownType?.allocatable ?? {});
    allocatable = fillUnreported(allocatable, expected);
  }
  if (!initialized || Object.keys(capacity).length === 0) {
    capacity = fillUnreported(capacity, claim ? expectedCapacity(claim, labels, pools) : (ownType?.capacity ?? {}));
  }
  const existing: ExistingNode = {
    name: node.metadata.name,
    node,
    labels,
    taints,
    allocatable,
    capacity: fillUnreported(capacity, allocatable),
    pods: [],
    unschedulable: Boolean(node.spec.unschedulable || node.metadata.deletionTimestamp || claim?.metadata.deletionTimestamp),
    initialized,
  };
  if (claim) existing.nodeClaim = claim;
  if (nodePoolName) existing.nodePoolName = nodePoolName;
  return existing;
}

/** Resources the node reports as absent or zero are taken from what its NodeClaim expects. */
function fillUnreported(reported: Resources, expected: Resources): Resources {
  const out: Record<string, number> = { ...reported };
  for (const [name, value] of Object.entries(expected)) if (!out[name]) out[name] = value;
  return out;
}

function existingFromNodeClaim(claim: NodeClaim, pools: ReadonlyMap<string, NodePoolOption>, note: (message: string) => void): ExistingNode {
  const labels: Record<string, string> = { ...singleValuedLabels(claim.spec.requirements), ...withStableLabels(claim.metadata.labels) };
  const nodePoolName = nodePoolOf(labels, claim);
  if (nodePoolName && labels[LABEL_NODEPOOL] === undefined) labels[LABEL_NODEPOOL] = nodePoolName;
  const pool = nodePoolName ? pools.get(nodePoolName) : undefined;
  const instanceType = pool?.instanceTypes.find((it) => it.name === labels[LABEL_INSTANCE_TYPE]);
  if (instanceType) for (const [k, v] of Object.entries(instanceType.labels)) labels[k] ??= v;
  const allocatable = expectedAllocatable(claim, labels, pools, note, claim.metadata.name);
  const existing: ExistingNode = {
    name: claim.metadata.name,
    nodeClaim: claim,
    labels,
    taints: claim.spec.taints ?? [],
    allocatable,
    capacity: fillUnreported(expectedCapacity(claim, labels, pools), allocatable),
    pods: [],
    unschedulable: Boolean(claim.metadata.deletionTimestamp),
    initialized: false,
  };
  if (nodePoolName) existing.nodePoolName = nodePoolName;
  return existing;
}

/** Keys that an `In` requirement pins to exactly one value. */
function singleValuedLabels(requirements: readonly NodeSelectorRequirement[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of requirements) {
    if (r.operator === "In" && r.values?.length === 1) out[normalizeLabelKey(r.key)] = r.values[0]!;
  }
  return out;
}

function expectedAllocatable(
  claim: NodeClaim,
  labels: Readonly<Record<string, string>>,
  pools: ReadonlyMap<string, NodePoolOption>,
  note: (message: string) => void,
  name: string,
): Resources {
  if (claim.status?.allocatable && Object.keys(claim.status.allocatable).length > 0) return parseResources(claim.status.allocatable);
  const candidates = candidateTypes(claim, labels, pools);
  if (candidates.length === 0) {
    note(`NodeClaim ${claim.metadata.name} (${name}): no allocatable in its status and no known instance type it may become; it is given no capacity`);
    return {};
  }
  return minimumResources(candidates.map((it) => it.allocatable));
}

/** The claim's reported capacity, else the largest of the types it may become (an upper bound for limits). */
function expectedCapacity(claim: NodeClaim, labels: Readonly<Record<string, string>>, pools: ReadonlyMap<string, NodePoolOption>): Resources {
  if (claim.status?.capacity && Object.keys(claim.status.capacity).length > 0) return parseResources(claim.status.capacity);
  return maximumResources(candidateTypes(claim, labels, pools).map((it) => it.capacity));
}

function candidateTypes(claim: NodeClaim, labels: Readonly<Record<string, string>>, pools: ReadonlyMap<string, NodePoolOption>): InstanceType[] {
  const poolName = nodePoolOf(labels, claim);
  const pool = poolName ? pools.get(poolName) : undefined;
  return (pool?.instanceTypes ?? []).filter((it) => mayBecome(it, claim.spec.requirements, labels));
}

function mayBecome(instanceType: InstanceType, requirements: readonly NodeSelectorRequirement[], labels: Readonly<Record<string, string>>): boolean {
  const pinned = labels[LABEL_INSTANCE_TYPE];
  if (pinned !== undefined) return instanceType.name === pinned;
  const rule = requirements.find((r) => normalizeLabelKey(r.key) === LABEL_INSTANCE_TYPE);
  if (!rule) return true;
  const values = rule.values ?? [];
  if (rule.operator === "In") return values.includes(instanceType.name);
  if (rule.operator === "NotIn") return !values.includes(instanceType.name);
  return rule.operator !== "DoesNotExist";
}

/** Element-wise minimum; a resource missing from any list counts as zero. */
function minimumResources(lists: readonly Resources[]): Resources {
  const names = new Set(lists.flatMap((l) => Object.keys(l)));
  const out: Record<string, number> = {};
  for (const name of names) out[name] = Math.min(...lists.map((l) => l[name] ?? 0));
  return out;
}

/** Element-wise maximum; a resource missing from a list doesn't lower it. */
function maximumResources(lists: readonly Resources[]): Resources {
  const out: Record<string, number> = {};
  for (const list of lists) for (const [name, value] of Object.entries(list)) out[name] = Math.max(out[name] ?? 0, value);
  return out;
}

function attachBoundPods(pods: readonly Pod[], existing: readonly ExistingNode[], note: (message: string) => void): void {
  const byName = new Map<string, ExistingNode>();
  for (const node of existing) if (node.node) byName.set(node.name, node);
  for (const pod of pods) {
    const nodeName = pod.spec.nodeName;
    if (!nodeName || TERMINAL_PHASES.has(pod.status?.phase ?? "")) continue;
    const node = byName.get(nodeName);
    if (node) node.pods.push(pod);
    else if (!isDaemonSetPod(pod)) note(`pod ${podKey(pod)} is bound to node ${nodeName}, which is not in the input; ignored`);
  }
}
