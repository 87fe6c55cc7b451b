/**
 * An in-memory Kubernetes cluster that implements the `Cluster` port and behaves, on a virtual
 * clock, like the parts of a real cluster Tenon depends on:
 *  - kubelets register a Node for each launched instance after a boot delay, report Ready later,
 *    and the startup-taint owners (a CNI, say) remove their taints a little after that;
 *  - a kube-scheduler binds pending pods to nodes that fit (the project's own `schedule()`), and
 *    marks the rest PodScheduled=False/Unschedulable;
 *  - workload controllers recreate pods that were evicted or deleted; a DaemonSet controller runs
 *    one pod per eligible node; the taint manager removes pods from NoExecute-tainted nodes; pods
 *    of a deleted node are garbage-collected;
 *  - the Eviction API honours PodDisruptionBudgets (a blocked eviction is the 429 result);
 *  - an attach/detach controller attaches a bound pod's persistent volumes to its node (a
 *    VolumeAttachment) and detaches them `detachMs` after no pod on that node uses them.
 *
 * Controllers react `reactionMs` after anything they care about changes (one reconcile per
 * change burst), so `advance()` / `runUntilIdle()` play out the consequences of a write.
 */
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
  Workload,
} from "../../api/kubernetes.ts";
import type {
  Cluster,
  ClusterEvent,
  CustomObjectKind,
  EvictionResult,
  GuardedWrite,
  Lease,
  ListOptions,
  NodeMetadataPatch,
  Page,
  NodeChanges,
  PodChanges,
  PodListOptions,
  RawObject,
  SelectorListOptions,
} from "../../ports/cluster.ts";
import { parseLabelSelector } from "../../ports/cluster.ts";
import { compileSelector } from "../../scheduling/label-selector.ts";
import { daemonSetPod, desiredReplicas, missingDaemonSets, missingWorkloadPods, podsEvictedByTaints, surplusWorkloadPods } from "./controllers.ts";
import { evictionVerdict } from "./disruption-budget.ts";
import {
  alreadyMarkedUnschedulable,
  awaitsScheduling,
  bindPod,
  isFinished,
  markUnschedulable,
  runSchedulingPass,
  type ScheduleFn,
} from "./kube-scheduler.ts";
import { markReady, nodeNameFor, registeredNode, type LaunchedInstance } from "./kubelet.ts";
import { ObjectStore, Revisions } from "./object-store.ts";
import { NodeHistory, PodHistory } from "./pod-history.ts";
import { provisionedVolume } from "./volumes.ts";
import { ANNOTATION_BIND_COMPLETED, LABEL_ZONE } from "../../api/labels.ts";
import { VirtualClock } from "./virtual-clock.ts";
import { schedule } from "../../scheduling/scheduler.ts";

export interface SimulationTimings {
  /** Instance launched -> Node registered. */
  bootMs: number;
  /** Node registered -> Ready. */
  readyMs: number;
  /** Ready -> startup taints removed by whoever owns them. */
  startupTaintRemovalMs: number;
  /** A change -> controllers and the scheduler act on it. */
  reactionMs: number;
  /** Instance terminated -> its Node object deleted (cloud controller manager). */
  nodeDeletionMs: number;
  /** The last pod using a volume on a node gone -> its VolumeAttachment deleted (attach/detach controller). */
  detachMs: number;
}

export const DEFAULT_TIMINGS: SimulationTimings = {
  bootMs: 45_000,
  readyMs: 15_000,
  startupTaintRemovalMs: 10_000,
  reactionMs: 1_000,
  nodeDeletionMs: 5_000,
  detachMs: 20_000,
};

export interface SimulatedClusterOptions {
  /** The scheduling predicates; the project's own `schedule()` unless a test swaps it. */
  schedule?: ScheduleFn;
  clock?: VirtualClock;
  timings?: Partial<SimulationTimings>;
}

