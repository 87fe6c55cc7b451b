/**
 * `tenon explain`: a subject's story from the journal, in plain sentences, newest first. Pure: the
 * entries come in (read from the table by the CLI), the sentences go out.
 */
import type { JournalAction, JournalEntry, JournalPodGroup, JournalSubject, JournalSubjectKind } from "../ports/journal.ts";
import { podSubjectCandidates } from "./entry.ts";

export interface ExplainTarget {
  kind: JournalSubjectKind;
  /** NAME, or NAMESPACE/NAME for a pod. */
  name: string;
}

export interface ExplainLine {
  at: string;
  flow: JournalEntry["flow"];
  mode: JournalEntry["mode"];
  trigger: string;
  text: string;
}

export interface Explanation {
  subject: ExplainTarget;
  lines: ExplainLine[];
}

/** The journal subjects to look under for a target: a pod is found under its own name and its likely controller's. */
export function subjectsToQuery(target: ExplainTarget): JournalSubject[] {
  if (target.kind !== "pod") return [{ kind: target.kind, name: target.name }];
  const slash = target.name.indexOf("/");
  const [namespace, name] = slash > 0 ? [target.name.slice(0, slash), target.name.slice(slash + 1)] : ["default", target.name];
  return podSubjectCandidates(namespace, name).map((n) => ({ kind: "pod" as const, name: n }));
}

/** An hourly price as the stories print it; `price unknown` without one. */
export function price(p: number | null | undefined): string {
  return p === undefined || p === null ? "price unknown" : `$${p.toFixed(4)}/hour`;
}

function outcomeWords(action: JournalAction, mode: JournalEntry["mode"]): string {
  if (mode === "shadow" || action.outcome === "recorded") return " (shadow mode: decided, not performed)";
  if (action.outcome === "done") return action.detail && action.kind === "launch-nodeclaim" ? ` (${action.detail})` : "";
  return ` (${action.outcome}${action.detail ? `: ${action.detail}` : ""})`;
}

function actionSentence(action: JournalAction, mode: JournalEntry["mode"]): string {
  const verb = mode === "shadow" ? "would " : "";
  const detail = action.kind === "write-command" && action.detail ? `: ${action.detail}` : "";
  return `${verb}${action.target}${detail}, because ${action.reason}${outcomeWords(action, mode)}.`;
}

function podMatches(group: JournalPodGroup, namespace: string, name: string): boolean {
  if (group.namespace !== namespace) return false;
  if (group.names.includes(name)) return true;
  const owner = group.owner.slice(group.owner.indexOf("/") + 1);
  return group.owner.includes("/") && (name.startsWith(`${owner}-`) || name === owner);
}

function groupSentence(entry: JournalEntry, group: JournalPodGroup, who: string): string[] {
  const of = group.pods > 1 ? ` (one of ${group.pods} alike pods of ${group.owner})` : "";
  if (group.unschedulable !== undefined) return [`${who}${of} could not be placed: ${group.unschedulable}.`];
  return group.placed.map((p) => {
    if (!p.new) return `${who}${of} fits ${p.target}, which is already there or on its way (${p.pods} pod(s) of the group).`;
    const claim = entry.nodeClaims?.find((c) => c.name === p.target);
    const types = claim
      ? `: NodePool ${claim.nodePool}, ${claim.instanceTypes.slice(0, 3).map((t) => `${t.name} ${price(t.pricePerHour)}`).join(", ")}${claim.options > 3 ? ` and ${claim.options - 3} more option(s)` : ""}, cheapest ${price(claim.pricePerHour)}`
      : p.nodePool
        ? `: NodePool ${p.nodePool}`
        : "";
    return `${who}${of} ${entry.mode === "shadow" ? "would go" : "was planned"} on new NodeClaim ${p.target}${types} (${p.pods} pod(s) of the group).`;
  });
}

