/**
 * The "observe" step: everything a decision needs, read once through the ports. Reads are paged;
 * nothing here writes except reporting invalid NodePools/EC2NodeClasses on their status (and the
 * cluster-state snapshot, when the keeper had to list every pod).
 *
 * Pods: pending pods are read fresh (`spec.nodeName=`); bound pods come from the cluster-state
 * keeper (lib/cluster-state/), which replays pod changes instead of listing every pod. The pending
 * read happens first, so the catch-up after it is at least as new: a pod bound, finished or deleted
 * in between is dropped from the pending ones (`stillPending`) and counted once, where it is now.
 *
 * Nodes: kept the same way (lib/cluster-state/nodes.ts), replaying `nodeChangesSince` into a view
 * held per keeper (so per container), seeded by the snapshot's node view when cold, and listed in
 * full only when neither exists or the node history has expired.
 *
 * Nodes on their way out (the provisioner finds them, lib/provisioning/provisioner.ts) are passed
 * to `clusterObjects` with the pods they give back: those are planned again as if pending, and the
 * Nodes offer no capacity, as Karpenter's provisioner does with the pods of deleting nodes.
 *
 * NodePools become scheduler options only when their EC2NodeClass exists and is ready; the
 * others are reported in `problems` (and logged) and left out, as Karpenter does.
 */