/** An event as recorded, with who wrote it and when. */
export interface RecordedEvent extends ClusterEvent {
  source: "tenon" | "default-scheduler";
  atMs: number;
  /** Times the same event (object, reason, message) was recorded: the API server's aggregation. */
  count: number;
  lastAtMs: number;
}

export class SimulatedCluster implements Cluster {
  readonly clock: VirtualClock;
  readonly timings: SimulationTimings;
  private readonly schedule: ScheduleFn;
  private readonly revisions = new Revisions();
  private readonly podStore: ObjectStore<Pod>;
  private readonly nodeStore: ObjectStore<Node>;
  private readonly daemonSetStore: ObjectStore<DaemonSet>;
  private readonly budgetStore: ObjectStore<PodDisruptionBudget>;
  private readonly claimStore: ObjectStore<PersistentVolumeClaim>;
  private readonly volumeStore: ObjectStore<PersistentVolume>;
  private readonly storageClassStore: ObjectStore<StorageClass>;
  private readonly attachmentStore: ObjectStore<VolumeAttachment>;
  /** Attachments whose detach is under way (deleted `detachMs` after it started unless used again). */
  private readonly detaching = new Set<string>();
  private readonly workloadStore: ObjectStore<Workload>;
  private readonly customStores: Record<CustomObjectKind, ObjectStore<RawObject & { metadata: { name: string } }>>;
  private readonly recorded: RecordedEvent[] = [];
  /** NodeClaim objects, served once `installNodeClaimCrd()` was called (as Karpenter's CRD would be). */
  private readonly nodeClaimStore: ObjectStore<RawObject & { metadata: { name: string } }>;
  private nodeClaimCrd = false;
  private readonly leases = new Map<string, Lease>();
  private readonly launches = new Map<string, LaunchedInstance>();
  private readonly terminated = new Set<string>();
  private readonly podHistory = new PodHistory();
  private readonly nodeHistory = new NodeHistory();
  private reconcileArmed = false;
  private reconciling = false;
  private nameCounter = 0;

  constructor(options: SimulatedClusterOptions = {}) {
    this.clock = options.clock ?? new VirtualClock();
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.schedule = options.schedule ?? schedule;
    const iso = () => new Date(this.clock.now()).toISOString();
    const store = <T extends { metadata: { name: string } }>(namespaced: boolean) => new ObjectStore<T>(this.revisions, namespaced, iso);
    this.podStore = store(true);
    this.nodeStore = store(false);
    this.daemonSetStore = store(true);
    this.budgetStore = store(true);
    this.claimStore = store(true);
    this.volumeStore = store(false);
    this.storageClassStore = store(false);
    this.attachmentStore = store(false);
    this.workloadStore = store(true);
    this.customStores = { NodePool: store(false), EC2NodeClass: store(false) };
    this.nodeClaimStore = store(false);
    this.podStore.onChange = (type, pod) => this.podHistory.record(type, pod);
    this.nodeStore.onChange = (type, node) => this.nodeHistory.record(type, node);
  }

  /** Forgets pod history, as etcd compaction does: older resourceVersions then answer "expired". */
  compactPodHistory(): void {
    this.podHistory.compact(Number(this.revisions.current()));
  }

  /** Forgets node history, as etcd compaction does. */
  compactNodeHistory(): void {
    this.nodeHistory.compact(Number(this.revisions.current()));
  }

  // ================= simulation driving =================

  advance(ms: number): Promise<void> {
    return this.clock.advance(ms);
  }

  /** Plays out everything pending (boots, reconciles); returns the virtual time it took. */
  runUntilIdle(limitMs?: number): Promise<number> {
    return this.clock.runUntilIdle(limitMs);
  }

  // ================= setting the scene =================

