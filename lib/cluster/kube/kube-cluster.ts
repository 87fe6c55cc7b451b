/**
 * The `Cluster` port on a real API server through @kubernetes/client-node 2.
 *
 * Keeping state current cheaply (5,000 nodes / 50,000 pods; details in docs/kubernetes.md, "Keeping cluster state current"):
 *  - pending pods come from a field-selected list, `spec.nodeName=,status.phase!=Succeeded,
 *    status.phase!=Failed`: the API server filters, so the response holds only unbound pods
 *    (usually a handful of objects, one page) however big the cluster is;
 *  - pods on one node use `spec.nodeName=<node>` (drain, consolidation of one candidate);
 *  - bound pods are not listed per run: lib/cluster-state/ keeps a summary cache that replays
 *    `podChangesSince` and starts cold from a snapshot in the table; only with no usable snapshot
 *    (or expired watch history) are unfinished pods listed, in pages of 500 (100 requests for
 *    50,000 pods). Nodes are kept the same way (`nodeChangesSince`); a full node list (10 pages
 *    at 5,000) happens only when neither memory nor the snapshot can be caught up. Completed pods
 *    are filtered server-side.
 *  - every list is paged with limit/continue, so memory stays bounded per page and a
 *    response never approaches the API server's size limits; pods and nodes are slimmed as
 *    each page arrives (lib/cluster/kube/slim.ts);
 *  - `podChangesSince` replays only what changed after a list's resourceVersion (a watch of a
 *    few seconds), so a caller that keeps a pod view pays for churn, not for size.
 */
import { PatchStrategy, type V1Eviction } from "@kubernetes/client-node";
import { createHash } from "node:crypto";
import type { Condition, Taint } from "../../api/types.ts";
import type {
  DaemonSet,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
  StorageClass,
  VolumeAttachment,
} from "../../api/kubernetes.ts";
import type { Clock } from "../../ports/clock.ts";
import {
  CUSTOM_RESOURCES,
  DEFAULT_PAGE_SIZE,
  NODECLAIM_RESOURCE,
  ListExpiredError,
  type Cluster,
  type ClusterEvent,
  type CustomObjectKind,
  type EvictionResult,
  type GuardedWrite,
  type Lease,
  type ListOptions,
  type NodeChanges,
  type NodeMetadataPatch,
  type Page,
  type PodChanges,
  type PodListOptions,
  type RawObject,
  type SelectorListOptions,
} from "../../ports/cluster.ts";
import { callWithToken, httpStatusOf, statusMessageOf, toPlain, type KubeClients } from "./clients.ts";
import type { TokenProvider } from "./eks-token.ts";
import { nodeChangesSince, podChangesSince } from "./pod-changes.ts";
import { slimNode, slimPod } from "./slim.ts";

/** Unfinished pods: what occupies a node or still wants one. */
export const UNFINISHED_PODS = "status.phase!=Succeeded,status.phase!=Failed";
export const PENDING_PODS = `spec.nodeName=,${UNFINISHED_PODS}`;
export const podsOnNodeSelector = (nodeName: string): string => `spec.nodeName=${nodeName},${UNFINISHED_PODS}`;

/** Name written into events' `source` / `reportingController`. */
export const EVENT_COMPONENT = "tenon";

interface ListBody {
  metadata?: { _continue?: string; resourceVersion?: string; continue?: string };
  items: unknown[];
}

export class KubeCluster implements Cluster {
  constructor(
    private readonly clients: KubeClients,
    private readonly tokens: TokenProvider,
    private readonly clock: Clock,
  ) {}

  // ---- reads ----

  listPendingPods(options?: ListOptions): Promise<Page<Pod>> {
    return this.listPods(PENDING_PODS, options);
  }

  listActivePods(options?: PodListOptions): Promise<Page<Pod>> {
    return this.listPods(UNFINISHED_PODS, options);
  }

  podChangesSince(resourceVersion: string, options?: { timeoutSeconds?: number; labelSelector?: string }): Promise<PodChanges> {
    return podChangesSince(this.clients.config, this.tokens, resourceVersion, options);
  }

  listPodsOnNode(nodeName: string, options?: ListOptions): Promise<Page<Pod>> {
    return this.listPods(podsOnNodeSelector(nodeName), options);
  }

  private listPods(fieldSelector: string, options?: PodListOptions): Promise<Page<Pod>> {
    const labelSelector = options?.labelSelector || undefined;
    return this.page(
      "V1Pod",
      options,
      (p, o) => this.clients.core.listPodForAllNamespaces(labelSelector ? { ...p, fieldSelector, labelSelector } : { ...p, fieldSelector }, o),
      slimPod,
    );
  }

