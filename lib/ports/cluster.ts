/**
 * The Kubernetes cluster as Tenon's functions see it: paged reads of what exists and what is
 * pending, and the few writes Tenon makes (node metadata and taints, finalizers, deletes,
 * CRD status conditions, events, evictions).
 *
 * Adapters: lib/cluster/kube/ (the real API server, EKS token) and lib/cluster/in-memory/ (in memory,
 * virtual clock). Every read is paged (`limit`/`continue`) so a 50,000-pod cluster never
 * arrives in one response; `listAll` walks the pages.
 *
 * Writes are idempotent, and the ones that could lose a concurrent update say how they avoid it:
 *  - labels and annotations: JSON merge patch (maps merge key by key, `null` deletes a key);
 *  - cordon: strategic merge patch of `spec.unschedulable`;
 *  - finalizers: strategic merge patch (the list merges by value upstream, so adding one never
 *    drops another's, and `$deleteFromPrimitiveList` removes exactly one);
 *  - taints: JSON patch with a `test` of `metadata.resourceVersion`, because `spec.taints` has no
 *    merge strategy and a plain patch would overwrite a taint someone else just added;
 *  - NodePool / EC2NodeClass conditions: merge patch on the `status` subresource (CRDs don't
 *    take strategic merge), always carrying the full conditions list.
 */
import type { Condition, Taint } from "../api/types.ts";
import type {
  DaemonSet,
  LabelSelector,
  LabelSelectorRequirement,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
  StorageClass,
  VolumeAttachment,
} from "../api/kubernetes.ts";

/** Page size used by `listAll` and recommended to adapters: big enough to be cheap, small enough for Lambda memory. */
export const DEFAULT_PAGE_SIZE = 500;

export interface ListOptions {
  /** Maximum items in this page. */
  limit?: number;
  /** The `continue` token of the previous page. */
  continue?: string;
}

export interface SelectorListOptions extends ListOptions {
  /** A label selector in the API's text form (see `formatLabelSelector`); filtered by the server. */
  labelSelector?: string;
}
export type PodListOptions = SelectorListOptions;

export interface Page<T> {
  items: T[];
  /** Present when more pages follow. */
  continue?: string;
  /** The list's resourceVersion, for a later watch. */
  resourceVersion?: string;
}

export type Lister<T> = (options: ListOptions) => Promise<Page<T>>;

/**
 * A continue token too old to use (the API server answers 410 Gone once etcd has compacted the
 * snapshot the list started from, after about 5 minutes). The whole list must start over.
 */
export class ListExpiredError extends Error {
  constructor(message = "the list's continue token expired; the list must start again") {
    super(message);
    this.name = "ListExpiredError";
  }
}

/** Every item of a paged list, page by page; starts over (at most `restarts` times) when a token expires. */
export async function listAll<T>(list: Lister<T>, pageSize = DEFAULT_PAGE_SIZE, restarts = 2): Promise<T[]> {
  return (await listAllWithVersion(list, pageSize, restarts)).items;
}

/**
 * `listAll`, with the resourceVersion of the first page: the API server serves every page of one
 * list from that snapshot, so changes after it are exactly what the list missed.
 */
export async function listAllWithVersion<T>(list: Lister<T>, pageSize = DEFAULT_PAGE_SIZE, restarts = 2): Promise<{ items: T[]; resourceVersion: string | undefined }> {
  for (let attempt = 0; ; attempt++) {
    const items: T[] = [];
    let resourceVersion: string | undefined;
    let token: string | undefined;
    try {
      do {
        const page = await list(token === undefined ? { limit: pageSize } : { limit: pageSize, continue: token });
        if (token === undefined) resourceVersion = page.resourceVersion;
        items.push(...page.items);
        token = page.continue || undefined;
      } while (token !== undefined);
      return { items, resourceVersion };
    } catch (err) {
      if (!(err instanceof ListExpiredError) || attempt >= restarts) throw err;
    }
  }
}