  addNode(node: Node): Node {
    return this.changed(this.nodeStore.put(node));
  }
  addPod(pod: Pod): Pod {
    const copy = structuredClone(pod);
    copy.status ??= {};
    copy.status.phase ??= copy.spec.nodeName ? "Running" : "Pending";
    return this.changed(this.podStore.put(copy));
  }
  /** A Deployment, ReplicaSet, StatefulSet or Job whose pods the simulation keeps at the desired count. */
  addWorkload(workload: Workload): Workload {
    return this.changed(this.workloadStore.put(workload));
  }
  scaleWorkload(namespace: string, name: string, replicas: number): void {
    this.workloadStore.update(name, namespace, (w) => void (w.spec.replicas = replicas));
    this.changed(undefined);
  }
  addDaemonSet(daemonSet: DaemonSet): DaemonSet {
    return this.changed(this.daemonSetStore.put(daemonSet));
  }
  addPodDisruptionBudget(budget: PodDisruptionBudget): PodDisruptionBudget {
    return this.budgetStore.put(budget);
  }
  addPersistentVolumeClaim(claim: PersistentVolumeClaim): PersistentVolumeClaim {
    return this.changed(this.claimStore.put(claim));
  }
  addPersistentVolume(volume: PersistentVolume): PersistentVolume {
    return this.changed(this.volumeStore.put(volume));
  }
  /** A VolumeAttachment made by something else (a test): the attach/detach controller keeps it while a pod on its node uses its volume. */
  addVolumeAttachment(attachment: VolumeAttachment): VolumeAttachment {
    return this.changed(this.attachmentStore.put(attachment));
  }
  volumeAttachments(): VolumeAttachment[] {
    return this.attachmentStore.list(undefined).items;
  }
  addStorageClass(storageClass: StorageClass): StorageClass {
    return this.storageClassStore.put(storageClass);
  }
  putCustomObject(kind: CustomObjectKind, object: RawObject & { metadata: { name: string } }): void {
    this.customStores[kind].put(object);
  }
  /** `kubectl delete nodepool NAME` (or ec2nodeclass). False when absent. */
  deleteCustomObject(kind: CustomObjectKind, name: string): boolean {
    return Boolean(this.customStores[kind].delete(name));
  }
  getCustomObject(kind: CustomObjectKind, name: string): RawObject | undefined {
    return this.customStores[kind].get(name);
  }

  /** Installs Karpenter's NodeClaim CRD: NodeClaim objects are served from now on. */
  installNodeClaimCrd(): void {
    this.nodeClaimCrd = true;
  }
  getNodeClaimObject(name: string): RawObject | undefined {
    return this.nodeClaimStore.get(name);
  }
  nodeClaimObjects(): RawObject[] {
    return this.nodeClaimStore.list(undefined).items;
  }
  /** A leader election's Lease, as a controller (Karpenter) keeps it renewed. */
  putLease(lease: Lease): void {
    this.leases.set(`${lease.namespace}/${lease.name}`, structuredClone(lease));
  }

  /** A user (or anything but Tenon) deletes a pod; its controller, if any, replaces it. */
  deletePod(namespace: string, name: string): boolean {
    const gone = this.podStore.delete(name, namespace);
    if (gone) this.changed(undefined);
    return Boolean(gone);
  }

  /** The cloud started an instance: its kubelet will register a Node after the boot delay. */
  instanceLaunched(instance: LaunchedInstance): void {
    this.launches.set(instance.providerID, structuredClone(instance));
    if (instance.joins === false) return;
    this.clock.after(this.timings.bootMs, () => this.register(instance.providerID));
  }

  /** The instance is gone: the cloud controller manager deletes its Node (finalizers permitting). */
  instanceTerminated(providerID: string): void {
    this.terminated.add(providerID);
    this.clock.after(this.timings.nodeDeletionMs, () => {
      const node = this.nodeStore.values().find((n) => n.spec.providerID === providerID);
      if (node) this.deleteNodeObject(node.metadata.name);
    });
  }

  /** The NodeClaim a node was launched for, if the simulation launched it. */
  nodeClaimNameOf(nodeName: string): string | undefined {
    const node = this.nodeStore.get(nodeName);
    return node?.spec.providerID ? this.launches.get(node.spec.providerID)?.nodeClaimName : undefined;
  }

  // ================= inspecting =================