  listNodes(options?: SelectorListOptions): Promise<Page<Node>> {
    const labelSelector = options?.labelSelector || undefined;
    return this.page("V1Node", options, (p, o) => this.clients.core.listNode(labelSelector ? { ...p, labelSelector } : p, o), slimNode);
  }

  nodeChangesSince(resourceVersion: string, options?: { timeoutSeconds?: number; labelSelector?: string }): Promise<NodeChanges> {
    return nodeChangesSince(this.clients.config, this.tokens, resourceVersion, options);
  }

  async getNode(name: string): Promise<Node | undefined> {
    return this.orUndefinedOn404(async () => slimNode(toPlain<Node>(await this.call(`read node ${name}`, (o) => this.clients.core.readNode({ name }, o)), "V1Node")));
  }

  listDaemonSets(options?: ListOptions): Promise<Page<DaemonSet>> {
    return this.page("V1DaemonSet", options, (p, o) => this.clients.apps.listDaemonSetForAllNamespaces(p, o));
  }

  listPodDisruptionBudgets(options?: ListOptions): Promise<Page<PodDisruptionBudget>> {
    return this.page("V1PodDisruptionBudget", options, (p, o) => this.clients.policy.listPodDisruptionBudgetForAllNamespaces(p, o));
  }

  listPersistentVolumeClaims(options?: ListOptions): Promise<Page<PersistentVolumeClaim>> {
    return this.page("V1PersistentVolumeClaim", options, (p, o) => this.clients.core.listPersistentVolumeClaimForAllNamespaces(p, o));
  }

  listPersistentVolumes(options?: ListOptions): Promise<Page<PersistentVolume>> {
    return this.page("V1PersistentVolume", options, (p, o) => this.clients.core.listPersistentVolume(p, o));
  }

  listStorageClasses(options?: ListOptions): Promise<Page<StorageClass>> {
    return this.page("V1StorageClass", options, (p, o) => this.clients.storage.listStorageClass(p, o));
  }

  listVolumeAttachments(options?: ListOptions): Promise<Page<VolumeAttachment>> {
    return this.page("V1VolumeAttachment", options, (p, o) => this.clients.storage.listVolumeAttachment(p, o));
  }

  listCustomObjects(kind: CustomObjectKind, options?: ListOptions): Promise<Page<RawObject>> {
    const ref = CUSTOM_RESOURCES[kind];
    // Custom objects come back untyped ("any"): no model conversion needed.
    return this.page("any", options, (p, o) => this.clients.custom.listClusterCustomObject({ ...ref, ...p }, o));
  }

  async listNodeClaimObjects(options?: SelectorListOptions): Promise<Page<RawObject> | "not-served"> {
    const labelSelector = options?.labelSelector || undefined;
    try {
      return await this.page("any", options, (p, o) => this.clients.custom.listClusterCustomObject({ ...NODECLAIM_RESOURCE, ...p, ...(labelSelector ? { labelSelector } : {}) }, o));
    } catch (err) {
      // A collection that is not there: the NodeClaim CRD is not installed.
      if (httpStatusOf(err) === 404) return "not-served";
      throw err;
    }
  }

  async listLeases(name: string): Promise<Lease[]> {
    const list = await this.call(`list leases ${name}`, (o) => this.clients.coordination.listLeaseForAllNamespaces({ fieldSelector: `metadata.name=${name}` }, o));
    return list.items.map((item) => {
      const lease: Lease = { namespace: item.metadata?.namespace ?? "", name: item.metadata?.name ?? name };
      if (item.spec?.holderIdentity) lease.holderIdentity = item.spec.holderIdentity;
      if (item.spec?.renewTime) lease.renewTime = new Date(item.spec.renewTime).toISOString();
      if (item.spec?.leaseDurationSeconds !== undefined) lease.leaseDurationSeconds = item.spec.leaseDurationSeconds;
      return lease;
    });
  }

  // ---- writes ----

  async createNodeClaimObject(object: RawObject): Promise<"created" | "exists"> {
    const name = object.metadata?.name ?? "";
    try {
      await this.call(`create NodeClaim ${name}`, (o) => this.clients.custom.createClusterCustomObject({ ...NODECLAIM_RESOURCE, body: object }, o));
      return "created";
    } catch (err) {
      if (httpStatusOf(err) === 409) return "exists";
      throw err;
    }
  }

