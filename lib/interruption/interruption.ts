/**
 * Interruption: observe → decide → act for one classified interruption message (the AWS adapter
 * classifies EventBridge events, lib/cloud/aws/interruption/). As Karpenter, anything that means an
 * instance Tenon launched is going away (Spot interruption warning, AWS Health scheduled change,
 * instance stopping or terminating, capacity-reservation interruption) starts its termination:
 *  1. a Spot (or capacity-reservation) interruption marks the offering unavailable for 3 minutes,
 *     so the replacement is planned elsewhere;
 *  2. the Node is tainted `karpenter.sh/disrupted:NoSchedule`, the NodeClaim record is marked
 *     `Terminating` (conditional on its version) and the Node is deleted (the
 *     `karpenter.sh/termination` finalizer holds it while it drains); Events name what happened
 *     (`SpotInterrupted`, `InstanceStopping`, `InstanceTerminating`, `InstanceUnhealthy`,
 *     `CapacityReservationInstanceInterrupted`) and `TerminatingOnInterruption`;
 *  3. the provisioner is woken at once (a batch-ready message with no delay): it plans the
 *     leaving Node's pods again (lib/disruption/deleting.ts), so the replacement launches in
 *     parallel with the drain, within the 2-minute notice;
 *  4. the drain starts here rather than at the next lifecycle tick: the termination decision
 *     (lib/termination/decide.ts) runs for the interrupted Nodes, and its first steps (taint, first
 *     evictions) are applied; the lifecycle tick carries the drain on, terminates the instance and
 *     removes the Node and the record.
 * A rebalance recommendation only records an Event. Every step is read back first, so a duplicated
 * message finds the record Terminating and the Node tainted and deleting, and decides nothing more;
 * a retried one (after a crash midway) does only what is missing. A record changed meanwhile (a
 * conflict) makes the message observed and decided again; a record another handler marked
 * Terminating first (a concurrent duplicate) is left to it.
 *
 * Tenon acts only on what it launched: a Node is acted on only when its instance has a Tenon
 * NodeClaim record (found by key: the instance's `karpenter.sh/nodeclaim` tag names it, and the
 * record must point at that instance). Any other Node (a managed node group's, Karpenter's) only
 * gets the log line and the Event.
 *
 * Nodes come from the node view the cluster-state keeper holds (lib/observe/nodes.ts), observed
 * once per batch of messages, never listed per message; a Node Tenon launched is read again by name.
 */
import type { Action, Applied, Executor } from "../actions/actions.ts";
import { PortExecutor } from "../actions/executor.ts";
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_ZONE } from "../api/labels.ts";
import type { Node } from "../api/kubernetes.ts";
import type { NodeView } from "../cluster-state/nodes.ts";
import { hasDisruptedTaint } from "../disruption/deleting.ts";
import { DISRUPTED_TAINT } from "../disruption/pods.ts";
import { observeNodeView } from "../observe/nodes.ts";
import type { FullPorts } from "../observe/ports.ts";
import type { CloudInstance } from "../ports/cloud.ts";
import { listAll, type ClusterEvent } from "../ports/cluster.ts";
import type { CapacityType } from "../ports/instance-type.ts";
import type { ClassifiedInterruption } from "../ports/interruption.ts";
import type { NodeClaimRecord } from "../ports/store.ts";
import { disruptedMetric, emit, METRIC } from "../ports/telemetry.ts";
import { interruptionMessage, nodeClaimDisrupted } from "../metrics/karpenter.ts";
import { UNAVAILABLE_OFFERING_TTL_MS } from "../ports/unavailable-offerings.ts";
import { decideTermination } from "../termination/decide.ts";

/** The Event message's ending for a node Tenon did not launch. */
export const NOT_OURS = "not drained: Tenon did not launch this node";

/** Times a message is observed and decided again when a record changed under it. */
export const MAX_ATTEMPTS = 3;

/** The capacity an interruption takes back: its offering is marked unavailable when the instance has that capacity type. */
const TAKEN_BACK: Partial<Record<ClassifiedInterruption["kind"], CapacityType>> = {
  "spot-interruption": "spot",
  "capacity-reservation-interruption": "reserved",
};

const STOPPING_STATES = new Set(["stopping", "stopped"]);