/** Raw custom objects: lib/api/ parses and validates them, so a bad one is reported, not crashed on. */
export type RawObject = Record<string, unknown> & { metadata?: { name?: string; resourceVersion?: string; generation?: number } };

export type CustomObjectKind = "NodePool" | "EC2NodeClass";

export interface CustomResourceRef {
  group: string;
  version: string;
  plural: string;
}

export const CUSTOM_RESOURCES: Readonly<Record<CustomObjectKind, CustomResourceRef>> = {
  NodePool: { group: "karpenter.sh", version: "v1", plural: "nodepools" },
  EC2NodeClass: { group: "karpenter.k8s.aws", version: "v1", plural: "ec2nodeclasses" },
};

/** Karpenter's NodeClaim objects: Tenon mirrors its table into them (lib/mirror/nodeclaims.ts) when it may. */
export const NODECLAIM_RESOURCE: CustomResourceRef = { group: "karpenter.sh", version: "v1", plural: "nodeclaims" };

/** A coordination.k8s.io Lease as leader election keeps it (the fields Tenon reads). */
export interface Lease {
  namespace: string;
  name: string;
  /** Empty or absent once its holder released it. */
  holderIdentity?: string;
  /** RFC 3339 (micro)time of the last renewal. */
  renewTime?: string;
  leaseDurationSeconds?: number;
}

export interface NodeMetadataPatch {
  /** Value `null` removes the key. */
  labels?: Record<string, string | null>;
  annotations?: Record<string, string | null>;
}

/** Outcome of a write guarded by a resourceVersion. */
export type GuardedWrite<T> = { outcome: "written"; object: T } | { outcome: "conflict" } | { outcome: "not-found" };

export type EvictionResult =
  | { outcome: "evicted" }
  /** 429: a PodDisruptionBudget does not allow it now; try again later. */
  | { outcome: "blocked"; message: string }
  | { outcome: "not-found" };

export interface EventObjectRef {
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  apiVersion?: string;
}

export interface ClusterEvent {
  involvedObject: EventObjectRef;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  /**
   * Deduplication as Karpenter's recorder does it: the same reason with the same values (usually
   * the object's uid) is published at most once per `timeoutMs` (default 2 minutes), across runs
   * (lib/actions/events.ts keeps the claims in the store). Absent: published every time.
   */
  dedupe?: { values: string[]; timeoutMs?: number };
  /**
   * A token bucket shared by every event naming the same `key` in one run, as Karpenter's
   * recorder rate-limits `Nominated` (5 a second, bursts of 10): checked after the dedupe claim,
   * so an event dropped here is not published again within its dedupe timeout either.
   */
  rateLimit?: { key: string; perSecond: number; burst: number };
}

export interface PodChange {
  type: "ADDED" | "MODIFIED" | "DELETED";
  pod: Pod;
}

/**
 * What happened to pods since a resourceVersion: the changes in order and the resourceVersion to
 * ask from next time; or "expired" when the server no longer keeps history that old (410 Gone,
 * typically after about 5 minutes), and the caller must list again.
 */
export type PodChanges = { outcome: "changes"; changes: PodChange[]; resourceVersion: string } | { outcome: "expired" };

export interface NodeChange {
  type: "ADDED" | "MODIFIED" | "DELETED";
  node: Node;
}

/** As `PodChanges`, for nodes: the changes in order and the resourceVersion to ask from next; or "expired" (410 Gone). */
export type NodeChanges = { outcome: "changes"; changes: NodeChange[]; resourceVersion: string } | { outcome: "expired" };

