/**
 * The replay's report (docs/replay.md): `dir/index.html`, one page that opens offline
 * with every run's charts (ECharts server-side SVG) and the summary table, and `dir/summary.json`
 * (ReplaySummary). `writeChartPng` (./png.ts) photographs one chart of a written page with a
 * headless browser. ECharts is loaded when a report is written, not when the CLI starts.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ReplayInput, ReplaySummary, RunResult, WriteReport } from "../types.ts";
import { reportHtml } from "./html.ts";
import { summarize } from "./summary.ts";

export { summarize, nearestRank, savingsPercent } from "./summary.ts";

export const writeReport: WriteReport = async (dir: string, input: Pick<ReplayInput, "name" | "seed" | "hours">, runs: RunResult[]): Promise<ReplaySummary> => {
  const summary = summarize(input, runs);
  const { allCharts } = await import("./charts.ts");
  const html = reportHtml(summary, runs, allCharts(runs, input.hours));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(dir, "index.html"), html);
  return summary;
};