/** Karpenter's Event for a message (reason, and what it says), by kind. */
function kindEvent(message: ClassifiedInterruption): { reason: string; says: string } {
  switch (message.kind) {
    case "spot-interruption":
      return { reason: "SpotInterrupted", says: "Spot interruption warning" };
    case "rebalance-recommendation":
      return { reason: "SpotRebalanceRecommendation", says: "Spot rebalance recommendation" };
    case "scheduled-change":
      return { reason: "InstanceUnhealthy", says: "Scheduled change for the instance" };
    case "capacity-reservation-interruption":
      return { reason: "CapacityReservationInstanceInterrupted", says: "Capacity reservation interruption warning" };
    case "state-change":
      return STOPPING_STATES.has(message.state ?? "")
        ? { reason: "InstanceStopping", says: "Instance is stopping" }
        : { reason: "InstanceTerminating", says: "Instance is terminating" };
  }
}

export interface InterruptionReport {
  instances: number;
  markedUnavailable: number;
  /** Nodes (or, before registration, NodeClaims) this message put on the termination path. */
  terminating: string[];
  /** Evictions the drain's first step requested (a PDB may have refused some: the tick asks again). */
  evictionsRequested: number;
  /** Whether the provisioner was woken. */
  wokeProvisioner: boolean;
  /** Nodes Tenon did not launch: the event was recorded, nothing patched. */
  recordedOnly: string[];
}

/** What is known about one interrupted instance. */
export interface InterruptedInstance {
  instanceId: string;
  node?: Node;
  instance?: CloudInstance;
  /** The Tenon NodeClaim record that launched this instance, when there is one. */
  record?: NodeClaimRecord;
}

function recordOwns(record: NodeClaimRecord, instanceId: string): boolean {
  return record.launch.instanceId === instanceId || record.nodeClaim.status?.providerID?.endsWith(`/${instanceId}`) === true;
}

/**
 * Observes one message's instances: the Node from the view (read again by name when Tenon launched
 * it: an earlier message of the batch may have changed it), the instance, and the record by its key.
 */
export async function observeInterruption(ports: Pick<FullPorts, "cloud" | "store" | "cluster">, message: ClassifiedInterruption, nodes: NodeView): Promise<InterruptedInstance[]> {
  return Promise.all(
    message.instanceIds.map(async (instanceId): Promise<InterruptedInstance> => {
      const instance = await ports.cloud.get(instanceId);
      const named = instance?.nodeClaimName ? await ports.store.getNodeClaim(instance.nodeClaimName) : undefined;
      const record = named && recordOwns(named, instanceId) ? named : undefined;
      const seen = nodes.nodeForInstance(instanceId);
      const node = seen && record ? await ports.cluster.getNode(seen.metadata.name) : seen;
      return { instanceId, ...(node ? { node } : {}), ...(instance ? { instance } : {}), ...(record ? { record } : {}) };
    }),
  );
}

/** The unit of the actions that put one interrupted NodeClaim on the termination path. */
export function interruptionUnit(record: NodeClaimRecord): string {
  return `interrupt:${record.name}`;
}

function nodeRef(node: Node): ClusterEvent["involvedObject"] {
  return { apiVersion: "v1", kind: "Node", name: node.metadata.name, ...(node.metadata.uid ? { uid: node.metadata.uid } : {}) };
}

function offeringAction(message: ClassifiedInterruption, o: InterruptedInstance, nowMs: number): Action | undefined {
  const takenBack = TAKEN_BACK[message.kind];
  if (!takenBack) return undefined;
  const labels = { ...(o.record?.nodeClaim.metadata.labels ?? {}), ...(o.node?.metadata.labels ?? {}) };
  const instanceType = o.instance?.instanceType ?? labels[LABEL_INSTANCE_TYPE];
  const zone = o.instance?.zone ?? labels[LABEL_ZONE];
  const capacityType = o.instance?.capacityType ?? labels[LABEL_CAPACITY_TYPE];
  if (!instanceType || !zone || capacityType !== takenBack) return undefined;
  return {
    kind: "mark-offering-unavailable", offering: { instanceType, zone, capacityType }, cause: message.kind, expiresAtMs: nowMs + UNAVAILABLE_OFFERING_TTL_MS,
    reason: `${message.detail}: the provisioner plans around this offering for ${UNAVAILABLE_OFFERING_TTL_MS / 60_000} minutes`,
  };
}

