/**
 * Interruption: observe → decide → act for one classified interruption message (the AWS adapter
 * classifies EventBridge events, lib/cloud/aws/interruption/). For now Tenon does the first half of
 * Karpenter's response: a Spot interruption (or capacity-reservation interruption) marks the offering
 * unavailable for 3 minutes, so the provisioner plans around it; anything that means the instance is
 * going away cordons its Node and taints it `karpenter.sh/disrupted:NoSchedule`; every handled
 * message leaves an Event on the Node. Draining the Node and replacing its capacity is the
 * termination flow, which comes later.
 *
 * Tenon acts only on what it launched: a Node is cordoned and tainted only when its instance has a
 * Tenon NodeClaim record (found by key: the instance's `karpenter.sh/nodeclaim` tag names it, and
 * the record must point at that instance). Any other Node (a managed node group's, Karpenter's) only
 * gets the log line and the Event.
 *
 * Nodes come from the node view the cluster-state keeper holds (lib/observe/nodes.ts), observed
 * once per batch of messages, never listed per message.
 */
import type { Action, Executor } from "../actions/actions.ts";
import { PortExecutor } from "../actions/executor.ts";
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_ZONE } from "../api/labels.ts";
import type { Node } from "../api/kubernetes.ts";
import type { Taint } from "../api/types.ts";
import type { NodeView } from "../cluster-state/nodes.ts";
import { observeNodeView } from "../observe/nodes.ts";
import type { FullPorts } from "../observe/ports.ts";
import type { CloudInstance } from "../ports/cloud.ts";
import type { ClusterEvent } from "../ports/cluster.ts";
import type { CapacityType } from "../ports/instance-type.ts";
import type { ClassifiedInterruption } from "../ports/interruption.ts";
import type { NodeClaimRecord } from "../ports/store.ts";
import { METRIC } from "../ports/telemetry.ts";
import { UNAVAILABLE_OFFERING_TTL_MS } from "../ports/unavailable-offerings.ts";

export const DISRUPTED_TAINT: Taint = { key: "karpenter.sh/disrupted", effect: "NoSchedule" };

const EVENT_REASON: Record<ClassifiedInterruption["kind"], string> = {
  "spot-interruption": "SpotInterrupted",
  "rebalance-recommendation": "SpotRebalanceRecommendation",
  "state-change": "InstanceStateChange",
  "scheduled-change": "InstanceScheduledChange",
  "capacity-reservation-interruption": "CapacityReservationInterrupted",
};

/** The Event message's ending for a node Tenon did not launch. */
export const NOT_OURS = "not cordoned: Tenon did not launch this node";

