/**
 * Building a journal entry (lib/ports/journal.ts) from what a run decided and what became of it:
 * pure, capped, so an entry stays a few kilobytes whatever the run's size (docs/explain.md).
 */
import { describe, type Action, type Applied } from "../actions/actions.ts";
import type { Pod } from "../api/kubernetes.ts";
import { LABEL_NODEPOOL } from "../api/labels.ts";
import { JOURNAL_LIMITS, type JournalAction, type JournalEntry, type JournalNodeClaim, type JournalPodGroup, type JournalSubject } from "../ports/journal.ts";
import { resolveLaunch } from "../scheduling/launch.ts";

/** What buildEntry keeps an entry's JSON under: a sixth of DynamoDB's 400 KB item limit. */
export const JOURNAL_BUDGET_BYTES = 64 * 1024;
import type { SchedulingResult } from "../scheduling/types.ts";

function clip(text: string): string {
  return text.length > JOURNAL_LIMITS.text ? `${text.slice(0, JOURNAL_LIMITS.text - 1)}…` : text;
}

/** A pod's group: its namespace and controller (`ReplicaSet/web-7d9f8c6b5d`), or its own name. */
export function podOwner(pod: Pick<Pod, "metadata">): { namespace: string; owner: string; subject: string } {
  const namespace = pod.metadata.namespace || "default";
  const controller = pod.metadata.ownerReferences?.find((r) => r.controller) ?? pod.metadata.ownerReferences?.[0];
  const owner = controller ? `${controller.kind}/${controller.name}` : pod.metadata.name;
  return { namespace, owner, subject: `${namespace}/${controller ? controller.name : pod.metadata.name}` };
}

/** The subject names `explain pod NS/NAME` looks under: the pod itself, and its likely controller (the name without its last `-suffix`). */
export function podSubjectCandidates(namespace: string, name: string): string[] {
  const out = [`${namespace}/${name}`];
  const dash = name.lastIndexOf("-");
  if (dash > 0) out.push(`${namespace}/${name.slice(0, dash)}`);
  return out;
}

export interface SchedulingSummary {
  groups: JournalPodGroup[];
  nodeClaims: JournalNodeClaim[];
  omittedGroups: number;
}

/**
 * The provisioner's why, per pod group: where each group's pods went (which NodeClaim or Node), or
 * why nowhere; and each new NodeClaim's instance types and price. `names[i]` is the name the run
 * gave `result.newNodeClaims[i]` (undefined when it wrote none for it).
 */
