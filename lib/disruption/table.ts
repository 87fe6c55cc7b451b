/** The human summary `tenon disrupt -o table` prints: the commands, expired nodes, why the others stay, and the price. */
import { formatColumns, formatPrice } from "../simulate/table.ts";
import type { PassOutput, PassSummary, PlanOutput } from "./output.ts";

function priceLine(s: PassSummary): string {
  return `Price: ${formatPrice(s.pricePerHourBefore)}/hour -> ${formatPrice(s.pricePerHourAfter)}/hour (saves ${formatPrice(s.savingsPerHour)}/hour); ${s.disrupted} of ${s.nodes} nodes disrupted, ${s.replacements} replacement(s), ${s.expired} expired\n`;
}

function commandsTable(pass: PassOutput): string {
  return formatColumns(
    ["REASON", "DECISION", "NODES", "REPLACEMENT", "PODS", "SAVES/HOUR"],
    pass.commands.map((c) => [
      c.reason,
      c.decision,
      c.candidates.map((n) => `${n.node} (${n.instanceType ?? "?"})`).join(", "),
      c.replacements.map((r) => (r.launch ? `${r.launch.instanceType} ${r.launch.capacityType} ${r.launch.zone} ${formatPrice(r.launch.price)}` : r.instanceTypes[0] ?? "-")).join(", ") || "-",
      String(c.pods.length),
      formatPrice(c.savingsPerHour),
    ]),
  );
}

/** `basis`: what the prices are (simulate/instance-types.ts `priceBasis`), printed under the price line. */
export function renderPassTable(pass: PassOutput, notes: readonly string[] = [], basis?: string): string {
  const parts: string[] = [`Disruption pass at ${pass.at}: ${pass.method ?? "nothing to do"}\n`];
  if (pass.commands.length > 0) parts.push(`\nCommands (${pass.commands.length})\n`, commandsTable(pass));
  if (pass.expired.length > 0) {
    parts.push(`\nExpired (${pass.expired.length}), replaced whatever the budgets say\n`);
    parts.push(formatColumns(["NODE", "NODECLAIM", "NODEPOOL"], pass.expired.map((e) => [e.node ?? "-", e.nodeClaim ?? "-", e.nodePool ?? "-"])));
  }
  if (pass.notDisrupted.length > 0) {
    parts.push(`\nNot disrupted (${pass.notDisrupted.length})\n`);
    parts.push(formatColumns(["NODE", "NODEPOOL", "WHY NOT"], pass.notDisrupted.map((n) => [n.node ?? `(NodeClaim ${n.nodeClaim})`, n.nodePool ?? "-", n.reason])));
  }
  parts.push("\n", priceLine(pass.summary));
  if (basis) parts.push(`${basis}\n`);
  for (const note of notes) parts.push(`note: ${note}\n`);
  return parts.join("");
}

export function renderPlanTable(plan: PlanOutput, notes: readonly string[] = [], basis?: string): string {
  const parts: string[] = [`Disruption plan at ${plan.at}: ${plan.passes.length} pass(es)\n`];
  plan.passes.forEach((pass, i) => {
    parts.push(`\nPass ${i + 1}: ${pass.method ?? "nothing more to do"}\n`);
    if (pass.commands.length > 0) parts.push(commandsTable(pass));
  });
  const last = plan.passes[plan.passes.length - 1]!;
  if (last.notDisrupted.length > 0) {
    parts.push(`\nLeft alone after the plan (${last.notDisrupted.length})\n`);
    parts.push(formatColumns(["NODE", "NODEPOOL", "WHY NOT"], last.notDisrupted.map((n) => [n.node ?? `(NodeClaim ${n.nodeClaim})`, n.nodePool ?? "-", n.reason])));
  }
  parts.push("\n", priceLine(plan.summary));
  if (basis) parts.push(`${basis}\n`);
  for (const note of notes) parts.push(`note: ${note}\n`);
  return parts.join("");
}