  pods(): Pod[] {
    return this.podStore.list(undefined).items;
  }
  nodes(): Node[] {
    return this.nodeStore.list(undefined).items;
  }
  pod(namespace: string, name: string): Pod | undefined {
    return this.podStore.get(name, namespace);
  }
  node(name: string): Node | undefined {
    return this.nodeStore.get(name);
  }
  events(filter: { source?: RecordedEvent["source"]; reason?: string } = {}): RecordedEvent[] {
    return this.recorded
      .filter((e) => (filter.source === undefined || e.source === filter.source) && (filter.reason === undefined || e.reason === filter.reason))
      .map((e) => structuredClone(e));
  }

  // ================= Cluster port: reads =================

  async listPendingPods(options?: ListOptions): Promise<Page<Pod>> {
    return this.podStore.list(options, (p) => !p.spec.nodeName && !isFinished(p));
  }
  async listActivePods(options?: PodListOptions): Promise<Page<Pod>> {
    const selector = options?.labelSelector ? compileSelector(parseLabelSelector(options.labelSelector)) : undefined;
    return this.podStore.list(options, (p) => !isFinished(p) && (!selector || selector.matches(p.metadata.labels)));
  }
  async podChangesSince(resourceVersion: string, options?: { labelSelector?: string }): Promise<PodChanges> {
    return this.podHistory.podsSince(resourceVersion, this.revisions.current(), options?.labelSelector);
  }

  async listPodsOnNode(nodeName: string, options?: ListOptions): Promise<Page<Pod>> {
    return this.podStore.list(options, (p) => p.spec.nodeName === nodeName && !isFinished(p));
  }
  async listNodes(options?: SelectorListOptions): Promise<Page<Node>> {
    const selector = options?.labelSelector ? compileSelector(parseLabelSelector(options.labelSelector)) : undefined;
    return this.nodeStore.list(options, (n) => !selector || selector.matches(n.metadata.labels));
  }
  async nodeChangesSince(resourceVersion: string, options?: { labelSelector?: string }): Promise<NodeChanges> {
    return this.nodeHistory.nodesSince(resourceVersion, this.revisions.current(), options?.labelSelector);
  }
  async getNode(name: string): Promise<Node | undefined> {
    return this.nodeStore.get(name);
  }
  async listDaemonSets(options?: ListOptions): Promise<Page<DaemonSet>> {
    return this.daemonSetStore.list(options);
  }
  async listPodDisruptionBudgets(options?: ListOptions): Promise<Page<PodDisruptionBudget>> {
    return this.budgetStore.list(options);
  }
  async listPersistentVolumeClaims(options?: ListOptions): Promise<Page<PersistentVolumeClaim>> {
    return this.claimStore.list(options);
  }
  async listPersistentVolumes(options?: ListOptions): Promise<Page<PersistentVolume>> {
    return this.volumeStore.list(options);
  }
  async listStorageClasses(options?: ListOptions): Promise<Page<StorageClass>> {
    return this.storageClassStore.list(options);
  }
  async listVolumeAttachments(options?: ListOptions): Promise<Page<VolumeAttachment>> {
    return this.attachmentStore.list(options);
  }
  async listCustomObjects(kind: CustomObjectKind, options?: ListOptions): Promise<Page<RawObject>> {
    return this.customStores[kind].list(options);
  }

  async listNodeClaimObjects(options?: SelectorListOptions): Promise<Page<RawObject> | "not-served"> {
    if (!this.nodeClaimCrd) return "not-served";
    const selector = options?.labelSelector ? compileSelector(parseLabelSelector(options.labelSelector)) : undefined;
    return this.nodeClaimStore.list(options, (o) => !selector || selector.matches((o.metadata as { labels?: Record<string, string> }).labels));
  }
  async listLeases(name: string): Promise<Lease[]> {
    return [...this.leases.values()].filter((l) => l.name === name).map((l) => structuredClone(l));
  }

  // ================= Cluster port: writes =================