  patchNodeClaimObjectMetadata(name: string, patch: NodeMetadataPatch): Promise<"written" | "not-found"> {
    return this.mergePatchNodeClaim(name, "metadata", (o) => this.clients.custom.patchClusterCustomObject({ ...NODECLAIM_RESOURCE, name, body: { metadata: patch } }, o));
  }

  patchNodeClaimObjectStatus(name: string, status: Record<string, unknown>): Promise<"written" | "not-found"> {
    return this.mergePatchNodeClaim(name, "status", (o) => this.clients.custom.patchClusterCustomObjectStatus({ ...NODECLAIM_RESOURCE, name, body: { status } }, o));
  }

  /** A merge patch of a NodeClaim object (CRDs take no strategic merge); "not-found" on 404. */
  private async mergePatchNodeClaim(name: string, what: string, send: Parameters<typeof callWithToken<unknown>>[2]): Promise<"written" | "not-found"> {
    try {
      await this.call(`patch NodeClaim ${name} ${what}`, send, PatchStrategy.MergePatch);
      return "written";
    } catch (err) {
      if (httpStatusOf(err) === 404) return "not-found";
      throw err;
    }
  }

  async deleteNodeClaimObject(name: string, uid: string): Promise<"deleted" | "not-found"> {
    try {
      await this.call(`delete NodeClaim ${name}`, (o) => this.clients.custom.deleteClusterCustomObject({ ...NODECLAIM_RESOURCE, name, body: { preconditions: { uid } } }, o));
      return "deleted";
    } catch (err) {
      // 409: the precondition failed, a newer object of that name is not ours to delete.
      const code = httpStatusOf(err);
      if (code === 404 || code === 409) return "not-found";
      throw err;
    }
  }

  patchNodeMetadata(name: string, patch: NodeMetadataPatch): Promise<Node | undefined> {
    // Merge patch: maps merge key by key and `null` removes a key; nothing else is touched.
    return this.patchNode(name, { metadata: patch }, PatchStrategy.MergePatch);
  }

  setNodeUnschedulable(name: string, unschedulable: boolean): Promise<Node | undefined> {
    return this.patchNode(name, { spec: { unschedulable } }, PatchStrategy.StrategicMergePatch);
  }

  async replaceNodeTaints(name: string, taints: Taint[], resourceVersion: string): Promise<GuardedWrite<Node>> {
    // `spec.taints` has no merge key upstream, so any merge would replace the list wholesale;
    // the `test` makes the replace conditional on nobody having written the node since we read it.
    const body = [
      { op: "test", path: "/metadata/resourceVersion", value: resourceVersion },
      { op: "add", path: "/spec/taints", value: taints },
    ];
    try {
      const node = await this.call(`patch node ${name} taints`, (o) => this.clients.core.patchNode({ name, body }, o), PatchStrategy.JsonPatch);
      return { outcome: "written", object: slimNode(toPlain<Node>(node, "V1Node")) };
    } catch (err) {
      const code = httpStatusOf(err);
      if (code === 404) return { outcome: "not-found" };
      // 422: the test failed (the node moved on); 409 for good measure.
      if (code === 422 || code === 409) return { outcome: "conflict" };
      throw err;
    }
  }

  addNodeFinalizer(name: string, finalizer: string): Promise<Node | undefined> {
    // Finalizers merge by value under strategic merge: ours is added, others' are kept.
    return this.patchNode(name, { metadata: { finalizers: [finalizer] } }, PatchStrategy.StrategicMergePatch);
  }

  removeNodeFinalizer(name: string, finalizer: string): Promise<Node | undefined> {
    return this.patchNode(name, { metadata: { "$deleteFromPrimitiveList/finalizers": [finalizer] } }, PatchStrategy.StrategicMergePatch);
  }

  async deleteNode(name: string): Promise<"deleted" | "not-found"> {
    try {
      await this.call(`delete node ${name}`, (o) => this.clients.core.deleteNode({ name }, o));
      return "deleted";
    } catch (err) {
      if (httpStatusOf(err) === 404) return "not-found";
      throw err;
    }
  }

  setCustomObjectConditions(kind: CustomObjectKind, name: string, conditions: Condition[]): Promise<"written" | "not-found"> {
    // A merge patch replaces the list, so it is sent whole.
    return this.patchCustomObjectStatus(kind, name, { conditions });
  }