export interface ClusterReader {
  /**
   * Pods not bound to a node and not finished (`spec.nodeName=` and phase neither Succeeded nor
   * Failed). This includes pods the scheduler has not tried yet; `isMarkedUnschedulable` tells
   * which ones it gave up on.
   */
  listPendingPods(options?: ListOptions): Promise<Page<Pod>>;
  /**
   * Unfinished pods, bound or not. Without a label selector this is every pod of the cluster:
   * on a large cluster prefer a selector (topology, affinity) or per-node lists; see docs/kubernetes.md.
   */
  listActivePods(options?: PodListOptions): Promise<Page<Pod>>;
  /**
   * Pod changes after `resourceVersion` (a list's `Page.resourceVersion`, or the one the last call
   * returned), so a function can keep a pod view current at the cost of the churn, not the
   * cluster's size. Waits at most `timeoutSeconds` (default 2) for the server to send them.
   */
  podChangesSince(resourceVersion: string, options?: { timeoutSeconds?: number; labelSelector?: string }): Promise<PodChanges>;
  /** Unfinished pods bound to one node. */
  listPodsOnNode(nodeName: string, options?: ListOptions): Promise<Page<Pod>>;
  /** e.g. `{labelSelector: "karpenter.sh/nodepool,!karpenter.sh/initialized"}` for capacity still coming up. */
  listNodes(options?: SelectorListOptions): Promise<Page<Node>>;
  /**
   * Node changes after `resourceVersion` (a node list's `Page.resourceVersion`, or the one the last
   * call returned), with the same semantics as `podChangesSince`: a node view kept current costs the
   * nodes that changed, not the cluster's size.
   */
  nodeChangesSince(resourceVersion: string, options?: { timeoutSeconds?: number; labelSelector?: string }): Promise<NodeChanges>;
  getNode(name: string): Promise<Node | undefined>;
  listDaemonSets(options?: ListOptions): Promise<Page<DaemonSet>>;
  listPodDisruptionBudgets(options?: ListOptions): Promise<Page<PodDisruptionBudget>>;
  listPersistentVolumeClaims(options?: ListOptions): Promise<Page<PersistentVolumeClaim>>;
  listPersistentVolumes(options?: ListOptions): Promise<Page<PersistentVolume>>;
  listStorageClasses(options?: ListOptions): Promise<Page<StorageClass>>;
  /**
   * Every VolumeAttachment (cluster-scoped; the API server has no field selector on
   * `spec.nodeName`, so callers filter by node). Termination waits for a node's to go.
   */
  listVolumeAttachments(options?: ListOptions): Promise<Page<VolumeAttachment>>;
  /** NodePools or EC2NodeClasses, unvalidated. */
  listCustomObjects(kind: CustomObjectKind, options?: ListOptions): Promise<Page<RawObject>>;
  /** NodeClaim objects (label-selected); "not-served" when the NodeClaim CRD is not installed. */
  listNodeClaimObjects(options?: SelectorListOptions): Promise<Page<RawObject> | "not-served">;
  /** The Leases called `name` in every namespace (a leader election's lock; Karpenter's is namespaced where it runs). */
  listLeases(name: string): Promise<Lease[]>;
}

