/**
 * The report page: one self-contained HTML file (inline CSS and SVG, no script, no network) with
 * the summary table and the charts. Table cells carry `data-run` and `data-field` so tools and the
 * browser test can read them back.
 */
import type { ReplaySummary, RunResult, RunSummary } from "../types.ts";
import type { Chart } from "./charts.ts";
import { referenceRun, savingsPercent } from "./summary.ts";

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** How the page writes each figure (the browser test reads them back with the same precision). */
export const FORMAT = {
  cost: (usd: number): string => `$${usd.toFixed(2)}`,
  seconds: (s: number): string => s.toFixed(1),
  percent: (p: number): string => `${p >= 0 ? "" : "−"}${Math.abs(p).toFixed(1)}%`,
  count: (n: number): string => String(n),
};

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1880px;padding:0 16px;color:#212529}
h1{font-size:22px;margin:0 0 4px}p.meta{color:#495057;margin:0 0 16px}
table{border-collapse:collapse;margin:8px 0 24px;font-size:14px}
th,td{border:1px solid #dee2e6;padding:6px 10px;text-align:right}th{background:#f1f3f5}td:first-child,th:first-child{text-align:left}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(900px,1fr));gap:16px}
figure.chart{margin:0;border:1px solid #dee2e6;border-radius:6px;padding:8px;background:#fff}
figure.chart figcaption{font-size:13px;color:#495057;margin-top:4px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
`;

function row(run: RunResult, s: RunSummary, reference: { name: string; summary: RunSummary } | undefined): string {
  const cell = (field: string, text: string): string => `<td data-run="${escapeHtml(run.name)}" data-field="${field}">${escapeHtml(text)}</td>`;
  let savings = "—";
  if (reference && reference.name !== run.name) {
    const p = savingsPercent(reference.summary, s);
    if (p !== undefined) savings = FORMAT.percent(p);
  }
  return [
    "<tr>",
    `<td>${escapeHtml(run.label)}</td>`,
    cell("totalCost", FORMAT.cost(s.totalCost)),
    cell("savings", savings),
    cell("pendingSeconds.p50", FORMAT.seconds(s.pendingSeconds.p50)),
    cell("pendingSeconds.p95", FORMAT.seconds(s.pendingSeconds.p95)),
    cell("pendingSeconds.max", FORMAT.seconds(s.pendingSeconds.max)),
    cell("podsEvicted", FORMAT.count(s.podsEvicted)),
    cell("nodesLaunched", FORMAT.count(s.nodesLaunched)),
    cell("nodesRemoved", FORMAT.count(s.nodesRemoved)),
    "</tr>",
  ].join("");
}

export function reportHtml(summary: ReplaySummary, runs: readonly RunResult[], charts: readonly Chart[]): string {
  const ref = referenceRun(runs);
  const reference = ref ? { name: ref.name, summary: summary.runs[ref.name]! } : undefined;
  const rows = runs.map((r) => row(r, summary.runs[r.name]!, reference)).join("\n");
  const savingsHead = reference ? `${escapeHtml(ref!.label)} saves vs this run` : "Savings";
  const figures = charts
    .map((c) => `<figure class="chart" data-chart="${c.id}" id="chart-${c.id}">${c.svg}<figcaption>${escapeHtml(c.title)}</figcaption></figure>`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tenon replay: ${escapeHtml(summary.trace)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>tenon replay: ${escapeHtml(summary.trace)}</h1>
<p class="meta">Seed ${summary.seed}, ${summary.hours} hours. Costs are instance prices × lifetimes over the trace; pending time is from a pod being wanted to it running (nearest-rank percentiles, seconds). Figures as in <a href="summary.json">summary.json</a>.</p>
<table id="summary">
<thead><tr><th>Run</th><th>Total cost</th><th>${savingsHead}</th><th>Pending p50 (s)</th><th>Pending p95 (s)</th><th>Pending max (s)</th><th>Pods evicted</th><th>Nodes launched</th><th>Nodes removed</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<div class="charts">
${figures}
</div>
</body>
</html>
`;
}
