/**
 * The `tenon disrupt -o json` document (the disrupt contract's "Output" section), built from pass
 * results. Keys are written in the contract's order and every list has a fixed order, so the same
 * input gives the same bytes. Each command also lists `existingNodes`: where the pods that don't go
 * to a replacement land (an addition to the contract, in simulate's format), so an executor knows
 * the whole move.
 */
import { podKey } from "../api/kubernetes.ts";
import { resolveLaunch } from "../scheduling/launch.ts";
import { outputNodeClaim, roundPrice, type OutputNodeClaim } from "../simulate/output.ts";
import { formatTime, type NodeView } from "./cluster.ts";
import type { Command, Method, PassResult } from "./decide.ts";

export interface OutputCandidate {
  node: string;
  nodeClaim: string | null;
  nodePool: string | null;
  instanceType: string | null;
  zone: string | null;
  capacityType: string | null;
  price: number | null;
}

export type OutputReplacement = Omit<OutputNodeClaim, "name">;

export interface OutputCommand {
  reason: string;
  decision: "delete" | "replace";
  candidates: OutputCandidate[];
  replacements: OutputReplacement[];
  pods: string[];
  savingsPerHour: number;
  existingNodes: Array<{ name: string; pods: string[] }>;
}

export interface OutputNodeRef {
  node: string | null;
  nodeClaim: string | null;
  nodePool: string | null;
}

export interface PassSummary {
  nodes: number;
  disrupted: number;
  replacements: number;
  expired: number;
  pricePerHourBefore: number;
  pricePerHourAfter: number;
  savingsPerHour: number;
}

export interface PassOutput {
  at: string;
  method: Method | null;
  commands: OutputCommand[];
  expired: OutputNodeRef[];
  notDisrupted: Array<OutputNodeRef & { reason: string }>;
  summary: PassSummary;
}

export interface PlanOutput {
  at: string;
  passes: PassOutput[];
  summary: PassSummary;
}

function ref(view: NodeView): OutputNodeRef {
  return { node: view.node ? view.name : null, nodeClaim: view.nodeClaim?.metadata.name ?? null, nodePool: view.poolName ?? null };
}

function candidate(view: NodeView): OutputCandidate {
  return {
    node: view.name,
    nodeClaim: view.nodeClaim?.metadata.name ?? null,
    nodePool: view.poolName ?? null,
    instanceType: view.instanceType?.name ?? null,
    zone: view.zone ?? null,
    capacityType: view.capacityType ?? null,
    price: view.price ?? null,
  };
}

function compareRefs(a: OutputNodeRef, b: OutputNodeRef): number {
  const ka = `${a.node ?? "\uffff"}\u0000${a.nodeClaim ?? ""}`;
  const kb = `${b.node ?? "\uffff"}\u0000${b.nodeClaim ?? ""}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function outputCommand(command: Command): OutputCommand {
  return {
    reason: command.reason,
    decision: command.decision,
    candidates: command.candidates.map(candidate),
    replacements: command.replacements.map((claim) => {
      const { name: _name, ...rest } = outputNodeClaim(claim, "");
      return rest;
    }),
    pods: command.pods.map(podKey),
    savingsPerHour: roundPrice(command.savingsPerHour),
    existingNodes: command.placements.filter((p) => p.pods.length > 0).map((p) => ({ name: p.name, pods: p.pods.map(podKey) })),
  };
}

export function commandsPrice(commands: readonly Command[]): { removed: number; added: number } {
  let removed = 0;
  let added = 0;
  for (const c of commands) {
    for (const v of c.candidates) removed += v.price ?? 0;
    for (const r of c.replacements) added += resolveLaunch(r)?.price ?? 0;
  }
  return { removed, added };
}

export function passOutput(pass: PassResult): PassOutput {
  const before = pass.views.reduce((s, v) => s + (v.price ?? 0), 0);
  const { removed, added } = commandsPrice(pass.commands);
  const after = before - removed + added;
  return {
    at: formatTime(pass.at),
    method: pass.method,
    commands: pass.commands.map(outputCommand),
    expired: pass.expired.map(ref).sort(compareRefs),
    notDisrupted: pass.notDisrupted.map((n) => ({ ...ref(n.view), reason: n.reason })).sort(compareRefs),
    summary: {
      nodes: pass.views.filter((v) => v.node).length,
      disrupted: pass.commands.reduce((n, c) => n + c.candidates.length, 0),
      replacements: pass.commands.reduce((n, c) => n + c.replacements.length, 0),
      expired: pass.expired.length,
      pricePerHourBefore: roundPrice(before),
      pricePerHourAfter: roundPrice(after),
      savingsPerHour: roundPrice(before - after),
    },
  };
}

export function planOutput(passes: readonly PassOutput[], at: number): PlanOutput {
  const first = passes[0]!.summary;
  const last = passes[passes.length - 1]!.summary;
  const expired = new Set(passes.flatMap((p) => p.expired.map((e) => e.nodeClaim ?? e.node)));
  return {
    at: formatTime(at),
    passes: [...passes],
    summary: {
      nodes: first.nodes,
      disrupted: passes.reduce((n, p) => n + p.summary.disrupted, 0),
      replacements: passes.reduce((n, p) => n + p.summary.replacements, 0),
      expired: expired.size,
      pricePerHourBefore: first.pricePerHourBefore,
      pricePerHourAfter: last.pricePerHourAfter,
      savingsPerHour: roundPrice(first.pricePerHourBefore - last.pricePerHourAfter),
    },
  };
}

export function renderJson(document: PassOutput | PlanOutput): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