export interface ClusterWriter {
  /** Merge patch of labels/annotations. Returns the node, or undefined when it no longer exists. */
  patchNodeMetadata(name: string, patch: NodeMetadataPatch): Promise<Node | undefined>;
  /** Cordon (true) or uncordon (false). Undefined when the node no longer exists. */
  setNodeUnschedulable(name: string, unschedulable: boolean): Promise<Node | undefined>;
  /** Replaces `spec.taints` only if the node is still at `resourceVersion` (see `updateNodeTaints`). */
  replaceNodeTaints(name: string, taints: Taint[], resourceVersion: string): Promise<GuardedWrite<Node>>;
  /** Adds a finalizer without touching others. Undefined when the node no longer exists. */
  addNodeFinalizer(name: string, finalizer: string): Promise<Node | undefined>;
  removeNodeFinalizer(name: string, finalizer: string): Promise<Node | undefined>;
  /** "not-found" when it was already gone: deleting twice is not an error. */
  deleteNode(name: string): Promise<"deleted" | "not-found">;
  /** Writes the whole conditions list to the object's status subresource. */
  setCustomObjectConditions(kind: CustomObjectKind, name: string, conditions: Condition[]): Promise<"written" | "not-found">;
  /**
   * Merges `status` into the object's status subresource (a JSON merge patch: the fields given are
   * replaced whole, lists included; the others are kept). The spec is never touched.
   */
  patchCustomObjectStatus(kind: CustomObjectKind, name: string, status: Record<string, unknown>): Promise<"written" | "not-found">;
  /**
   * Creates a NodeClaim object (its `status` is ignored, as for any object with a status
   * subresource: write it with `patchNodeClaimObjectStatus`). "exists" when one of that name does.
   */
  createNodeClaimObject(object: RawObject): Promise<"created" | "exists">;
  /** Merge patch of a NodeClaim object's labels and annotations (`null` removes a key). */
  patchNodeClaimObjectMetadata(name: string, patch: NodeMetadataPatch): Promise<"written" | "not-found">;
  /** Merge patch of a NodeClaim object's status subresource (fields given are replaced whole). */
  patchNodeClaimObjectStatus(name: string, status: Record<string, unknown>): Promise<"written" | "not-found">;
  /** Deletes the NodeClaim object `name` if it is still the one with `uid` (a precondition). */
  deleteNodeClaimObject(name: string, uid: string): Promise<"deleted" | "not-found">;
  /** Records an Event. Retrying the same event is harmless. */
  recordEvent(event: ClusterEvent): Promise<void>;
  /** Eviction API: honours PodDisruptionBudgets, which answer 429 while they block. */
  evictPod(namespace: string, name: string, options?: { gracePeriodSeconds?: number }): Promise<EvictionResult>;
  /**
   * Deletes a pod with its own grace period: not an eviction, so PodDisruptionBudgets don't hold it.
   * Termination uses it only when a NodeClaim's terminationGracePeriod runs out. Deleting twice is not an error.
   */
  deletePodGracefully(namespace: string, name: string): Promise<"deleted" | "not-found">;
}

export interface Cluster extends ClusterReader, ClusterWriter {}

// ---- helpers shared by every adapter and caller ----

/** True when kube-scheduler tried the pod and found no node for it (PodScheduled=False, Unschedulable). */
export function isMarkedUnschedulable(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable");
}

/** Read-modify-write of a node's taints, retried when another writer got there first. */
export async function updateNodeTaints(
  cluster: Pick<Cluster, "getNode" | "replaceNodeTaints">,
  nodeName: string,
  change: (current: Taint[]) => Taint[],
  attempts = 5,
): Promise<GuardedWrite<Node>> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const node = await cluster.getNode(nodeName);
    if (!node) return { outcome: "not-found" };
    const current = node.spec.taints ?? [];
    const next = change(current);
    if (sameTaints(current, next)) return { outcome: "written", object: node };
    const result = await cluster.replaceNodeTaints(nodeName, next, node.metadata.resourceVersion ?? "");
    if (result.outcome !== "conflict") return result;
  }
  return { outcome: "conflict" };
}

export function taintKey(t: Pick<Taint, "key" | "effect">): string {
  return `${t.key}:${t.effect}`;
}

function sameTaints(a: Taint[], b: Taint[]): boolean {
  if (a.length !== b.length) return false;
  const keyed = new Set(a.map((t) => `${taintKey(t)}=${t.value ?? ""}`));
  return b.every((t) => keyed.has(`${taintKey(t)}=${t.value ?? ""}`));
}

/** `conditions` with `next` set: the transition time only moves when the status changes. */
export function upsertCondition(conditions: readonly Condition[], next: Omit<Condition, "lastTransitionTime">, nowIso: string): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = existing && existing.status === next.status ? existing.lastTransitionTime : nowIso;
  const merged: Condition = { ...next, lastTransitionTime };
  return existing ? conditions.map((c) => (c.type === next.type ? merged : c)) : [...conditions, merged];
}

/** Karpenter's pod-nomination limiter: 5 Nominated events a second, in bursts of 10. */
export const NOMINATION_RATE_LIMIT = { key: "pod-nomination", perSecond: 5, burst: 10 } as const;

