/**
 * Carrying out disruption, as a pure decision per tick: the commands in flight, the cluster and the
 * time in; actions out. One command at a time per cluster (the run holds the disruption lease).
 * A command lives in the table from the moment it is decided, so any later run (after a crash, a
 * timeout, a duplicate) finds it and carries it on or rolls it back:
 *
 *   decided ─▶ Validating ──(after the validation delay, the same decision still holds)──▶
 *     delete:  Deleting ─▶ candidates' records Terminating ─▶ command deleted
 *     replace: Launching (replacement records written, candidates tainted, replacements launched) ─▶
 *              every replacement Initialized and the candidates' pods fit without them ─▶
 *              Deleting ─▶ candidates' records Terminating ─▶ command deleted
 *   Validating, decision no longer holds ─▶ command deleted (nothing was done)
 *   Launching, a replacement gone, out of launch attempts or not initialized in time, or the
 *   candidates' pods no longer fit ─▶ rolled back: candidates untainted, replacements that never
 *   became nodes marked Terminating, command deleted.
 *
 * The termination path (lib/termination/, the lifecycle tick) drains and removes what is marked
 * Terminating; the provisioner plans the pods that drain gives back onto the replacements in
 * flight. Expired NodeClaims are marked Terminating at once (forceful, not budgeted, as Karpenter
 * v1). A node left with the disrupted taint by no command and not being deleted is untainted (as
 * Karpenter does after a restart). Pure: ids and time come in.
 */
import type { Action } from "../actions/actions.ts";
import { uniqueNodeClaimName } from "../actions/naming.ts";
import { newNodeClaimContent, terminatingContent } from "../actions/records.ts";
import type { Node } from "../api/kubernetes.ts";
import type { Ids } from "../observe/ports.ts";
import { nodeClaimEvent, type ClusterEvent } from "../ports/cluster.ts";
import type { DisruptionCandidateRef, DisruptionCommandContent, DisruptionCommandRecord, NodeClaimRecord } from "../ports/store.ts";
import { disruptedMetric, METRIC } from "../ports/telemetry.ts";
import { disruptionDecision, nodeClaimDisrupted } from "../metrics/karpenter.ts";
import { formatDuration } from "../api/duration.ts";
import { disruptionPass, podsFitWithout, type Command, type DisruptionObjects, type Method, type PassResult } from "./decide.ts";
import { markActions, prepareMarks } from "./marks.ts";
import { DISRUPTED_TAINT } from "./pods.ts";
import { hasDisruptedTaint as carriesDisruptedTaint, withTerminatingClaims } from "./deleting.ts";
import { money } from "./replacement.ts";

export type DisruptionController = "consolidation" | "drift";

/** The lease every disruption run holds: one command set at a time per cluster. */
export const DISRUPTION_LEASE = "disruption";

export const CONTROLLER_METHODS: Readonly<Record<DisruptionController, readonly Method[]>> = {
  consolidation: ["emptiness", "multi-node-consolidation", "single-node-consolidation"],
  drift: ["drift"],
};

export interface DisruptionTiming {
  validationMs: number;
  replacementTimeoutMs: number;
}

export interface DisruptionTickInput {
  controller: DisruptionController;
  nowMs: number;
  /** The cluster as disruption reads it (full pods, PDBs, NodeClasses); NodeClaims not Terminating. */
  objects: DisruptionObjects;
  /** Every NodeClaim record, Terminating ones too. */
  records: readonly NodeClaimRecord[];
  commands: readonly DisruptionCommandRecord[];
  lease: { name: string; holder: string; token: number; ttlMs: number };
  ids: Ids;
  timing: DisruptionTiming;
  launchAttempts: number;
}

export interface DisruptionTickDecision {
  actions: Action[];
  /** What happened to each command, in words. */
  steps: string[];
  /** A command is still in flight after these actions (the run wakes itself again soon). */
  inFlight: boolean;
  /** A new command was written this tick. */
  started?: string;
  /** The disruption pass, when this tick ran one (no command was in flight). */
  pass?: PassResult;
}

