/** The human summary `tenon simulate -o table` prints: new claims, placements on existing capacity, unschedulable pods, cost. */
import type { SimulationOutput } from "./output.ts";

/** Left-aligned columns separated by two spaces. */
export function formatColumns(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

export function formatPrice(price: number): string {
  return `$${price.toFixed(4)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** `basis`: what the prices are (instance-types.ts `priceBasis`), printed under the NodeClaims. */
export function renderTable(output: SimulationOutput, notes: readonly string[], basis?: string): string {
  const parts: string[] = [];
  if (output.nodeClaims.length > 0) {
    parts.push(`New NodeClaims (${output.nodeClaims.length})\n`);
    parts.push(
      formatColumns(
        ["NAME", "NODEPOOL", "INSTANCE TYPE", "ZONE", "CAPACITY", "$/HOUR", "PODS", "OPTIONS"],
        output.nodeClaims.map((c) => [
          c.name,
          c.nodePool,
          c.launch?.instanceType ?? "-",
          c.launch?.zone ?? "-",
          c.launch?.capacityType ?? "-",
          c.launch ? formatPrice(c.launch.price) : "-",
          String(c.pods.length),
          String(c.instanceTypes.length),
        ]),
      ),
    );
    if (basis) parts.push(`${basis}\n`);
  } else {
    parts.push("No new NodeClaims.\n");
  }
  if (output.existingNodes.length > 0) {
    parts.push(`\nPods placed on existing or in-flight capacity (${output.existingNodes.length} nodes)\n`);
    parts.push(formatColumns(["NODE", "NEW PODS", "WHICH"], output.existingNodes.map((n) => [n.name, String(n.pods.length), abbreviate(n.pods)])));
  }
  if (output.unschedulable.length > 0) {
    parts.push(`\nUnschedulable pods (${output.unschedulable.length})\n`);
    parts.push(formatColumns(["POD", "REASON"], output.unschedulable.map((u) => [u.pod, u.reason])));
  }
  const s = output.summary;
  const onClaims = output.nodeClaims.reduce((n, c) => n + c.pods.length, 0);
  parts.push(
    `\nSummary: ${plural(s.pods, "pending pod")}: ${s.scheduled} scheduled (${onClaims} on new NodeClaims, ${s.scheduled - onClaims} on existing capacity), ` +
      `${s.pods - s.scheduled} unschedulable; ${plural(s.newNodeClaims, "new NodeClaim")} costing ${formatPrice(s.pricePerHour)}/hour.\n`,
  );
  if (notes.length > 0) parts.push(`\nNotes:\n${notes.map((n) => `- ${n}\n`).join("")}`);
  return parts.join("");
}

/** The first few pod names, then a count, so a wide node fits on one line. */
function abbreviate(pods: readonly string[], shown = 3): string {
  if (pods.length <= shown) return pods.join(", ");
  return `${pods.slice(0, shown).join(", ")}, … (+${pods.length - shown})`;
}