export interface InterruptionReport {
  instances: number;
  markedUnavailable: number;
  cordoned: string[];
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

/** Observes one message's instances: the Node from the view, the instance, and the record by its key. */
export async function observeInterruption(ports: Pick<FullPorts, "cloud" | "store">, message: ClassifiedInterruption, nodes: NodeView): Promise<InterruptedInstance[]> {
  return Promise.all(
    message.instanceIds.map(async (instanceId): Promise<InterruptedInstance> => {
      const node = nodes.nodeForInstance(instanceId);
      const instance = await ports.cloud.get(instanceId);
      const named = instance?.nodeClaimName ? await ports.store.getNodeClaim(instance.nodeClaimName) : undefined;
      const record = named && recordOwns(named, instanceId) ? named : undefined;
      return { instanceId, ...(node ? { node } : {}), ...(instance ? { instance } : {}), ...(record ? { record } : {}) };
    }),
  );
}

/** What to do about a message, as actions. Pure: `nowMs` comes in. */
export function decideInterruption(message: ClassifiedInterruption, observed: readonly InterruptedInstance[], nowMs: number): Action[] {
  const actions: Action[] = [];
  if (message.action === "ignore") return actions;
  for (const { instanceId, node, instance, record } of observed) {
    if (!node && !record) continue;
    if (message.action === "mark-unavailable+cordon-and-drain") {
      const labels = { ...(record?.nodeClaim.metadata.labels ?? {}), ...(node?.metadata.labels ?? {}) };
      const instanceType = instance?.instanceType ?? labels[LABEL_INSTANCE_TYPE];
      const zone = instance?.zone ?? labels[LABEL_ZONE];
      const capacityType = (instance?.capacityType ?? labels[LABEL_CAPACITY_TYPE]) as CapacityType | undefined;
      if (instanceType && zone && capacityType) {
        actions.push({
          kind: "mark-offering-unavailable", offering: { instanceType, zone, capacityType }, cause: message.kind, expiresAtMs: nowMs + UNAVAILABLE_OFFERING_TTL_MS,
          reason: `${message.detail}: the provisioner plans around this offering for ${UNAVAILABLE_OFFERING_TTL_MS / 60_000} minutes`,
        });
      }
    }
    if (!node) continue;
    const name = node.metadata.name;
    const cordon = message.action !== "event-only" && record !== undefined;
    const notOurs = message.action !== "event-only" && record === undefined;
    if (cordon) {
      const reason = `${message.detail} (event ${message.eventId}): instance ${instanceId} is going away`;
      actions.push({ kind: "cordon-node", node: name, reason }, { kind: "taint-node", node: name, taint: DISRUPTED_TAINT, reason });
    }
    const event: ClusterEvent = {
      involvedObject: { apiVersion: "v1", kind: "Node", name, ...(node.metadata.uid ? { uid: node.metadata.uid } : {}) },
      type: message.action === "event-only" ? "Normal" : "Warning",
      reason: EVENT_REASON[message.kind],
      message: `${message.detail} (event ${message.eventId})${cordon ? "; node cordoned" : notOurs ? `; ${NOT_OURS}` : ""}`,
    };
    actions.push({ kind: "record-event", event, reason: cordon ? "the node is cordoned" : notOurs ? "Tenon did not launch this node: recorded only" : "informational" });
  }
  return actions;
}

export interface InterruptionOptions {
  /** The node view for this batch of messages (observed once per batch); observed here when absent. */
  nodes?: Promise<NodeView>;
  executor?: Executor;
}

export async function handleInterruption(ports: FullPorts, message: ClassifiedInterruption, options: InterruptionOptions = {}): Promise<InterruptionReport> {
  const { clock, log, metrics } = ports;
  const report: InterruptionReport = { instances: message.instanceIds.length, markedUnavailable: 0, cordoned: [], recordedOnly: [] };
  metrics.addMetric(METRIC.interruptions, "Count", 1);
  if (message.action === "ignore") {
    log.info("interruption message needs no action", { kind: message.kind, detail: message.detail, instanceIds: message.instanceIds });
    return report;
  }
  const observed = await observeInterruption(ports, message, await (options.nodes ?? observeNodeView(ports)));
  for (const o of observed) {
    if (!o.node && !o.record) log.info("interruption for an instance Tenon does not manage", { instanceId: o.instanceId, kind: message.kind });
    else if (o.node && !o.record && message.action !== "event-only") {
      log.info(`interruption for node ${o.node.metadata.name}, which Tenon did not launch: recorded, not cordoned`, { instanceId: o.instanceId, kind: message.kind });
    }
  }
  const actions = decideInterruption(message, observed, clock.now());
  const applied = await (options.executor ?? new PortExecutor(ports)).execute(actions);
  for (const { action, outcome } of applied) {
    if (outcome.status !== "done") continue;
    if (action.kind === "mark-offering-unavailable") report.markedUnavailable++;
    if (action.kind === "cordon-node") report.cordoned.push(action.node);
    if (action.kind !== "record-event") continue;
    if (action.event.message.endsWith(NOT_OURS)) report.recordedOnly.push(action.event.involvedObject.name);
    log.info(`interruption handled for node ${action.event.involvedObject.name}`, { kind: message.kind, action: message.action });
  }
  return report;
}

/** A handler for a batch of messages: they share one observation of the node view. */
export function interruptionBatch(ports: FullPorts, executor?: Executor): (message: ClassifiedInterruption) => Promise<InterruptionReport> {
  let nodes: Promise<NodeView> | undefined;
  return (message) => {
    if (message.action !== "ignore") nodes ??= observeNodeView(ports);
    return handleInterruption(ports, message, { ...(nodes ? { nodes } : {}), ...(executor ? { executor } : {}) });
  };
}