function nodeEvent(name: string, node: Node | undefined, type: ClusterEvent["type"], reason: string, message: string): ClusterEvent {
  const uid = node?.metadata.uid;
  return { involvedObject: { apiVersion: "v1", kind: "Node", name, ...(uid ? { uid } : {}) }, type, reason, message };
}

function hasDisruptedTaint(node: Node | undefined): boolean {
  return node !== undefined && carriesDisruptedTaint(node);
}

export function commandUnit(id: string): string {
  return `command:${id}`;
}

function describeCommand(c: Pick<DisruptionCommandContent, "reason" | "decision" | "candidates" | "replacements">): string {
  const nodes = c.candidates.map((x) => x.node).join(", ");
  return `${c.reason}: ${c.decision} ${nodes}${c.replacements.length > 0 ? ` with ${c.replacements.length} replacement(s)` : ""}`;
}

function commandContent(command: Command, method: Method, nowMs: number): DisruptionCommandContent {
  const candidates: DisruptionCandidateRef[] = command.candidates.map((v) => ({
    node: v.name,
    nodeClaim: v.nodeClaim!.metadata.name,
    ...(v.node?.spec.providerID ? { providerId: v.node.spec.providerID } : {}),
    ...(v.price !== undefined ? { pricePerHour: v.price } : {}),
  }));
  const where = command.replacements.length > 0 ? `replace with ${command.replacements.length} cheaper node(s)` : command.pods.length > 0 ? "its pods fit on the other nodes" : "it has no pods to move";
  return {
    reason: command.reason,
    decision: command.decision,
    method,
    candidates,
    replacements: [],
    state: "Validating",
    decidedAtMs: nowMs,
    savingsPerHour: command.savingsPerHour,
    message: `${method}: ${where}; saves ${money(command.savingsPerHour)}`,
  };
}