export function summarizeScheduling(result: SchedulingResult, names: ReadonlyArray<string | undefined>): SchedulingSummary {
  type Target = { name: string; new: boolean; nodePool?: string };
  const groups = new Map<string, JournalPodGroup & { targets: Map<string, { pods: number; target: Target }> }>();
  const add = (pod: Pod, target: Target | undefined, unschedulable?: string): void => {
    const { namespace, owner } = podOwner(pod);
    const key = JSON.stringify([namespace, owner, unschedulable ?? ""]);
    let group = groups.get(key);
    if (!group) {
      group = { namespace, owner, pods: 0, names: [], placed: [], targets: new Map(), ...(unschedulable !== undefined ? { unschedulable: clip(unschedulable) } : {}) };
      groups.set(key, group);
    }
    group.pods++;
    if (group.names.length < JOURNAL_LIMITS.podNamesPerGroup) group.names.push(pod.metadata.name);
    if (target) {
      const t = group.targets.get(target.name) ?? { pods: 0, target };
      t.pods++;
      group.targets.set(target.name, t);
    }
  };
  result.newNodeClaims.forEach((claim, i) => {
    const name = names[i];
    for (const pod of claim.pods) add(pod, name ? { name, new: true, nodePool: claim.nodePoolName } : undefined, name ? undefined : `its NodePool ${claim.nodePoolName} is no longer usable`);
  });
  for (const placement of result.existingNodes) for (const pod of placement.pods) add(pod, { name: placement.name, new: false });
  for (const { pod, reason } of result.unschedulable) add(pod, undefined, reason);
  const all = [...groups.values()].map(({ targets, ...group }) => ({
    ...group,
    placed: [...targets.values()].slice(0, JOURNAL_LIMITS.targetsPerGroup).map(({ pods, target }) => ({ target: target.name, pods, new: target.new, ...(target.nodePool ? { nodePool: target.nodePool } : {}) })),
  }));
  // Unschedulable groups first: they are what a person asks about.
  all.sort((a, b) => Number(b.unschedulable !== undefined) - Number(a.unschedulable !== undefined));
  const nodeClaims = result.newNodeClaims.flatMap((claim, i): JournalNodeClaim[] => {
    const name = names[i];
    if (!name) return [];
    const price = resolveLaunch(claim)?.price;
    return [{
      name,
      nodePool: claim.nodePoolName,
      pods: claim.pods.length,
      instanceTypes: claim.instanceTypes.slice(0, JOURNAL_LIMITS.instanceTypes).map((t) => {
        const p = resolveLaunch({ requirements: claim.requirements, instanceTypes: [t] })?.price;
        return { name: t.name, ...(p !== undefined ? { pricePerHour: p } : {}) };
      }),
      options: claim.instanceTypes.length,
      ...(price !== undefined ? { pricePerHour: price } : {}),
    }];
  });
  return { groups: all.slice(0, JOURNAL_LIMITS.groups), nodeClaims: nodeClaims.slice(0, JOURNAL_LIMITS.nodeClaims), omittedGroups: Math.max(0, all.length - JOURNAL_LIMITS.groups) };
}

/** The subjects an action concerns: Nodes, NodeClaims, NodePools and pods (by name). */
export function actionSubjects(action: Action): JournalSubject[] {
  const claim = (name: string, pool?: string, node?: string): JournalSubject[] => [
    { kind: "nodeclaim", name },
    ...(pool ? [{ kind: "nodepool" as const, name: pool }] : []),
    ...(node ? [{ kind: "node" as const, name: node }] : []),
  ];
  switch (action.kind) {
    case "write-nodeclaim":
      return claim(action.content.nodeClaim.metadata.name, action.content.nodeClaim.metadata.labels?.[LABEL_NODEPOOL]);
    case "update-nodeclaim":
    case "delete-nodeclaim":
      return claim(action.record.name, action.record.nodeClaim.metadata.labels?.[LABEL_NODEPOOL], action.record.nodeClaim.status?.nodeName);
    case "launch-nodeclaim":
      return claim(action.name, action.option?.nodePool.metadata.name);
    case "write-command":
    case "update-command":
    case "delete-command": {
      const content = action.kind === "write-command" ? action.content : action.record;
      return [
        ...content.candidates.flatMap((c) => claim(c.nodeClaim, undefined, c.node)),
        ...content.replacements.map((name) => ({ kind: "nodeclaim" as const, name })),
      ];
    }
    case "record-event": {
      const { kind, name, namespace } = action.event.involvedObject;
      if (kind === "Node") return [{ kind: "node", name }];
      if (kind === "NodeClaim") return [{ kind: "nodeclaim", name }];
      if (kind === "NodePool") return [{ kind: "nodepool", name }];
      if (kind === "Pod") return [{ kind: "pod", name: `${namespace || "default"}/${name}` }];
      return [];
    }
    case "create-nodeclaim-object":
      return claim(action.object.metadata.name);
    case "update-nodeclaim-object":
    case "delete-nodeclaim-object":
      return claim(action.name);
    case "write-status":
      return action.object.kind === "NodePool" ? [{ kind: "nodepool", name: action.object.name }] : [];
    case "cordon-node":
    case "taint-node":
    case "untaint-node":
    case "label-node":
    case "add-node-finalizer":
    case "remove-node-finalizer":
    case "delete-node":
    case "spare-instance":
      return [{ kind: "node", name: action.node }];
    case "evict-pod":
    case "delete-pod":
      return [{ kind: "pod", name: `${action.namespace}/${action.pod}` }];
    default:
      return [];
  }
}