/** What to do about a message, as actions. Pure: `nowMs` comes in. */
export function decideInterruption(message: ClassifiedInterruption, observed: readonly InterruptedInstance[], nowMs: number): Action[] {
  const actions: Action[] = [];
  if (message.action === "ignore") return actions;
  const drains = message.action !== "event-only";
  const { reason: eventReason, says } = kindEvent(message);
  let wake = false;
  for (const o of observed) {
    const { node, record } = o;
    if (!node && !record) continue;
    if (!record || !drains) {
      // Not Tenon's to drain (or only a recommendation): the Event says what happened, nothing is patched.
      if (!node) continue;
      const notOurs = drains && !record;
      actions.push({
        kind: "record-event",
        event: {
          involvedObject: nodeRef(node), type: drains ? "Warning" : "Normal", reason: eventReason,
          message: `${says} (event ${message.eventId}, ${message.detail})${record ? ` for NodeClaim ${record.name}` : ""}${notOurs ? `; ${NOT_OURS}` : ""}`,
        },
        reason: notOurs ? "Tenon did not launch this node: recorded only" : "informational",
      });
      continue;
    }
    // The offering is marked whatever else is under way (marking it again only renews it).
    const offering = offeringAction(message, o, nowMs);
    if (offering) actions.push(offering);
    const tainted = node ? hasDisruptedTaint(node) : true;
    const deleting = node ? node.metadata.deletionTimestamp !== undefined : true;
    // A duplicated message: the termination this message starts is already under way.
    if (record.phase === "Terminating" && tainted && deleting) continue;
    wake = true;
    const unit = interruptionUnit(record);
    const why = `${says} (event ${message.eventId}, ${message.detail}): instance ${o.instanceId} is going away`;
    if (record.phase !== "Terminating") {
      actions.push({
        kind: "update-nodeclaim", record, content: { nodeClaim: record.nodeClaim, phase: "Terminating", launch: record.launch }, reason: why, unit,
        metric: disruptedMetric("Interrupted"), metrics: [nodeClaimDisrupted(record.nodeClaim, "Interrupted")],
      });
    }
    if (!node) continue; // not registered yet: the lifecycle tick terminates the instance of a Terminating record
    const name = node.metadata.name;
    if (!tainted) actions.push({ kind: "taint-node", node: name, taint: { ...DISRUPTED_TAINT }, reason: `${why}: no new pods`, unit });
    if (!deleting) actions.push({ kind: "delete-node", node: name, reason: `${why}: the termination finalizer holds the Node while it drains`, unit });
    actions.push(
      { kind: "record-event", event: { involvedObject: nodeRef(node), type: "Warning", reason: eventReason, message: `${says} for NodeClaim ${record.name} (event ${message.eventId}, ${message.detail})` }, reason: why, unit },
      {
        kind: "record-event",
        event: { involvedObject: nodeRef(node), type: "Warning", reason: "TerminatingOnInterruption", message: `Interruption started termination of NodeClaim ${record.name}: the Node drains while its replacement launches` },
        reason: why, unit,
      },
    );
  }
  if (wake) actions.push({ kind: "wake-provisioner", cause: "interruption", reason: "the interrupted Nodes' pods need capacity within the interruption notice" });
  return actions;
}

/**
 * The drain's first steps for Nodes an interruption just put on the termination path: the
 * termination decision itself, of which only the taint and the evictions are applied here. The
 * rest (deleting pods at the grace period's end, terminating the instance, removing the finalizer
 * and the record) is the lifecycle tick's.
 */
export function decideDrainStart(input: Parameters<typeof decideTermination>[0]): Action[] {
  return decideTermination(input).filter((a) => a.kind === "taint-node" || a.kind === "evict-pod");
}

export interface InterruptionOptions {
  /** The node view for this batch of messages (observed once per batch); observed here when absent. */
  nodes?: Promise<NodeView>;
  executor?: Executor;
}

/** Reads back the interrupted Nodes this message moved to termination, decides the drain's first steps, applies them. */
async function startDrain(ports: FullPorts, subjects: readonly InterruptedInstance[], executor: Executor): Promise<Applied[]> {
  const applied: Applied[] = [];
  for (const { node: seen, record: before, instance } of subjects) {
    if (!seen || !before) continue;
    const [node, record] = await Promise.all([ports.cluster.getNode(seen.metadata.name), ports.store.getNodeClaim(before.name)]);
    if (!node || !record) continue; // the Node went at once (no finalizer): nothing to drain
    const pods = await listAll((o) => ports.cluster.listPodsOnNode(node.metadata.name, o));
    const actions = decideDrainStart({
      nodes: [node], records: [record], podsByNode: new Map([[node.metadata.name, pods]]), instances: instance ? [instance] : [], nowMs: ports.clock.now(),
    });
    applied.push(...(await executor.execute(actions)));
  }
  return applied;
}

