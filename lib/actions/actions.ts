/**
 * Decisions as data: every flow's decide step returns a list of these, each with the reason it was
 * decided; one executor (executor.ts) applies them through the ports, in order and idempotently.
 * Swapping the executor for a recorder (recording-executor.ts) is all shadow mode and a decision
 * journal need: the list is the decision.
 *
 * `unit` groups the actions that make one step of a flow (registering a NodeClaim is a finalizer,
 * labels, a taint removed and the record updated): when a conditional write in a unit finds its
 * record changed (ConflictError), the rest of that unit is skipped and the next unit goes on.
 */
import type { Taint } from "../api/types.ts";
import type { InstanceType } from "../ports/instance-type.ts";
import type { ClusterEvent, CustomObjectKind, NodeMetadataPatch, RawObject } from "../ports/cluster.ts";
import type { DisruptionCommandContent, DisruptionCommandRecord, NodeClaimContent, NodeClaimRecord } from "../ports/store.ts";
import type { OfferingKey } from "../ports/unavailable-offerings.ts";
import type { BatchReadyMessage } from "../ports/queue.ts";
import type { NodePoolOption } from "../scheduling/types.ts";
import type { MetricPoint } from "../ports/telemetry.ts";

interface Decided {
  /** Why this action was decided, in words a person can act on. */
  reason: string;
  /** Actions of one step share a unit; a conflict skips the rest of the unit. */
  unit?: string;
  /** A metric (lib/ports/telemetry.ts METRIC) counted once when the action is applied. */
  metric?: string;
  /** Karpenter's metrics with their dimensions (lib/metrics/karpenter.ts), emitted once when the action is applied. */
  metrics?: MetricPoint[];
}

export type Action = Decided &
  (
    /** Write a new NodeClaim record (phase Pending) before anything is launched for it. */
    | { kind: "write-nodeclaim"; content: NodeClaimContent }
    /** Replace a record's content, conditional on its version. */
    | { kind: "update-nodeclaim"; record: NodeClaimRecord; content: NodeClaimContent }
    /** Delete a record, conditional on its version. */
    | { kind: "delete-nodeclaim"; record: NodeClaimRecord }
    /**
     * Launch the NodeClaim `name`: the record given, or the one this run wrote. The option and the
     * instance types (in preference order) are the objects the decision was made with; a record
     * left by an earlier run carries only names, so the option is absent or looked up by name.
     */
    | {
        kind: "launch-nodeclaim"; name: string; record?: NodeClaimRecord; option: NodePoolOption | undefined; instanceTypes?: InstanceType[]; attempts: number;
        /** Why the NodeClaim exists, for `karpenter_nodeclaims_created`: the disruption reason it replaces for (absent: provisioning). */
        createdFor?: string;
      }
    /**
     * Renew the lease and stop applying the rest of the list if it is no longer ours (fencing). With
     * `withdraw`, the records this list wrote are deleted again (unless someone changed them).
     */
    | { kind: "renew-lease"; lease: string; holder: string; token: number; ttlMs: number; withdraw: boolean }
    /** Write a new disruption command (before anything is done for it). */
    | { kind: "write-command"; id: string; content: DisruptionCommandContent }
    /**
     * Replace a command's content, conditional on its version: the record's, or the version an
     * earlier action of the same list left it at (a list may move a command through several states).
     */
    | { kind: "update-command"; record: DisruptionCommandRecord; content: DisruptionCommandContent }
    /** Delete a command (done, rolled back, or no longer valid), conditional on its version as above. */
    | { kind: "delete-command"; record: DisruptionCommandRecord }
    | { kind: "record-event"; event: ClusterEvent }
    /**
     * Write a NodePool's or EC2NodeClass's status: a merge patch of the status subresource for an
     * object from the cluster, the whole status in its STATUS item for one from the table.
     */
    | { kind: "write-status"; object: { kind: CustomObjectKind; name: string; source: "cluster" | "table" }; status: Record<string, unknown> }
    /** Create a NodeClaim object mirroring a record (lib/lifecycle/nodeclaim-mirror.ts), then write its status. */
    | { kind: "create-nodeclaim-object"; object: RawObject & { metadata: { name: string } } }
    /** Bring a mirrored NodeClaim object's labels and annotations (merge patch) and status up to date. */
    | { kind: "update-nodeclaim-object"; name: string; metadata?: NodeMetadataPatch; status?: Record<string, unknown> }
    /** Delete a mirrored NodeClaim object whose record is gone, if it is still the object with `uid`. */
    | { kind: "delete-nodeclaim-object"; name: string; uid: string }
    | { kind: "cordon-node"; node: string }
    | { kind: "taint-node"; node: string; taint: Taint }
    | { kind: "untaint-node"; node: string; key: string }
    | { kind: "label-node"; node: string; labels: Record<string, string> }
    | { kind: "add-node-finalizer"; node: string; finalizer: string }
    | { kind: "remove-node-finalizer"; node: string; finalizer: string }
    | { kind: "delete-node"; node: string }
    | { kind: "evict-pod"; namespace: string; pod: string }
    /** Delete a pod outright (no PDB check): only when a NodeClaim's terminationGracePeriod runs out. */
    | { kind: "delete-pod"; namespace: string; pod: string }
    | { kind: "terminate-instance"; instanceId: string }
    /** Leave an instance running on purpose (garbage collection found it, but its Node is Ready); only logged and counted. */
    | { kind: "spare-instance"; instanceId: string; node: string }
    | { kind: "mark-offering-unavailable"; offering: OfferingKey; cause: string; expiresAtMs: number }
    /** Send the provisioner a batch-ready message with no delay, so it runs now rather than at its next tick. */
    | { kind: "wake-provisioner"; cause: BatchReadyMessage["reason"] }
    /** Bring the container's cluster-state cache current and publish it (the lifecycle tick). */
    | { kind: "publish-cluster-state" }
    /** Delete this cluster's launch templates that `inUse` does not name and that are older than `graceMs` (best effort). */
    | { kind: "delete-launch-templates"; inUse: string[]; graceMs: number }
    /** Delete the instance profiles made for EC2NodeClasses not in `keep` (best effort). */
    | { kind: "delete-instance-profiles"; keep: string[] }
  );

