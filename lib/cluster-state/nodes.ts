/**
 * The cluster's nodes as of one resourceVersion, kept current by replaying `nodeChangesSince`
 * instead of listing every node per run (docs/kubernetes.md, "Keeping cluster state current",
 * "Nodes"). Nodes are few next to pods (5,000 against 50,000) and the scheduler reads most of a
 * slimmed node (labels, taints, allocatable, conditions), so the view keeps the slimmed nodes
 * whole rather than a summary.
 *
 * `NodeView` is pure: changes applied in order, keyed by name, the last one wins, DELETED removes.
 * `NodeState` is the I/O around it for one container, in order of cost: memory (replay), the seed
 * a published snapshot carried (replay from its resourceVersion), a full list (when neither exists
 * or the history has expired).
 */
import type { Node } from "../api/kubernetes.ts";
import { DEFAULT_PAGE_SIZE, listAllWithVersion, type ClusterReader, type NodeChange } from "../ports/cluster.ts";

export class NodeView {
  /** Node names by instance id (the providerID's last segment), built on first lookup. */
  private byInstance: Map<string, string> | undefined;

  private constructor(
    private readonly byName: Map<string, Node>,
    private rv: string,
  ) {}

  static fromNodes(nodes: Iterable<Node>, resourceVersion: string): NodeView {
    return new NodeView(new Map([...nodes].map((n) => [n.metadata.name, n])), resourceVersion);
  }

  /** The resourceVersion the view reflects: ask for changes after it. */
  get resourceVersion(): string {
    return this.rv;
  }

  get size(): number {
    return this.byName.size;
  }

  /** Applies `changes` in order and moves to `resourceVersion`. */
  apply(changes: readonly NodeChange[], resourceVersion: string): void {
    for (const change of changes) {
      if (change.type === "DELETED") this.byName.delete(change.node.metadata.name);
      else this.byName.set(change.node.metadata.name, change.node);
    }
    this.rv = resourceVersion;
    if (changes.length > 0) this.byInstance = undefined;
  }

  /** The node whose providerID ends in `/<instanceId>` (a copy), without copying every node. */
  nodeForInstance(instanceId: string): Node | undefined {
    if (!this.byInstance) {
      this.byInstance = new Map();
      for (const [name, node] of this.byName) {
        const providerId = node.spec.providerID;
        if (providerId) this.byInstance.set(providerId.slice(providerId.lastIndexOf("/") + 1), name);
      }
    }
    const name = this.byInstance.get(instanceId);
    const node = name === undefined ? undefined : this.byName.get(name);
    return node ? structuredClone(node) : undefined;
  }

  /** Nodes sorted by name, so equal views list equally (copies: callers may not edit the view). */
  nodes(): Node[] {
    return [...this.byName.keys()].sort().map((name) => structuredClone(this.byName.get(name)!));
  }

  /** What a snapshot stores: the resourceVersion and the nodes. */
  toSnapshot(): NodeSnapshot {
    return { resourceVersion: this.rv, nodes: this.nodes() };
  }

  /** The view a stored value describes, or why it can't be used. */
  static fromSnapshot(value: unknown): NodeView | { problem: string } {
    if (typeof value !== "object" || value === null) return { problem: "the node snapshot is not an object" };
    const v = value as Partial<NodeSnapshot>;
    if (typeof v.resourceVersion !== "string" || v.resourceVersion === "") return { problem: "the node snapshot has no resourceVersion" };
    if (!Array.isArray(v.nodes)) return { problem: "the node snapshot's nodes are not a list" };
    for (const [i, node] of v.nodes.entries()) {
      const problem = nodeProblem(node);
      if (problem) return { problem: `node ${i}: ${problem}` };
    }
    return NodeView.fromNodes(v.nodes, v.resourceVersion);
  }
}

export interface NodeSnapshot {
  resourceVersion: string;
  nodes: Node[];
}

function nodeProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "not an object";
  const n = value as { metadata?: { name?: unknown }; spec?: unknown };
  if (typeof n.metadata !== "object" || n.metadata === null) return "metadata is not an object";
  if (typeof n.metadata.name !== "string" || n.metadata.name === "") return "metadata.name is not a non-empty string";
  if (typeof n.spec !== "object" || n.spec === null) return "spec is not an object";
  return undefined;
}

export type NodeStateSource = "memory" | "snapshot" | "list";

export interface NodeStateReport {
  source: NodeStateSource;
  /** Node changes replayed (0 after a list). */
  changes: number;
  nodes: number;
  resourceVersion: string;
  /** Why a cheaper source was not used, when one was not. */
  fellBackBecause?: string;
}