  async patchCustomObjectStatus(kind: CustomObjectKind, name: string, status: Record<string, unknown>): Promise<"written" | "not-found"> {
    const ref = CUSTOM_RESOURCES[kind];
    // CRDs accept only merge and JSON patch: a merge patch of the status subresource.
    const body = { status };
    try {
      await this.call(`patch ${kind} ${name} status`, (o) => this.clients.custom.patchClusterCustomObjectStatus({ ...ref, name, body }, o), PatchStrategy.MergePatch);
      return "written";
    } catch (err) {
      if (httpStatusOf(err) === 404) return "not-found";
      throw err;
    }
  }

  async recordEvent(event: ClusterEvent): Promise<void> {
    const namespace = event.involvedObject.namespace || "default";
    const now = new Date(this.clock.now());
    const body = {
      metadata: { name: eventName(event), namespace },
      involvedObject: event.involvedObject,
      type: event.type,
      reason: event.reason,
      message: event.message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: EVENT_COMPONENT },
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: EVENT_COMPONENT,
    };
    try {
      await this.call(`create event ${event.reason} for ${event.involvedObject.kind} ${event.involvedObject.name}`, (o) => this.clients.core.createNamespacedEvent({ namespace, body }, o));
    } catch (err) {
      // 409: the same event (same name) was already recorded by an earlier attempt.
      if (httpStatusOf(err) !== 409) throw err;
    }
  }

  async evictPod(namespace: string, name: string, options?: { gracePeriodSeconds?: number }): Promise<EvictionResult> {
    const body: V1Eviction = { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } };
    if (options?.gracePeriodSeconds !== undefined) body.deleteOptions = { gracePeriodSeconds: options.gracePeriodSeconds };
    try {
      await this.call(`evict pod ${namespace}/${name}`, (o) => this.clients.core.createNamespacedPodEviction({ name, namespace, body }, o));
      return { outcome: "evicted" };
    } catch (err) {
      const code = httpStatusOf(err);
      if (code === 429) return { outcome: "blocked", message: statusMessageOf(err) };
      if (code === 404) return { outcome: "not-found" };
      throw err;
    }
  }

  async deletePodGracefully(namespace: string, name: string): Promise<"deleted" | "not-found"> {
    try {
      await this.call(`delete pod ${namespace}/${name}`, (o) => this.clients.core.deleteNamespacedPod({ name, namespace }, o));
      return "deleted";
    } catch (err) {
      if (httpStatusOf(err) === 404) return "not-found";
      throw err;
    }
  }

  // ---- plumbing ----

  private call<T>(operation: string, send: Parameters<typeof callWithToken<T>>[2], contentType?: PatchStrategy): Promise<T> {
    return callWithToken(this.tokens, operation, send, contentType);
  }

  private async patchNode(name: string, body: unknown, contentType: PatchStrategy): Promise<Node | undefined> {
    return this.orUndefinedOn404(async () =>
      slimNode(toPlain<Node>(await this.call(`patch node ${name}`, (o) => this.clients.core.patchNode({ name, body }, o), contentType), "V1Node")),
    );
  }

  private async orUndefinedOn404<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async page<T>(
    modelType: string,
    options: ListOptions | undefined,
    send: (params: { limit: number; _continue?: string }, o: Parameters<Parameters<typeof callWithToken>[2]>[0]) => Promise<ListBody>,
    slim: (item: T) => T = (item) => item,
  ): Promise<Page<T>> {
    const params: { limit: number; _continue?: string } = { limit: options?.limit ?? DEFAULT_PAGE_SIZE };
    if (options?.continue) params._continue = options.continue;
    const what = modelType === "any" ? "custom objects" : `${modelType.replace(/^V1/, "")}s`;
    let list: ListBody;
    try {
      list = await this.call(`list ${what}`, (o) => send(params, o));
    } catch (err) {
      if (params._continue && httpStatusOf(err) === 410) throw new ListExpiredError(statusMessageOf(err));
      throw err;
    }
    const page: Page<T> = { items: list.items.map((item) => slim(toPlain<T>(item, modelType))) };
    // Typed lists carry `_continue`; raw custom-object lists carry the JSON name `continue`.
    const next = list.metadata?._continue ?? list.metadata?.continue;
    if (next) page.continue = next;
    if (list.metadata?.resourceVersion) page.resourceVersion = list.metadata.resourceVersion;
    return page;
  }
}

/** Deterministic per (object, reason, message): a retried invocation re-sends the same name and gets 409. */
function eventName(event: ClusterEvent): string {
  const digest = createHash("sha256")
    .update(`${event.involvedObject.uid ?? event.involvedObject.name}\n${event.reason}\n${event.message}`)
    .digest("hex")
    .slice(0, 16);
  return `${event.involvedObject.name}.${digest}`;
}