/** A disruption command's what and why, in one line. */
function commandDetail(action: Action): string | undefined {
  if (action.kind !== "write-command") return undefined;
  const c = action.content;
  const nodes = c.candidates.map((x) => `${x.node}${x.pricePerHour !== undefined ? ` ($${x.pricePerHour.toFixed(4)}/h)` : ""}`).join(", ");
  const replacements = c.replacements.length > 0 ? ` with ${c.replacements.join(", ")}` : "";
  return `${c.decision} ${nodes}${replacements} (${c.reason}, ${c.method}, saves $${c.savingsPerHour.toFixed(4)}/hour)`;
}

/** Pod Events are many and say what the groups say: counted, not listed. */
function isPodEvent(action: Action): boolean {
  return action.kind === "record-event" && action.event.involvedObject.kind === "Pod";
}

/**
 * Events on NodeClaims repeat their Node's (which are listed), and are published only when the
 * NodeClaim has an object in the cluster, which a shadow run cannot know: counted, not listed.
 */
function isNodeClaimEvent(action: Action): boolean {
  return action.kind === "record-event" && action.event.involvedObject.kind === "NodeClaim";
}

function journalAction(applied: Applied): JournalAction {
  const { action, outcome } = applied;
  const extra = commandDetail(action) ?? (outcome.status !== "done" && outcome.status !== "recorded" ? outcome.detail : undefined) ?? (applied.launch?.kind === "failed" ? applied.launch.reason : applied.launch?.kind);
  return { kind: action.kind, target: describe(action), reason: clip(action.reason), outcome: outcome.status, ...(extra ? { detail: clip(extra) } : {}) };
}

export interface EntryInput {
  id: string;
  atMs: number;
  flow: JournalEntry["flow"];
  trigger: string;
  mode: JournalEntry["mode"];
  summary: string;
  applied: readonly Applied[];
  scheduling?: SchedulingSummary;
  steps?: readonly string[];
  leftAlone?: ReadonlyArray<{ node: string; reason: string }>;
  error?: string;
}

/** What a flow's report says about why (besides its actions). */
export type RunWhy = Pick<EntryInput, "summary" | "scheduling" | "steps" | "leftAlone">;

function addSubjects(into: Map<string, JournalSubject>, subjects: Iterable<JournalSubject>): void {
  for (const s of subjects) {
    if (!s.name || s.name.includes("#") || into.size >= JOURNAL_LIMITS.subjects) continue;
    into.set(`${s.kind}\u0000${s.name}`, s);
  }
}

