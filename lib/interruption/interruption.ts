/**
 * Acting on a classified interruption message (lib/cloud/aws/interruption). For now Tenon does
 * the first half of Karpenter's response: a Spot interruption (or capacity-reservation
 * interruption) marks the offering unavailable for 3 minutes, so the provisioner plans around it;
 * anything that means the instance is going away cordons its Node and taints it
 * `karpenter.sh/disrupted:NoSchedule`; every handled message leaves an Event on the Node. Draining
 * the Node and replacing its capacity is the termination flow, which comes later.
 */
import type { Taint } from "../api/types.ts";
import type { ClassifiedInterruption } from "../ports/interruption.ts";
import type { CapacityType } from "../ports/instance-type.ts";
import type { Node } from "../api/kubernetes.ts";
import { listAll, updateNodeTaints, type ClusterEvent } from "../ports/cluster.ts";
import { UNAVAILABLE_OFFERING_TTL_MS } from "../ports/unavailable-offerings.ts";
import type { FullPorts } from "../observe/ports.ts";
import { METRIC } from "../ports/telemetry.ts";

export const DISRUPTED_TAINT: Taint = { key: "karpenter.sh/disrupted", effect: "NoSchedule" };

const EVENT_REASON: Record<ClassifiedInterruption["kind"], string> = {
  "spot-interruption": "SpotInterrupted",
  "rebalance-recommendation": "SpotRebalanceRecommendation",
  "state-change": "InstanceStateChange",
  "scheduled-change": "InstanceScheduledChange",
  "capacity-reservation-interruption": "CapacityReservationInterrupted",
};

export interface InterruptionReport {
  instances: number;
  markedUnavailable: number;
  cordoned: string[];
}

function nodeFor(nodes: readonly Node[], instanceId: string): Node | undefined {
  return nodes.find((n) => n.spec.providerID?.endsWith(`/${instanceId}`));
}

export async function handleInterruption(ports: FullPorts, message: ClassifiedInterruption): Promise<InterruptionReport> {
  const { cluster, cloud, store, clock, log, metrics } = ports;
  const report: InterruptionReport = { instances: message.instanceIds.length, markedUnavailable: 0, cordoned: [] };
  metrics.addMetric(METRIC.interruptions, "Count", 1);
  if (message.action === "ignore") {
    log.info("interruption message needs no action", { kind: message.kind, detail: message.detail, instanceIds: message.instanceIds });
    return report;
  }
  const nodes = await listAll((o) => cluster.listNodes(o));
  const records = await store.listNodeClaims();
  for (const instanceId of message.instanceIds) {
    const node = nodeFor(nodes, instanceId);
    const record = records.find((r) => r.launch.instanceId === instanceId || r.nodeClaim.status?.providerID?.endsWith(`/${instanceId}`));
    if (!node && !record) {
      log.info("interruption for an instance Tenon does not manage", { instanceId, kind: message.kind });
      continue;
    }
    if (message.action === "mark-unavailable+cordon-and-drain") {
      const instance = await cloud.get(instanceId);
      const labels = { ...(record?.nodeClaim.metadata.labels ?? {}), ...(node?.metadata.labels ?? {}) };
      const instanceType = instance?.instanceType ?? labels["node.kubernetes.io/instance-type"];
      const zone = instance?.zone ?? labels["topology.kubernetes.io/zone"];
      const capacityType = (instance?.capacityType ?? labels["karpenter.sh/capacity-type"]) as CapacityType | undefined;
      if (instanceType && zone && capacityType) {
        await store.markUnavailable({ instanceType, zone, capacityType }, message.kind, clock.now() + UNAVAILABLE_OFFERING_TTL_MS);
        report.markedUnavailable++;
      }
    }
    if (!node) continue;
    const name = node.metadata.name;
    if (message.action !== "event-only") {
      await cluster.setNodeUnschedulable(name, true);
      await updateNodeTaints(cluster, name, (taints) => (taints.some((t) => t.key === DISRUPTED_TAINT.key) ? taints : [...taints, DISRUPTED_TAINT]));
      report.cordoned.push(name);
    }
    const event: ClusterEvent = {
      involvedObject: { apiVersion: "v1", kind: "Node", name, ...(node.metadata.uid ? { uid: node.metadata.uid } : {}) },
      type: message.action === "event-only" ? "Normal" : "Warning",
      reason: EVENT_REASON[message.kind],
      message: `${message.detail} (event ${message.eventId})${message.action === "event-only" ? "" : "; node cordoned"}`,
    };
    await cluster.recordEvent(event);
    log.info(`interruption handled for node ${name}`, { kind: message.kind, action: message.action, instanceId });
  }
  return report;
}