  async createNodeClaimObject(object: RawObject): Promise<"created" | "exists"> {
    const name = object.metadata?.name;
    if (!this.nodeClaimCrd) throw new Error(`create NodeClaim ${name}: the NodeClaim CRD is not installed`);
    if (!name) throw new Error("create NodeClaim: metadata.name is required");
    if (this.nodeClaimStore.has(name)) return "exists";
    // The status subresource: a create ignores the status it is given.
    const { status: _status, ...rest } = structuredClone(object);
    const metadata = { ...(rest.metadata as object), name } as RawObject["metadata"] & { name: string };
    delete (metadata as { uid?: string }).uid;
    this.nodeClaimStore.put({ ...rest, metadata } as RawObject & { metadata: { name: string } });
    return "created";
  }

  async patchNodeClaimObjectMetadata(name: string, patch: NodeMetadataPatch): Promise<"written" | "not-found"> {
    const updated = this.nodeClaimStore.update(name, undefined, (object) => {
      const meta = object.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
      meta.labels = applyMapPatch(meta.labels, patch.labels);
      meta.annotations = applyMapPatch(meta.annotations, patch.annotations);
    });
    return updated ? "written" : "not-found";
  }

  async patchNodeClaimObjectStatus(name: string, status: Record<string, unknown>): Promise<"written" | "not-found"> {
    const updated = this.nodeClaimStore.update(name, undefined, (object) => {
      object.status = { ...((object.status ?? {}) as Record<string, unknown>), ...structuredClone(status) };
    });
    return updated ? "written" : "not-found";
  }

  async deleteNodeClaimObject(name: string, uid: string): Promise<"deleted" | "not-found"> {
    const current = this.nodeClaimStore.get(name) as { metadata: { uid?: string } } | undefined;
    if (!current || current.metadata.uid !== uid) return "not-found";
    this.nodeClaimStore.delete(name);
    return "deleted";
  }

  async patchNodeMetadata(name: string, patch: NodeMetadataPatch): Promise<Node | undefined> {
    return this.changed(
      this.nodeStore.update(name, undefined, (node) => {
        node.metadata.labels = applyMapPatch(node.metadata.labels, patch.labels);
        node.metadata.annotations = applyMapPatch(node.metadata.annotations, patch.annotations);
      }),
    );
  }

  async setNodeUnschedulable(name: string, unschedulable: boolean): Promise<Node | undefined> {
    return this.changed(this.nodeStore.update(name, undefined, (node) => void (node.spec.unschedulable = unschedulable)));
  }

  async replaceNodeTaints(name: string, taints: Taint[], resourceVersion: string): Promise<GuardedWrite<Node>> {
    const current = this.nodeStore.get(name);
    if (!current) return { outcome: "not-found" };
    if (current.metadata.resourceVersion !== resourceVersion) return { outcome: "conflict" };
    const node = this.nodeStore.update(name, undefined, (n) => void (n.spec.taints = structuredClone(taints)))!;
    return { outcome: "written", object: this.changed(node) };
  }

  async addNodeFinalizer(name: string, finalizer: string): Promise<Node | undefined> {
    return this.nodeStore.update(name, undefined, (node) => {
      const list = node.metadata.finalizers ?? [];
      if (!list.includes(finalizer)) node.metadata.finalizers = [...list, finalizer];
    });
  }