export function decideDisruptionTick(input: DisruptionTickInput): DisruptionTickDecision {
  const { nowMs, timing, ids, lease } = input;
  // Pod events stamped and Tenon's own derived conditions stripped, so every pass decides afresh.
  // The Nodes of Terminating records are leaving (deleting.ts): their NodeClaims go back in, so the
  // pass sees them as such rather than as Nodes nobody owns.
  const marked = prepareMarks(withTerminatingClaims(input.objects, input.records), input.records, nowMs);
  const objects = marked.objects;
  const records = new Map(input.records.map((r) => [r.name, r]));
  const nodes = new Map(objects.nodes.map((n) => [n.metadata.name, n]));
  const options = new Map(objects.nodePools.map((o) => [o.nodePool.metadata.name, o]));
  const actions: Action[] = [];
  const steps: string[] = [];
  let inFlight = false;

  /** Marks a candidate's record Terminating (unless it already is or is gone). */
  const markTerminating = (ref: DisruptionCandidateRef, reason: string, message: string, unit: string, metric: boolean): void => {
    const record = records.get(ref.nodeClaim);
    if (!record || record.phase === "Terminating") return;
    actions.push({ kind: "update-nodeclaim", record, content: terminatingContent(record, reason, message, nowMs), reason: message, unit, ...(metric ? { metric: disruptedMetric(reason), metrics: [nodeClaimDisrupted(record.nodeClaim, reason)] } : {}) });
    actions.push({ kind: "record-event", event: nodeEvent(ref.node, nodes.get(ref.node), "Normal", "DisruptionTerminating", `Disrupting Node: ${reason}/${message}`), reason: message, unit });
    const claimIdentity = record.nodeClaim.metadata.uid ?? record.name;
    actions.push({ kind: "record-event", event: nodeClaimEvent(record.name, claimIdentity, "Normal", "DisruptionTerminating", `Disrupting NodeClaim: ${reason}/${message}`, undefined, [reason]), reason: message, unit });
  };
  const taint = (ref: DisruptionCandidateRef, why: string, unit: string): void => {
    const node = nodes.get(ref.node);
    if (!node || hasDisruptedTaint(node)) return;
    actions.push({ kind: "taint-node", node: ref.node, taint: { ...DISRUPTED_TAINT }, reason: why, unit });
  };
  const carryOut = (cmd: DisruptionCommandRecord, content: DisruptionCommandContent, unit: string, why: string): void => {
    actions.push({ kind: "update-command", record: cmd, content: { ...content, state: "Deleting" }, reason: why, unit });
    for (const ref of content.candidates) taint(ref, why, unit);
    for (const ref of content.candidates) markTerminating(ref, content.reason, content.message, unit, true);
    actions.push({ kind: "delete-command", record: cmd, reason: `carried out: ${describeCommand(content)}`, unit, metric: METRIC.disruptionCommandsSucceeded });
    steps.push(`${cmd.id}: carried out (${describeCommand(content)})`);
  };
  const rollBack = (cmd: DisruptionCommandRecord, why: string, unit: string): void => {
    for (const ref of cmd.candidates) {
      const node = nodes.get(ref.node);
      const record = records.get(ref.nodeClaim);
      if (!node || !hasDisruptedTaint(node) || node.metadata.deletionTimestamp || record?.phase === "Terminating") continue;
      actions.push({ kind: "untaint-node", node: ref.node, key: DISRUPTED_TAINT.key, reason: `command rolled back: ${why}`, unit });
      actions.push({ kind: "record-event", event: nodeEvent(ref.node, node, "Warning", "DisruptionRolledBack", `${cmd.reason} disruption rolled back: ${why}`), reason: why, unit });
    }
    for (const name of cmd.replacements) {
      const record = records.get(name);
      // A replacement that became a node is capacity like any other: consolidation removes it if it stays unused.
      if (!record || record.phase === "Initialized" || record.phase === "Terminating") continue;
      actions.push({ kind: "update-nodeclaim", record, content: terminatingContent(record, "DisruptionRolledBack", why, nowMs), reason: `replacement of a rolled-back command: ${why}`, unit });
    }
    actions.push({ kind: "delete-command", record: cmd, reason: `rolled back: ${why}`, unit, metric: METRIC.disruptionCommandsRolledBack });
    steps.push(`${cmd.id}: rolled back (${why})`);
  };

  for (const cmd of input.commands) {
    const unit = commandUnit(cmd.id);
    const content: DisruptionCommandContent = {
      reason: cmd.reason, decision: cmd.decision, method: cmd.method, candidates: cmd.candidates, replacements: cmd.replacements,
      state: cmd.state, decidedAtMs: cmd.decidedAtMs, savingsPerHour: cmd.savingsPerHour, message: cmd.message,
    };
    if (cmd.state === "Validating") {
      const dueAt = cmd.decidedAtMs + timing.validationMs;
      if (nowMs < dueAt) {
        inFlight = true;
        steps.push(`${cmd.id}: validating in ${Math.ceil((dueAt - nowMs) / 1000)} s (${describeCommand(cmd)})`);
        continue;
      }
      const names = new Set(cmd.candidates.map((c) => c.node));
      const again = disruptionPass(objects, nowMs, { only: { method: cmd.method as Method, candidates: names } });
      const fresh = again.commands[0];
      const same = fresh !== undefined && fresh.candidates.length === names.size && fresh.candidates.every((v) => names.has(v.name));
      if (!fresh || !same) {
        const why = again.notDisrupted.find((n) => names.has(n.view.name) && n.reason !== "nothing to do")?.reason ?? "the decision no longer holds";
        actions.push({ kind: "delete-command", record: cmd, reason: `no longer valid: ${why}`, unit });
        steps.push(`${cmd.id}: dropped at validation (${why})`);
        continue;
      }
      const validated = { ...content, savingsPerHour: fresh.savingsPerHour };
      if (fresh.replacements.length === 0) {
        carryOut(cmd, { ...validated, decision: "delete" }, unit, `validated after ${Math.round(timing.validationMs / 1000)} s: ${cmd.message}`);
        continue;
      }
      // Replace: name the replacements in the command first, so a run that dies midway leaves a
      // command that says which records to look for.
      const taken = new Set(records.keys());
      const named = fresh.replacements.map((claim) => {
        const name = uniqueNodeClaimName(claim.nodePoolName, ids.suffix, taken);
        taken.add(name);
        return { claim, name };
      });
      const why = `validated after ${Math.round(timing.validationMs / 1000)} s: ${cmd.message}`;
      actions.push({ kind: "update-command", record: cmd, content: { ...validated, decision: "replace", state: "Launching", replacements: named.map((n) => n.name) }, reason: why, unit });
      // Replacement records before the taint: the provisioner plans the pods of tainted nodes, and
      // must find their replacements in flight already, or it would launch for them too.
      const fence = { kind: "renew-lease", lease: lease.name, holder: lease.holder, token: lease.token, ttlMs: lease.ttlMs } as const;
      actions.push({ ...fence, withdraw: false, unit, reason: "replacements are written only under the disruption lease" });
      const launches: Action[] = [];
      for (const { claim, name } of named) {
        const option = options.get(claim.nodePoolName);
        if (!option) continue;
        const content = newNodeClaimContent({ claim, nodePool: option.nodePool, name, uid: ids.uid(), nowMs, leaseToken: lease.token });
        actions.push({ kind: "write-nodeclaim", content, reason: `replaces ${cmd.candidates.map((c) => c.node).join(", ")} (${cmd.reason})`, unit });
        launches.push({ kind: "launch-nodeclaim", name, option, instanceTypes: claim.instanceTypes, attempts: input.launchAttempts, reason: `replacement for command ${cmd.id}`, unit, createdFor: cmd.reason });
      }
      actions.push({ ...fence, withdraw: true, unit, reason: "a run that stalled while writing replacements may have lost the lease" });
      for (const ref of cmd.candidates) taint(ref, `${cmd.reason} disruption: no new pods while its replacement launches`, unit);
      for (const ref of cmd.candidates) {
        actions.push({ kind: "record-event", event: nodeEvent(ref.node, nodes.get(ref.node), "Normal", "DisruptionLaunching", `Launching NodeClaim: ${cmd.reason}/${named.map((n) => n.name).join(", ")}`), reason: why, unit });
      }
      actions.push(...launches);
      inFlight = true;
      steps.push(`${cmd.id}: validated; launching ${named.map((n) => n.name).join(", ")} (${describeCommand(cmd)})`);
      continue;
    }
    if (cmd.state === "Deleting") {
      for (const ref of cmd.candidates) markTerminating(ref, cmd.reason, cmd.message, unit, true);
      actions.push({ kind: "delete-command", record: cmd, reason: `carried out: ${describeCommand(cmd)}`, unit, metric: METRIC.disruptionCommandsSucceeded });
      steps.push(`${cmd.id}: finished deleting (${describeCommand(cmd)})`);
      continue;
    }
    // Launching: wait for the replacements, then delete the candidates.
    const replacements = cmd.replacements.map((name) => ({ name, record: records.get(name) }));
    const missing = replacements.filter((r) => !r.record).map((r) => r.name);
    if (missing.length > 0) {
      rollBack(cmd, `replacement NodeClaim(s) ${missing.join(", ")} gone (launch failed, or the run that decided it stopped before writing them)`, unit);
      continue;
    }
    const exhausted = replacements.find((r) => r.record!.phase === "Pending" && r.record!.launch.attempts >= input.launchAttempts);
    if (exhausted) {
      rollBack(cmd, `replacement ${exhausted.name} could not be launched: ${exhausted.record!.launch.lastError ?? "launch failed"}`, unit);
      continue;
    }
    const terminating = replacements.find((r) => r.record!.phase === "Terminating");
    if (terminating) {
      rollBack(cmd, `replacement ${terminating.name} is being deleted`, unit);
      continue;
    }
    const ready = replacements.filter((r) => r.record!.phase === "Initialized").length;
    if (ready < replacements.length) {
      const launchedAt = cmd.updatedAtMs;
      if (nowMs - launchedAt >= timing.replacementTimeoutMs) {
        rollBack(cmd, `replacements not initialized within ${formatDuration(timing.replacementTimeoutMs)} (${ready} of ${replacements.length})`, unit);
        continue;
      }
      // Launch what a crashed run left Pending (same client token: never a second instance).
      for (const r of replacements) {
        if (r.record!.phase !== "Pending") continue;
        const option = options.get(r.record!.nodeClaim.metadata.labels?.["karpenter.sh/nodepool"] ?? "");
        actions.push({ kind: "launch-nodeclaim", name: r.name, record: r.record!, option, attempts: input.launchAttempts, reason: `replacement for command ${cmd.id}, left Pending`, unit, createdFor: cmd.reason });
      }
      inFlight = true;
      steps.push(`${cmd.id}: waiting for replacements (${ready} of ${replacements.length} initialized)`);
      continue;
    }
    const stuck = podsFitWithout(objects, new Set(cmd.candidates.map((c) => c.node)));
    if (stuck) {
      rollBack(cmd, stuck, unit);
      continue;
    }
    carryOut(cmd, content, unit, `replacements ${cmd.replacements.join(", ")} are initialized`);
  }

  // Nodes left tainted by a command that no longer exists (a run that died, a rollback that was cut short).
  const inCommands = new Set(input.commands.flatMap((c) => c.candidates.map((r) => r.node)));
  const recordByProviderId = new Map<string, NodeClaimRecord>();
  for (const r of input.records) if (r.nodeClaim.status?.providerID) recordByProviderId.set(r.nodeClaim.status.providerID, r);
  for (const node of objects.nodes) {
    if (!hasDisruptedTaint(node) || node.metadata.deletionTimestamp || inCommands.has(node.metadata.name)) continue;
    const record = node.spec.providerID ? recordByProviderId.get(node.spec.providerID) : undefined;
    if (!record || record.phase === "Terminating") continue;
    const why = `no disruption command holds Node ${node.metadata.name} and it is not being deleted`;
    actions.push({ kind: "untaint-node", node: node.metadata.name, key: DISRUPTED_TAINT.key, reason: why, metric: METRIC.orphanTaintsRemoved, unit: `orphan-taint:${node.metadata.name}` });
    steps.push(`untainted ${node.metadata.name}: ${why}`);
  }

  /** Mark updates last, and never on a record this tick already changes. */
  const withMarks = (views?: PassResult["views"]): Action[] => {
    const touched = new Set(actions.filter((a) => a.kind === "update-nodeclaim").map((a) => (a as { record: NodeClaimRecord }).record.name));
    return [...actions, ...markActions(marked, views, input.records.filter((r) => !touched.has(r.name)), objects.nodeClasses, nowMs)];
  };

  if (input.commands.length > 0) return { actions: withMarks(), steps, inFlight };

  // Nothing in flight: decide.
  const pass = disruptionPass(objects, nowMs, { methods: CONTROLLER_METHODS[input.controller] });
  if (input.controller === "consolidation") {
    for (const view of pass.expired) {
      const ref = { node: view.name, nodeClaim: view.nodeClaim!.metadata.name };
      const expireAfter = view.nodeClaim!.spec.expireAfter;
      markTerminating(ref, "Expired", `expireAfter ${formatDuration(expireAfter ?? null)} has passed since the NodeClaim was created`, `expire:${ref.nodeClaim}`, true);
      steps.push(`${ref.nodeClaim} expired: marked for deletion`);
    }
  }
  const command = pass.commands[0];
  if (!command || !pass.method) return { actions: withMarks(pass.views), steps, inFlight, pass };
  const id = `${nowMs.toString(36)}-${ids.suffix()}`;
  const content = commandContent(command, pass.method, nowMs);
  actions.push({ kind: "write-command", id, content, reason: content.message, unit: commandUnit(id), metric: METRIC.disruptionCommandsStarted, metrics: [disruptionDecision(content)] });
  steps.push(`${id}: decided (${describeCommand(content)}); validating in ${Math.round(timing.validationMs / 1000)} s`);
  return { actions: withMarks(pass.views), steps, inFlight: true, started: id, pass };
}