/** The event a pod gets when the provisioner plans a new NodeClaim for it. */
export function nominatedEvent(pod: Pod, nodeClaimName: string): ClusterEvent {
  return {
    involvedObject: podRef(pod),
    type: "Normal",
    reason: "Nominated",
    message: `Pod should schedule on NodeClaim ${nodeClaimName}`,
    dedupe: { values: [podIdentity(pod)] },
    rateLimit: { ...NOMINATION_RATE_LIMIT },
  };
}

/**
 * An event on a NodeClaim object (Tenon's mirror of its record, lib/lifecycle/nodeclaim-mirror.ts).
 * Its uid is the object's, which only the cluster knows: the executor looks it up when it
 * publishes, and publishes nothing when no such object exists (outcome "no NodeClaim object").
 * `identity` (the record's uid) is the dedupe value.
 */
export function nodeClaimEvent(name: string, identity: string, type: ClusterEvent["type"], reason: string, message: string, dedupeTimeoutMs?: number, extraDedupe: string[] = []): ClusterEvent {
  return {
    involvedObject: { apiVersion: "karpenter.sh/v1", kind: "NodeClaim", name },
    type,
    reason,
    message,
    dedupe: { values: [identity, ...extraDedupe], ...(dedupeTimeoutMs !== undefined ? { timeoutMs: dedupeTimeoutMs } : {}) },
  };
}

/** The event a pod gets when no NodePool can host it, with the reason a person can act on. */
export function failedSchedulingEvent(pod: Pod, reason: string): ClusterEvent {
  return { involvedObject: podRef(pod), type: "Warning", reason: "FailedScheduling", message: reason, dedupe: { values: [podIdentity(pod)], timeoutMs: 5 * 60_000 } };
}

/** The pod's uid, or its namespace and name when it has none (a pod built by hand). */
function podIdentity(pod: Pod): string {
  return pod.metadata.uid || `${pod.metadata.namespace || "default"}/${pod.metadata.name}`;
}

/** Phrasing for one NodePool's refusal, e.g. `incompatible with NodePool gpu because no instance type has nvidia.com/gpu`. */
export function incompatibleWithNodePool(nodePoolName: string, because: string): string {
  return `incompatible with NodePool ${nodePoolName} because ${because}`;
}

function podRef(pod: Pod): EventObjectRef {
  const ref: EventObjectRef = { apiVersion: "v1", kind: "Pod", name: pod.metadata.name, namespace: pod.metadata.namespace || "default" };
  if (pod.metadata.uid) ref.uid = pod.metadata.uid;
  return ref;
}

/**
 * A LabelSelector in the API's query form: `app=web,tier in (a,b),!canary`. An empty selector
 * is "" (everything); callers wanting "nothing" for an absent selector must not list at all.
 */
export function formatLabelSelector(selector: LabelSelector): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) parts.push(`${key}=${value}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${values})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${values})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(",");
}

/** The inverse of `formatLabelSelector`, for adapters that filter themselves (the simulation). */
export function parseLabelSelector(text: string): LabelSelector {
  const matchExpressions: LabelSelectorRequirement[] = [];
  for (const raw of text.split(/,(?![^(]*\))/)) {
    const term = raw.trim();
    if (!term) continue;
    const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (set) {
      const values = set[3]!.split(",").map((v) => v.trim()).filter(Boolean);
      matchExpressions.push({ key: set[1]!, operator: set[2] === "in" ? "In" : "NotIn", values });
      continue;
    }
    const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (eq) {
      matchExpressions.push({ key: eq[1]!, operator: eq[2] === "!=" ? "NotIn" : "In", values: [eq[3]!] });
      continue;
    }
    if (term.startsWith("!")) matchExpressions.push({ key: term.slice(1).trim(), operator: "DoesNotExist" });
    else matchExpressions.push({ key: term, operator: "Exists" });
  }
  return { matchExpressions };
}