export async function handleInterruption(ports: FullPorts, message: ClassifiedInterruption, options: InterruptionOptions = {}): Promise<InterruptionReport> {
  const { clock, log, metrics } = ports;
  const report: InterruptionReport = { instances: message.instanceIds.length, markedUnavailable: 0, terminating: [], evictionsRequested: 0, wokeProvisioner: false, recordedOnly: [] };
  metrics.addMetric(METRIC.interruptions, "Count", 1);
  emit(metrics, [interruptionMessage(message.kind)]);
  if (message.action === "ignore") {
    log.info("interruption message needs no action", { kind: message.kind, detail: message.detail, instanceIds: message.instanceIds });
    return report;
  }
  const view = await (options.nodes ?? observeNodeView(ports));
  const executor = options.executor ?? new PortExecutor(ports);
  /** Records whose Terminating mark another handler wrote first (a concurrent duplicate): theirs to finish. */
  let lostTo = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    const observed = (await observeInterruption(ports, message, view)).filter((o) => !(o.record && lostTo.has(o.record.name) && o.record.phase === "Terminating"));
    if (attempt === 1) logObserved(ports, message, observed);
    const decided = decideInterruption(message, observed, clock.now());
    const applied = await executor.execute(decided.filter((a) => a.kind !== "wake-provisioner"));
    const conflicted = new Set(applied.filter((a) => a.outcome.status === "conflict").map((a) => a.action.unit));
    const started = observed.filter((o) => o.record && applied.some((a) => a.action.unit === interruptionUnit(o.record!) && !conflicted.has(a.action.unit)));
    // The wake-up only when this attempt started something (a run that lost every record to a concurrent duplicate stays quiet).
    if (started.length > 0) applied.push(...(await executor.execute(decided.filter((a) => a.kind === "wake-provisioner"))));
    for (const { action, outcome } of applied) {
      if (outcome.status !== "done") continue;
      if (action.kind === "mark-offering-unavailable") report.markedUnavailable++;
      if (action.kind === "wake-provisioner") report.wokeProvisioner = true;
      if (action.kind === "record-event" && action.event.message.endsWith(NOT_OURS)) report.recordedOnly.push(action.event.involvedObject.name);
    }
    for (const o of started) report.terminating.push(o.node?.metadata.name ?? o.record!.name);
    for (const { action, outcome } of await startDrain(ports, started, executor)) {
      if (action.kind === "evict-pod" && outcome.status === "done") report.evictionsRequested++;
    }
    if (conflicted.size === 0) break;
    lostTo = new Set(observed.flatMap((o) => (o.record && conflicted.has(interruptionUnit(o.record)) ? [o.record.name] : [])));
    if (attempt >= MAX_ATTEMPTS) throw new Error(`interruption ${message.eventId}: NodeClaim records kept changing while they were marked Terminating (${[...conflicted].join(", ")}); SQS retries the message`);
    log.info("a NodeClaim record changed while the interruption was handled; observing again", { eventId: message.eventId, units: [...conflicted] });
  }
  if (report.terminating.length > 0) {
    log.info(`interruption put ${report.terminating.length} node(s) on the termination path`, { kind: message.kind, eventId: message.eventId, nodes: report.terminating, evictions: report.evictionsRequested });
  }
  return report;
}

function logObserved(ports: FullPorts, message: ClassifiedInterruption, observed: readonly InterruptedInstance[]): void {
  for (const o of observed) {
    if (!o.node && !o.record) ports.log.info("interruption for an instance Tenon does not manage", { instanceId: o.instanceId, kind: message.kind });
    else if (o.node && !o.record && message.action !== "event-only") {
      ports.log.info(`interruption for node ${o.node.metadata.name}, which Tenon did not launch: recorded, not drained`, { instanceId: o.instanceId, kind: message.kind });
    } else if (o.record?.phase === "Terminating" && message.action !== "event-only") {
      ports.log.info(`interruption for NodeClaim ${o.record.name}, already terminating`, { instanceId: o.instanceId, kind: message.kind, eventId: message.eventId });
    }
  }
}

/**
 * Runs one message's handling with the executor `around` hands it (the wiring's journalled run,
 * lib/wiring/journaled.ts); without `around`, with the one that acts.
 */
export type AroundMessage = (message: ClassifiedInterruption, run: (executor?: Executor) => Promise<InterruptionReport>) => Promise<InterruptionReport>;

/** A handler for a batch of messages: they share one observation of the node view. */
export function interruptionBatch(ports: FullPorts, around: AroundMessage = (_message, run) => run()): (message: ClassifiedInterruption) => Promise<InterruptionReport> {
  let nodes: Promise<NodeView> | undefined;
  return (message) => {
    if (message.action !== "ignore") nodes ??= observeNodeView(ports);
    const view = nodes ? { nodes } : {};
    return around(message, (executor) => handleInterruption(ports, message, { ...view, ...(executor ? { executor } : {}) }));
  };
}