function sentencesFor(entry: JournalEntry, target: ExplainTarget): string[] {
  const out: string[] = [];
  if (target.kind === "pod") {
    const slash = target.name.indexOf("/");
    const [namespace, name] = slash > 0 ? [target.name.slice(0, slash), target.name.slice(slash + 1)] : ["default", target.name];
    for (const group of entry.groups ?? []) if (podMatches(group, namespace, name)) out.push(...groupSentence(entry, group, `Pod ${namespace}/${name}`));
    for (const a of entry.actions) if ((a.kind === "evict-pod" || a.kind === "delete-pod") && a.target.endsWith(` ${namespace}/${name}`)) out.push(actionSentence(a, entry.mode));
    return out;
  }
  const label = { node: "Node", nodeclaim: "NodeClaim", nodepool: "NodePool" }[target.kind];
  const mentions = (text: string): boolean => new RegExp(`(^|[\\s(,])${target.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[\\s),:;])`).test(text);
  for (const a of entry.actions) if (mentions(a.target) || (a.detail !== undefined && a.kind === "write-command" && mentions(a.detail))) out.push(actionSentence(a, entry.mode));
  if (target.kind === "node") for (const n of entry.leftAlone ?? []) if (n.node === target.name) out.push(`${entry.flow === "drift" ? "Drift" : "Consolidation"} left Node ${n.node} alone: ${n.reason}.`);
  for (const c of entry.nodeClaims ?? []) {
    if ((target.kind === "nodeclaim" && c.name === target.name) || (target.kind === "nodepool" && c.nodePool === target.name)) {
      const types = c.instanceTypes.map((t) => `${t.name} ${price(t.pricePerHour)}`).join(", ");
      out.push(`NodeClaim ${c.name} of NodePool ${c.nodePool} ${entry.mode === "shadow" ? "would be" : "was"} made for ${c.pods} pod(s), cheapest ${price(c.pricePerHour)}, from ${c.options} instance type(s): ${types}.`);
    }
  }
  for (const g of entry.groups ?? []) {
    for (const p of g.placed) if (target.kind !== "nodepool" && p.target === target.name) out.push(`${p.pods} pod(s) of ${g.namespace}/${g.owner} ${p.new ? "planned" : "fit"} on ${label} ${p.target}.`);
    if (target.kind === "nodepool" && g.unschedulable !== undefined && mentions(g.unschedulable)) out.push(`${g.pods} pod(s) of ${g.namespace}/${g.owner} could not be placed: ${g.unschedulable}.`);
  }
  // The entries come from the subject's own index: one that said nothing more still concerns it.
  if (target.kind === "nodepool" && out.length === 0) out.push(`${label} ${target.name} was involved: ${entry.summary}.`);
  return out;
}

/** The subject's story from `entries` (any order; duplicates by id dropped), newest first. */
export function explain(target: ExplainTarget, entries: readonly JournalEntry[]): Explanation {
  const seen = new Set<string>();
  const sorted = [...entries].sort((a, b) => b.atMs - a.atMs).filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
  const lines: ExplainLine[] = [];
  for (const entry of sorted) {
    for (const text of sentencesFor(entry, target)) lines.push({ at: new Date(entry.atMs).toISOString(), flow: entry.flow, mode: entry.mode, trigger: entry.trigger, text });
    if (entry.error) lines.push({ at: new Date(entry.atMs).toISOString(), flow: entry.flow, mode: entry.mode, trigger: entry.trigger, text: `The run failed: ${entry.error}.` });
  }
  return { subject: target, lines };
}

/** The story as text: one line per sentence, newest first. */
export function renderExplanation(explanation: Explanation, since: string, offline = false): string {
  const { subject, lines } = explanation;
  const who = subject.kind === "pod" ? `pod ${subject.name}` : `${subject.kind} ${subject.name}`;
  if (lines.length === 0) return offline ? `Nothing Tenon would decide names ${who} in this input.\n` : `Nothing in the journal about ${who} in the last ${since}.\n`;
  return lines.map((l) => `${l.at}  ${l.flow}${l.mode === "shadow" ? " [shadow]" : ""}: ${l.text}\n`).join("");
}