export type ActionKind = Action["kind"];
export type ActionOf<K extends ActionKind> = Extract<Action, { kind: K }>;

export type Outcome =
  | { status: "done"; detail?: string }
  /** A conditional write found the record changed; the rest of its unit was skipped. */
  | { status: "conflict"; detail: string }
  /** Not applied: an earlier action of its unit conflicted, or a lease check stopped the list. */
  | { status: "skipped"; detail: string }
  /** A best-effort action (clean-up) that failed; the rest of the list went on. */
  | { status: "failed"; detail: string }
  /** Recorded, not applied (shadow mode, tests). */
  | { status: "recorded" };

export interface Applied {
  action: Action;
  outcome: Outcome;
  /** For a launch-nodeclaim: what became of it. */
  launch?: LaunchResult;
  /** For the clean-up actions: the names deleted. */
  deleted?: string[];
}

export type LaunchResult =
  | { kind: "launched"; record: NodeClaimRecord }
  | { kind: "failed"; name: string; reason: string }
  /** Someone else changed or removed the record meanwhile; their version stands. */
  | { kind: "superseded"; name: string };

/** Applies a list of actions and says what became of each, in the same order. */
export interface Executor {
  execute(actions: readonly Action[]): Promise<Applied[]>;
}

/** A one-line description of an action's target, for logs and journals. */
export function describe(action: Action): string {
  switch (action.kind) {
    case "write-nodeclaim":
      return `write NodeClaim ${action.content.nodeClaim.metadata.name}`;
    case "update-nodeclaim":
      return `update NodeClaim ${action.record.name} to ${action.content.phase}`;
    case "delete-nodeclaim":
      return `delete NodeClaim ${action.record.name}`;
    case "launch-nodeclaim":
      return `launch NodeClaim ${action.name}`;
    case "renew-lease":
      return `renew lease ${action.lease}`;
    case "write-command":
      return `write disruption command ${action.id} (${action.content.reason}, ${action.content.state})`;
    case "update-command":
      return `update disruption command ${action.record.id} to ${action.content.state}`;
    case "delete-command":
      return `delete disruption command ${action.record.id}`;
    case "write-status":
      return `write the status of ${action.object.kind} ${action.object.name} (${action.object.source === "cluster" ? "status subresource" : "table"}: ${Object.keys(action.status).join(", ")})`;
    case "record-event":
      return `event ${action.event.reason} on ${action.event.involvedObject.kind} ${action.event.involvedObject.name}`;
    case "create-nodeclaim-object":
      return `create NodeClaim object ${action.object.metadata.name}`;
    case "update-nodeclaim-object":
      return `update NodeClaim object ${action.name} (${[action.metadata ? "metadata" : "", action.status ? "status" : ""].filter(Boolean).join(", ")})`;
    case "delete-nodeclaim-object":
      return `delete NodeClaim object ${action.name}`;
    case "cordon-node":
      return `cordon Node ${action.node}`;
    case "taint-node":
      return `taint Node ${action.node} ${action.taint.key}:${action.taint.effect}`;
    case "untaint-node":
      return `remove taint ${action.key} from Node ${action.node}`;
    case "label-node":
      return `label Node ${action.node}`;
    case "add-node-finalizer":
      return `add finalizer ${action.finalizer} to Node ${action.node}`;
    case "remove-node-finalizer":
      return `remove finalizer ${action.finalizer} from Node ${action.node}`;
    case "delete-node":
      return `delete Node ${action.node}`;
    case "evict-pod":
      return `evict Pod ${action.namespace}/${action.pod}`;
    case "delete-pod":
      return `delete Pod ${action.namespace}/${action.pod}`;
    case "terminate-instance":
      return `terminate instance ${action.instanceId}`;
    case "spare-instance":
      return `leave instance ${action.instanceId} running (Node ${action.node})`;
    case "mark-offering-unavailable":
      return `mark ${action.offering.capacityType} ${action.offering.instanceType} in ${action.offering.zone} unavailable`;
    case "wake-provisioner":
      return `wake the provisioner (${action.cause})`;
    case "publish-cluster-state":
      return "publish the cluster state";
    case "delete-launch-templates":
      return `delete launch templates not among ${action.inUse.length} in use`;
    case "delete-instance-profiles":
      return `delete instance profiles of EC2NodeClasses other than ${action.keep.length} kept`;
  }
}