/** One run's entry: its actions (pod Events counted), the why it carries, and the subjects it names. */
export function buildEntry(input: EntryInput): JournalEntry {
  // Nothing is logged for a run that only published the cluster state.
  const applied = input.applied.filter((a) => a.action.kind !== "publish-cluster-state");
  // An Event another run published within its dedupe timeout did nothing here: counted, not listed.
  const unpublished = (detail: string) => applied.filter((a) => a.action.kind === "record-event" && a.outcome.status === "done" && a.outcome.detail === detail);
  const deduplicated = unpublished("deduplicated");
  // Rate-limited (Nominated): counted, not listed either.
  const rateLimited = unpublished("rate-limited");
  const published = applied.filter((a) => !deduplicated.includes(a) && !rateLimited.includes(a));
  const listed = published.filter((a) => !isPodEvent(a.action) && !isNodeClaimEvent(a.action));
  const podEvents = published.filter((a) => isPodEvent(a.action)).length;
  const nodeClaimEvents = published.filter((a) => isNodeClaimEvent(a.action)).length;
  const subjects = new Map<string, JournalSubject>();
  // Nodes, NodeClaims and NodePools first (few), then pod groups, then pods named by actions (many).
  const actionSubjectsAll = listed.flatMap((a) => actionSubjects(a.action));
  addSubjects(subjects, actionSubjectsAll.filter((s) => s.kind !== "pod"));
  addSubjects(subjects, (input.scheduling?.nodeClaims ?? []).flatMap((c) => [{ kind: "nodeclaim" as const, name: c.name }, { kind: "nodepool" as const, name: c.nodePool }]));
  addSubjects(subjects, (input.leftAlone ?? []).map((n) => ({ kind: "node" as const, name: n.node })));
  for (const g of input.scheduling?.groups ?? []) {
    const owner = g.owner.includes("/") ? g.owner.slice(g.owner.indexOf("/") + 1) : g.owner;
    addSubjects(subjects, [{ kind: "pod", name: `${g.namespace}/${owner}` }]);
    for (const p of g.placed) addSubjects(subjects, [{ kind: p.new ? "nodeclaim" : "node", name: p.target }]);
  }
  addSubjects(subjects, actionSubjectsAll.filter((s) => s.kind === "pod"));
  const leftAlone = input.leftAlone?.slice(0, JOURNAL_LIMITS.leftAlone).map((n) => ({ node: n.node, reason: clip(n.reason) }));
  const omitted = {
    ...(listed.length > JOURNAL_LIMITS.actions ? { actions: listed.length - JOURNAL_LIMITS.actions } : {}),
    ...(podEvents > 0 ? { podEvents } : {}),
    ...(deduplicated.length > 0 ? { deduplicatedEvents: deduplicated.length } : {}),
    ...(rateLimited.length > 0 ? { rateLimitedEvents: rateLimited.length } : {}),
    ...(nodeClaimEvents > 0 ? { nodeClaimEvents } : {}),
    ...(input.scheduling?.omittedGroups ? { groups: input.scheduling.omittedGroups } : {}),
    ...(input.leftAlone && input.leftAlone.length > JOURNAL_LIMITS.leftAlone ? { leftAlone: input.leftAlone.length - JOURNAL_LIMITS.leftAlone } : {}),
  };
  return fitBudget({
    id: input.id,
    atMs: input.atMs,
    flow: input.flow,
    trigger: input.trigger,
    mode: input.mode,
    summary: clip(input.summary),
    actions: listed.slice(0, JOURNAL_LIMITS.actions).map(journalAction),
    ...(Object.keys(omitted).length > 0 ? { omitted } : {}),
    ...(input.scheduling && input.scheduling.groups.length > 0 ? { groups: input.scheduling.groups } : {}),
    ...(input.scheduling && input.scheduling.nodeClaims.length > 0 ? { nodeClaims: input.scheduling.nodeClaims } : {}),
    ...(input.steps && input.steps.length > 0 ? { steps: input.steps.slice(0, JOURNAL_LIMITS.actions).map(clip) } : {}),
    ...(leftAlone && leftAlone.length > 0 ? { leftAlone } : {}),
    ...(input.error ? { error: clip(input.error) } : {}),
    subjects: [...subjects.values()],
  });
}

/**
 * Halves the longest lists (the groups and NodeClaims of the least interest are last) until the
 * entry's JSON fits JOURNAL_BUDGET_BYTES, counting what was left out.
 */
function fitBudget(entry: JournalEntry): JournalEntry {
  const size = (e: JournalEntry) => Buffer.byteLength(JSON.stringify(e), "utf8");
  let out = entry;
  for (let round = 0; round < 20 && size(out) > JOURNAL_BUDGET_BYTES; round++) {
    const lists = (["groups", "actions", "nodeClaims", "leftAlone", "steps"] as const).filter((k) => (out[k]?.length ?? 0) > 1);
    if (lists.length === 0) break;
    const longest = lists.reduce((a, b) => (JSON.stringify(out[a]).length >= JSON.stringify(out[b]).length ? a : b));
    const list = out[longest] as unknown[];
    const kept = Math.ceil(list.length / 2);
    const omittedKey = longest === "nodeClaims" ? "groups" : longest === "steps" ? "actions" : longest;
    out = { ...out, [longest]: list.slice(0, kept), omitted: { ...out.omitted, [omittedKey]: (out.omitted?.[omittedKey] ?? 0) + list.length - kept } };
  }
  return out;
}