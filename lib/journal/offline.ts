/**
 * `tenon explain -f`: journal entries for what the functions would decide on a `simulate` or
 * `disrupt` input, computed offline, so `explain` tells the same story without a stack: one
 * provisioner entry (where each pending pod would go, or why nowhere) and one disruption entry
 * (what consolidation, drift or expiration would remove or replace, and why every other node
 * stays). Both are in shadow mode: decided, not performed. Pure.
 */
import type { SimulationRun } from "../simulate/run.ts";
import type { PassOutput } from "../disruption/output.ts";
import type { JournalAction, JournalEntry, JournalSubject } from "../ports/journal.ts";
import { buildEntry, summarizeScheduling } from "./entry.ts";
import { price } from "./explain.ts";

/** The provisioner's entry for a simulation: the claims carry the names `simulate` prints. */
export function simulationEntry(run: Pick<SimulationRun, "result" | "output">, atMs: number): JournalEntry {
  const names = run.output.nodeClaims.map((c) => c.name);
  const scheduling = summarizeScheduling(run.result, names);
  const { summary } = run.output;
  return buildEntry({
    id: "offline-simulate",
    atMs,
    flow: "provisioner",
    trigger: "tenon explain -f",
    mode: "shadow",
    summary: `${summary.pods} pending pod(s): ${summary.newNodeClaims} NodeClaim(s) at $${summary.pricePerHour.toFixed(4)}/hour, ${summary.pods - summary.scheduled} unschedulable`,
    applied: [],
    scheduling,
  });
}

/** The disruption entry for one pass: each command as the write-command it would be, the nodes left alone with why. */
export function disruptionEntry(pass: PassOutput, atMs: number): JournalEntry {
  const actions: JournalAction[] = pass.commands.map((c) => {
    const nodes = c.candidates.map((n) => `${n.node}${n.instanceType ? ` (${n.instanceType})` : ""}`).join(", ");
    const replacement = c.replacements.length > 0 ? ` with ${c.replacements.map((r) => `${r.launch?.instanceType ?? r.instanceTypes[0] ?? "a new node"} ${r.launch?.capacityType ?? ""}`.trim()).join(", ")}` : "";
    return {
      kind: "write-command",
      target: `${c.decision} ${nodes}`,
      reason: `${c.reason}: ${pass.method ?? "disruption"} saves ${price(c.savingsPerHour)}`,
      outcome: "recorded",
      detail: `${c.decision}${replacement}, ${c.pods.length} pod(s) moved`,
    };
  });
  for (const e of pass.expired) {
    if (e.node) actions.push({ kind: "write-command", target: `delete ${e.node}`, reason: "Expired: past the NodePool's expireAfter", outcome: "recorded" });
  }
  const subjects: JournalSubject[] = [];
  const add = (kind: JournalSubject["kind"], name: string | null | undefined) => {
    if (name && !subjects.some((s) => s.kind === kind && s.name === name)) subjects.push({ kind, name });
  };
  for (const c of pass.commands) for (const n of c.candidates) (add("node", n.node), add("nodeclaim", n.nodeClaim), add("nodepool", n.nodePool));
  for (const n of [...pass.expired, ...pass.notDisrupted]) (add("node", n.node), add("nodeclaim", n.nodeClaim), add("nodepool", n.nodePool));
  return {
    id: "offline-disrupt",
    atMs,
    flow: pass.method === "drift" ? "drift" : "consolidation",
    trigger: "tenon explain -f",
    mode: "shadow",
    summary: pass.method ? `${pass.method}: ${pass.commands.length} command(s), saves ${price(pass.summary.savingsPerHour)}` : "nothing to disrupt",
    actions,
    leftAlone: pass.notDisrupted.filter((n) => n.node).map((n) => ({ node: n.node!, reason: n.reason })),
    subjects,
  };
}