  async removeNodeFinalizer(name: string, finalizer: string): Promise<Node | undefined> {
    const node = this.nodeStore.update(name, undefined, (n) => {
      n.metadata.finalizers = (n.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    });
    // The last finalizer gone from a node being deleted: the API server removes it now.
    if (node?.metadata.deletionTimestamp && (node.metadata.finalizers ?? []).length === 0) this.deleteNodeObject(name);
    return node;
  }

  async deleteNode(name: string): Promise<"deleted" | "not-found"> {
    return this.deleteNodeObject(name) ? "deleted" : "not-found";
  }

  setCustomObjectConditions(kind: CustomObjectKind, name: string, conditions: Condition[]): Promise<"written" | "not-found"> {
    return this.patchCustomObjectStatus(kind, name, { conditions });
  }

  async patchCustomObjectStatus(kind: CustomObjectKind, name: string, patch: Record<string, unknown>): Promise<"written" | "not-found"> {
    const updated = this.customStores[kind].update(name, undefined, (object) => {
      const status = (object.status ?? {}) as Record<string, unknown>;
      object.status = { ...status, ...structuredClone(patch) };
    });
    return updated ? "written" : "not-found";
  }

  async recordEvent(event: ClusterEvent): Promise<void> {
    this.record(event, "tenon");
  }

  async evictPod(namespace: string, name: string): Promise<EvictionResult> {
    const pod = this.podStore.get(name, namespace);
    if (!pod) return { outcome: "not-found" };
    const scales = this.workloadStore.values().map((w) => ({
      namespace: w.metadata.namespace || "default",
      podLabels: w.spec.template.metadata?.labels ?? {},
      replicas: desiredReplicas(w),
    }));
    const verdict = evictionVerdict(pod, this.podStore.values(), this.budgetStore.values(), scales);
    if (!verdict.allowed) {
      return { outcome: "blocked", message: `Cannot evict pod as it would violate the pod's disruption budget. ${verdict.message ?? ""}`.trim() };
    }
    this.podStore.delete(name, namespace);
    this.changed(undefined);
    return { outcome: "evicted" };
  }

  async deletePodGracefully(namespace: string, name: string): Promise<"deleted" | "not-found"> {
    return this.deletePod(namespace, name) ? "deleted" : "not-found";
  }

  // ================= behaviour =================

  private record(event: ClusterEvent, source: RecordedEvent["source"]): void {
    const ref = event.involvedObject;
    const duplicate = this.recorded.find(
      (e) =>
        e.source === source &&
        e.reason === event.reason &&
        e.message === event.message &&
        e.involvedObject.kind === ref.kind &&
        e.involvedObject.name === ref.name &&
        (e.involvedObject.namespace ?? "") === (ref.namespace ?? ""),
    );
    if (duplicate) {
      duplicate.count++;
      duplicate.lastAtMs = this.clock.now();
    } else this.recorded.push({ ...structuredClone(event), source, atMs: this.clock.now(), count: 1, lastAtMs: this.clock.now() });
  }

  /** Arms one reconcile `reactionMs` from now; passes `value` through for call-site brevity. */
  private changed<T>(value: T): T {
    if (!this.reconciling && !this.reconcileArmed) {
      this.reconcileArmed = true;
      this.clock.after(this.timings.reactionMs, () => {
        this.reconcileArmed = false;
        this.reconcile();
      });
    }
    return value;
  }

  private nextSuffix(): string {
    return (++this.nameCounter).toString(36).padStart(5, "0");
  }

  private register(providerID: string): void {
    const instance = this.launches.get(providerID);
    if (!instance || this.terminated.has(providerID)) return;
    const name = nodeNameFor(instance);
    if (this.nodeStore.has(name)) return;
    this.nodeStore.put(registeredNode(instance, this.iso()));
    this.changed(undefined);
    this.clock.after(this.timings.readyMs, () => {
      if (!this.nodeStore.update(name, undefined, (node) => markReady(node, this.iso()))) return;
      this.changed(undefined);
      this.clock.after(this.timings.startupTaintRemovalMs, () => {
        const startup = instance.startupTaints;
        const node = this.nodeStore.update(name, undefined, (n) => {
          n.spec.taints = (n.spec.taints ?? []).filter((t) => !startup.some((s) => s.key === t.key && s.effect === t.effect));
        });
        if (node) this.changed(undefined);
      });
    });
  }

  /** Deletes a node object, or marks it deleting while finalizers remain. False when absent. */
  private deleteNodeObject(name: string): boolean {
    const node = this.nodeStore.get(name);
    if (!node) return false;
    if ((node.metadata.finalizers ?? []).length > 0) {
      if (!node.metadata.deletionTimestamp) {
        this.nodeStore.update(name, undefined, (n) => void (n.metadata.deletionTimestamp = this.iso()));
        this.changed(undefined);
      }
      return true;
    }
    this.nodeStore.delete(name);
    this.changed(undefined);
    return true;
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** One round of every controller, then the scheduler. */
  private reconcile(): void {
    this.reconciling = true;
    try {
      this.collectOrphanedPods();
      this.applyNoExecuteTaints();
      this.runDaemonSets();
      this.runWorkloads();
      this.runScheduler();
      this.attachAndDetachVolumes();
    } finally {
      this.reconciling = false;
    }
  }

  private collectOrphanedPods(): void {
    for (const pod of this.podStore.values()) {
      const nodeName = pod.spec.nodeName;
      if (nodeName && !this.nodeStore.has(nodeName)) this.podStore.delete(pod.metadata.name, pod.metadata.namespace);
    }
  }

  private applyNoExecuteTaints(): void {
    const byNode = this.podsByNode();
    for (const node of this.nodeStore.values()) {
      const pods = byNode.get(node.metadata.name) ?? [];
      for (const pod of podsEvictedByTaints(node, pods)) this.podStore.delete(pod.metadata.name, pod.metadata.namespace);
    }
  }

  private runDaemonSets(): void {
    const daemonSets = this.daemonSetStore.values();
    if (daemonSets.length === 0) return;
    const byNode = this.podsByNode();
    for (const node of this.nodeStore.values()) {
      for (const ds of missingDaemonSets(node, daemonSets, byNode.get(node.metadata.name) ?? [])) {
        this.podStore.put(daemonSetPod(ds, node.metadata.name, this.nextSuffix()));
      }
    }
  }

  private runWorkloads(): void {
    for (const workload of this.workloadStore.values()) {
      for (const pod of surplusWorkloadPods(workload, this.podStore.values())) this.podStore.delete(pod.metadata.name, pod.metadata.namespace);
      for (const pod of missingWorkloadPods(workload, this.podStore.values(), () => this.nextSuffix())) this.podStore.put(pod);
    }
  }

  private runScheduler(): void {
    if (!this.podStore.values().some(awaitsScheduling)) return;
    const pass = runSchedulingPass(this.schedule, {
      nodes: this.nodeStore.values(),
      pods: this.podStore.values(),
      daemonSets: this.daemonSetStore.values(),
      volumes: { claims: [...this.claimStore.values()], volumes: [...this.volumeStore.values()], storageClasses: [...this.storageClassStore.values()] },
    });
    const now = this.iso();
    for (const { pod, nodeName } of pass.bindings) this.podStore.update(pod.metadata.name, pod.metadata.namespace, (p) => bindPod(p, nodeName, now));
    for (const { pod, nodeName } of pass.bindings) this.provisionVolumes(pod, nodeName);
    for (const { pod, reason } of pass.unschedulable) {
      if (alreadyMarkedUnschedulable(pod, reason)) continue;
      // A status write only: it is not a change the scheduler itself reacts to.
      this.podStore.update(pod.metadata.name, pod.metadata.namespace, (p) => markUnschedulable(p, reason, now));
      this.record(
        { involvedObject: { kind: "Pod", name: pod.metadata.name, namespace: pod.metadata.namespace || "default" }, type: "Warning", reason: "FailedScheduling", message: reason },
        "default-scheduler",
      );
    }
  }

  /**
   * Dynamic provisioning on first use (WaitForFirstConsumer): each unbound claim of a pod just
   * bound gets a volume in that node's zone, which pins every later pod using the claim there.
   */
  private provisionVolumes(pod: Pod, nodeName: string): void {
    const zone = this.nodeStore.get(nodeName)?.metadata.labels?.[LABEL_ZONE];
    const namespace = pod.metadata.namespace || "default";
    for (const volume of pod.spec.volumes ?? []) {
      const claimName = volume.persistentVolumeClaim?.claimName;
      const claim = claimName ? this.claimStore.get(claimName, namespace) : undefined;
      if (!claim || claim.spec.volumeName) continue;
      const className = claim.spec.storageClassName ?? undefined;
      const pv = provisionedVolume(claim, className ? this.storageClassStore.get(className) : undefined, zone);
      this.volumeStore.put(pv);
      this.claimStore.update(claim.metadata.name, namespace, (c) => {
        c.spec.volumeName = pv.metadata.name;
        // What the PersistentVolume controller marks a finished binding with; the scheduler
        // (as the kube-scheduler) counts a claim that names a volume as bound only with it.
        c.metadata.annotations = { ...c.metadata.annotations, [ANNOTATION_BIND_COMPLETED]: "yes" };
        c.status = { phase: "Bound" };
      });
    }
  }

  /**
   * The attach/detach controller: every persistent volume an unfinished pod on a node uses is
   * attached there; an attachment no pod on its node uses any more is detached `detachMs` later
   * (the CSI driver unmounting and detaching), unless a pod uses it again meanwhile.
   */
  private attachAndDetachVolumes(): void {
    const wanted = this.wantedAttachments();
    const attached = new Set(this.attachmentStore.values().map((a) => attachmentName(a.spec.source.persistentVolumeName ?? "", a.spec.nodeName)));
    for (const [name, { pv, node }] of wanted) {
      if (attached.has(name)) continue;
      const driver = this.volumeStore.get(pv)?.spec.csi?.driver ?? "ebs.csi.aws.com";
      this.attachmentStore.put({ apiVersion: "storage.k8s.io/v1", kind: "VolumeAttachment", metadata: { name }, spec: { attacher: driver, nodeName: node, source: { persistentVolumeName: pv } }, status: { attached: true } });
    }
    for (const attachment of this.attachmentStore.values()) {
      const name = attachment.metadata.name;
      const key = attachmentName(attachment.spec.source.persistentVolumeName ?? "", attachment.spec.nodeName);
      if (wanted.has(key) || this.detaching.has(name) || !attachment.spec.source.persistentVolumeName) continue;
      this.detaching.add(name);
      this.clock.after(this.timings.detachMs, () => {
        this.detaching.delete(name);
        if (this.wantedAttachments().has(key)) return;
        this.attachmentStore.delete(name);
        this.changed(undefined);
      });
    }
  }

  /** The (volume, node) attachments unfinished pods need now, by attachment name. */
  private wantedAttachments(): Map<string, { pv: string; node: string }> {
    const wanted = new Map<string, { pv: string; node: string }>();
    for (const pod of this.podStore.values()) {
      const nodeName = pod.spec.nodeName;
      if (!nodeName || isFinished(pod) || !this.nodeStore.has(nodeName)) continue;
      for (const volume of pod.spec.volumes ?? []) {
        const claimName = volume.persistentVolumeClaim?.claimName;
        const pv = claimName ? this.claimStore.get(claimName, pod.metadata.namespace || "default")?.spec.volumeName : undefined;
        if (pv) wanted.set(attachmentName(pv, nodeName), { pv, node: nodeName });
      }
    }
    return wanted;
  }

  /** Unfinished bound pods by node, built once per controller pass. */
  private podsByNode(): Map<string, Pod[]> {
    const out = new Map<string, Pod[]>();
    for (const pod of this.podStore.values()) {
      const nodeName = pod.spec.nodeName;
      if (!nodeName || isFinished(pod)) continue;
      const list = out.get(nodeName);
      if (list) list.push(pod);
      else out.set(nodeName, [pod]);
    }
    return out;
  }
}

/** Deterministic per (volume, node), as the attach/detach controller names them (a hash there). */
function attachmentName(pv: string, nodeName: string): string {
  return `csi-${pv}-${nodeName}`;
}

function applyMapPatch(current: Record<string, string> | undefined, patch: Record<string, string | null> | undefined): Record<string, string> | undefined {
  if (!patch) return current;
  const out = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}