import type { EC2NodeClass, NodePool } from "../api/types.ts";
import type { InstanceType } from "../ports/instance-type.ts";
import type { DaemonSet, Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from "../api/kubernetes.ts";
import type { Cloud } from "../ports/cloud.ts";
import { isMarkedUnschedulable, listAll, type Cluster } from "../ports/cluster.ts";
import type { NodeClaimRecord, Store } from "../ports/store.ts";
import type { UnavailableOffering } from "../ports/unavailable-offerings.ts";
import type { ClusterObjects } from "../scheduling/snapshot.ts";
import { isPending } from "../scheduling/snapshot.ts";
import type { NodePoolOption } from "../scheduling/types.ts";
import { withNodeCost } from "../pricing/node-cost.ts";
import type { Log } from "../ports/telemetry.ts";
import { stillPending } from "../cluster-state/cache.ts";
import { ClusterStateKeeper, type ClusterStateReport } from "../cluster-state/keeper.ts";
import { nodeStateOf, type NodeStateReport } from "../cluster-state/nodes.ts";
import { podKey } from "../api/kubernetes.ts";
import { loadConfiguration, type ConfigurationProblem } from "./configuration.ts";

export interface Observation {
  nowMs: number;
  /** Bound, unfinished pods (they use capacity and count for topology), as minimal pods built from summaries. */
  boundPods: Pod[];
  /** How the bound pods were brought up to date, and what it cost. */
  clusterState: ClusterStateReport;
  /** Pending pods kube-scheduler gave up on: what provisioning is for. */
  provisionablePods: Pod[];
  nodes: Node[];
  /** How the nodes were brought up to date, and what it cost. */
  nodeState: NodeStateReport;
  /** Every NodeClaim record, in flight or not. */
  records: NodeClaimRecord[];
  nodePools: NodePoolOption[];
  nodeClasses: EC2NodeClass[];
  daemonSets: DaemonSet[];
  persistentVolumeClaims: PersistentVolumeClaim[];
  persistentVolumes: PersistentVolume[];
  storageClasses: StorageClass[];
  unavailable: UnavailableOffering[];
  problems: ConfigurationProblem[];
  /** Where each valid NodePool and EC2NodeClass came from, by `Kind/name` (statuses are written back there). */
  sources?: Map<string, "cluster" | "table">;
}

export interface ObservePorts {
  cluster: Cluster;
  store: Store;
  cloud: Cloud;
  log: Log;
  /** The container's bound-pod cache; without one every call starts from the published snapshot. */
  clusterState?: ClusterStateKeeper;
}

/** A pod provisioning should act on: unbound, not a DaemonSet's, not deleting, and marked Unschedulable. */
export function isProvisionable(pod: Pod): boolean {
  return isPending(pod) && isMarkedUnschedulable(pod);
}

function nodeClassFor(pool: NodePool, classes: readonly EC2NodeClass[]): EC2NodeClass | undefined {
  const ref = pool.spec.template.spec.nodeClassRef;
  if (ref.kind !== "EC2NodeClass") return undefined;
  return classes.find((c) => c.metadata.name === ref.name);
}

/** NodePools with their instance types; pools whose NodeClass is missing or not ready are reported and skipped. */
export async function nodePoolOptions(
  ports: ObservePorts,
  nodePools: readonly NodePool[],
  nodeClasses: readonly EC2NodeClass[],
  problems: ConfigurationProblem[],
  sources: ReadonlyMap<string, "cluster" | "table"> = new Map(),
): Promise<NodePoolOption[]> {
  const typesByClass = new Map<string, Promise<InstanceType[] | string>>();
  const typesFor = (nodeClass: EC2NodeClass): Promise<InstanceType[] | string> => {
    const key = nodeClass.metadata.name;
    let found = typesByClass.get(key);
    if (!found) {
      found = (async () => {
        const resolved = await ports.cloud.resolveNodeClass(nodeClass);
        if (!resolved.ready) return resolved.conditions.filter((c) => c.status !== "True").map((c) => `${c.type}: ${c.message}`).join("; ") || "not ready";
        return ports.cloud.instanceTypes(nodeClass);
      })();
      typesByClass.set(key, found);
    }
    return found;
  };
  const out: NodePoolOption[] = [];
  for (const nodePool of [...nodePools].sort((a, b) => (b.spec.weight ?? 0) - (a.spec.weight ?? 0) || a.metadata.name.localeCompare(b.metadata.name))) {
    const name = nodePool.metadata.name;
    const ref = nodePool.spec.template.spec.nodeClassRef;
    const nodeClass = nodeClassFor(nodePool, nodeClasses);
    if (!nodeClass) {
      const message = `references ${ref.kind} ${ref.name}, which does not exist or is invalid`;
      problems.push({ kind: "NodePool", name, source: sources.get(name) ?? "cluster", message });
      ports.log.warn(`NodePool ${name} ${message}; skipped`);
      continue;
    }
    const types = await typesFor(nodeClass);
    if (typeof types === "string") {
      const message = `EC2NodeClass ${nodeClass.metadata.name} is not ready: ${types}`;
      problems.push({ kind: "NodePool", name, source: sources.get(name) ?? "cluster", message });
      ports.log.warn(`NodePool ${name}: ${message}; skipped`);
      continue;
    }
    // A per-node cost on the pool (licences, agents) is part of every price decisions compare.
    out.push({ nodePool, instanceTypes: withNodeCost(types, nodePool), nodeClass });
  }
  return out;
}

export async function observe(ports: ObservePorts, nowMs: number): Promise<Observation> {
  const { cluster, store } = ports;
  const keeper = ports.clusterState ?? new ClusterStateKeeper();
  // Pending first, then the catch-up, so the bound view is never older than the pending one.
  const pods = listAll((o) => cluster.listPendingPods(o)).then(async (pending) => {
    const state = await keeper.current(ports, nowMs);
    // Taken at once, before another run sharing the keeper (local loop, tests) can move the cache on.
    return { state, report: state.report, bound: state.cache.boundPods(), pending: stillPending(pending, state.cache, state.fates) };
  });
  // In parallel with the pods; only a cold container waits for the snapshot the keeper loaded, whose node view seeds it.
  const nodes = nodeStateOf(keeper)
    .current(ports, async () => (await pods).state.cache.nodes)
    .then(({ view, report }) => ({ view, report, nodes: view.nodes() }));
  const [{ state, report, bound, pending }, nodeState, records, daemonSets, claims, volumes, storageClasses, unavailable, configuration] = await Promise.all([
    pods,
    nodes,
    store.listNodeClaims(),
    listAll((o) => cluster.listDaemonSets(o)),
    listAll((o) => cluster.listPersistentVolumeClaims(o)),
    listAll((o) => cluster.listPersistentVolumes(o)),
    listAll((o) => cluster.listStorageClasses(o)),
    store.listUnavailable(nowMs),
    loadConfiguration(ports, nowMs),
  ]);
  // What the keeper publishes next carries nodes as current as these.
  state.cache.nodes = nodeState.view;
  const problems = [...configuration.problems];
  const nodePools = await nodePoolOptions(ports, configuration.nodePools, configuration.nodeClasses, problems, configuration.nodePoolSources);
  return {
    nowMs,
    boundPods: bound,
    clusterState: report,
    provisionablePods: pending.filter(isProvisionable),
    nodes: nodeState.nodes,
    nodeState: nodeState.report,
    records,
    nodePools,
    nodeClasses: configuration.nodeClasses,
    daemonSets,
    persistentVolumeClaims: claims,
    persistentVolumes: volumes,
    storageClasses,
    unavailable,
    problems,
    sources: new Map([
      ...[...configuration.nodePoolSources].map(([name, source]) => [`NodePool/${name}`, source] as const),
      ...[...configuration.nodeClassSources].map(([name, source]) => [`EC2NodeClass/${name}`, source] as const),
    ]),
  };
}

/** Tenon-managed Nodes on their way out, and the pods they give back (pending copies). */
export interface Leaving {
  nodes: readonly string[];
  pods: readonly Pod[];
}

/**
 * The scheduler's raw input: bound pods, provisionable pods and the pods leaving Nodes give back;
 * the Nodes that are staying; every NodeClaim neither Terminating nor owning a leaving Node (records
 * in flight stay: their capacity takes the pods it was launched for).
 */
export function clusterObjects(observation: Observation, leavingNodes: Leaving = { nodes: [], pods: [] }): ClusterObjects {
  const leaving = new Set(leavingNodes.nodes);
  const pending = new Set(observation.provisionablePods.map(podKey));
  const givenBack = leavingNodes.pods.filter((p) => !pending.has(podKey(p)));
  const leavingProviderIds = new Set(observation.nodes.filter((n) => leaving.has(n.metadata.name)).map((n) => n.spec.providerID));
  return {
    pods: [...observation.boundPods.filter((p) => !leaving.has(p.spec.nodeName ?? "")), ...observation.provisionablePods, ...givenBack],
    nodes: observation.nodes.filter((n) => !leaving.has(n.metadata.name)),
    nodeClaims: observation.records
      .filter((r) => r.phase !== "Terminating" && !leavingProviderIds.has(r.nodeClaim.status?.providerID))
      .map((r) => r.nodeClaim),
    nodePools: observation.nodePools,
    daemonSets: observation.daemonSets,
    persistentVolumeClaims: observation.persistentVolumeClaims,
    persistentVolumes: observation.persistentVolumes,
    storageClasses: observation.storageClasses,
  };
}