export interface NodeStatePorts {
  cluster: Pick<ClusterReader, "listNodes" | "nodeChangesSince">;
}

/** Restarts of a full list whose continue token expired, as `listAll` allows. */
const LIST_RESTARTS = 2;

export class NodeState {
  private view: NodeView | undefined;
  private lock: Promise<void> = Promise.resolve();

  /** `catchUpSeconds`: how long a catch-up watch waits for the server (lib/cluster/kube default: 2 s). */
  constructor(private readonly catchUpSeconds?: number) {}

  /**
   * The nodes brought current by the cheapest source that works. `seed`: the view a published
   * snapshot carried, asked for only when this container holds none (so a warm run need not wait
   * for the snapshot). One catch-up at a time, so two runs sharing the state never replay into the
   * view out of order.
   */
  async current(ports: NodeStatePorts, seed?: () => Promise<NodeView | undefined>): Promise<{ view: NodeView; report: NodeStateReport }> {
    const previous = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await this.bringCurrent(ports, seed);
    } finally {
      release();
    }
  }

  /** Drops the view (the next call starts from a seed or a list). */
  forget(): void {
    this.view = undefined;
  }

  private async bringCurrent(ports: NodeStatePorts, seedFrom: (() => Promise<NodeView | undefined>) | undefined): Promise<{ view: NodeView; report: NodeStateReport }> {
    let fellBackBecause: string | undefined;
    const held = this.view;
    if (this.view) {
      const changes = await this.catchUp(ports, this.view);
      if (changes !== undefined) return { view: this.view, report: this.report("memory", this.view, changes) };
      fellBackBecause = `node history after resourceVersion ${this.view.resourceVersion} has expired`;
      this.view = undefined;
    }
    const seed = await seedFrom?.();
    // The seed may be the very view that just expired (observe hands it to the cache it publishes).
    if (seed && seed !== held) {
      const changes = await this.catchUp(ports, seed);
      if (changes !== undefined) {
        this.view = seed;
        return { view: seed, report: this.report("snapshot", seed, changes, fellBackBecause) };
      }
      fellBackBecause ??= `node history after the snapshot's resourceVersion ${seed.resourceVersion} has expired`;
    }
    fellBackBecause ??= "no node view in memory or in the snapshot";
    const { nodes, resourceVersion } = await listEveryNode(ports.cluster);
    const view = NodeView.fromNodes(nodes, resourceVersion ?? "");
    // Without a resourceVersion there is nothing to replay from: list again next time.
    this.view = resourceVersion ? view : undefined;
    return { view, report: this.report("list", view, 0, fellBackBecause) };
  }

  /** Changes replayed, or undefined when the history has expired. */
  private async catchUp(ports: NodeStatePorts, view: NodeView): Promise<number | undefined> {
    const options = this.catchUpSeconds === undefined ? undefined : { timeoutSeconds: this.catchUpSeconds };
    const since = await ports.cluster.nodeChangesSince(view.resourceVersion, options);
    if (since.outcome === "expired") return undefined;
    view.apply(since.changes, since.resourceVersion);
    return since.changes.length;
  }

  private report(source: NodeStateSource, view: NodeView, changes: number, fellBackBecause?: string): NodeStateReport {
    const report: NodeStateReport = { source, changes, nodes: view.size, resourceVersion: view.resourceVersion };
    if (fellBackBecause) report.fellBackBecause = fellBackBecause;
    return report;
  }
}

/**
 * The node state of an owner that lives as long as the container (the ClusterStateKeeper), so the
 * keeper's users share one node view without the keeper's own state changing shape.
 */
const statesByOwner = new WeakMap<object, NodeState>();

export function nodeStateOf(owner: object): NodeState {
  let state = statesByOwner.get(owner);
  if (!state) statesByOwner.set(owner, (state = new NodeState()));
  return state;
}

/** The cluster as a node reader, when it is one (the keeper's ports need only pod reads). */
export function nodeReaderOf(cluster: object): NodeStatePorts["cluster"] | undefined {
  const c = cluster as Partial<NodeStatePorts["cluster"]>;
  return typeof c.listNodes === "function" && typeof c.nodeChangesSince === "function" ? (c as NodeStatePorts["cluster"]) : undefined;
}

/** Every node with the resourceVersion of the list's first page (all pages come from that snapshot). */
export async function listEveryNode(cluster: Pick<ClusterReader, "listNodes">, pageSize = DEFAULT_PAGE_SIZE): Promise<{ nodes: Node[]; resourceVersion: string | undefined }> {
  const { items, resourceVersion } = await listAllWithVersion((o) => cluster.listNodes(o), pageSize, LIST_RESTARTS);
  return { nodes: items, resourceVersion };
}
