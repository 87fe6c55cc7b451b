/**
 * The report's charts, drawn by ECharts' server-side SVG renderer (no DOM, no browser): each chart
 * is an option object rendered to an SVG string with every run overlaid, one colour per run.
 */
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import type { RunResult } from "../types.ts";

export interface Chart {
  /** Stable id (the page's `data-chart`, the PNG's choice). */
  id: string;
  title: string;
  svg: string;
}

const WIDTH = 900;
const HEIGHT = 400;
const HOUR_MS = 3_600_000;
const PALETTE = ["#2f6fdf", "#e8590c", "#2b8a3e", "#862e9c", "#c92a2a", "#0b7285", "#5c940d", "#495057"];

/** Pending-time buckets for the distribution chart: upper bounds in seconds. */
export const PENDING_BUCKETS: ReadonlyArray<{ label: string; upTo: number }> = [
  { label: "≤ 10 s", upTo: 10 },
  { label: "10-30 s", upTo: 30 },
  { label: "30-60 s", upTo: 60 },
  { label: "1-2 min", upTo: 120 },
  { label: "2-5 min", upTo: 300 },
  { label: "5-15 min", upTo: 900 },
  { label: "> 15 min", upTo: Infinity },
];

// Only what the report draws, so the CLI's bundle carries no more of ECharts than that.
echarts.use([LineChart, BarChart, GridComponent, LegendComponent, TitleComponent, SVGRenderer]);

function render(option: Record<string, unknown>): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: WIDTH, height: HEIGHT });
  chart.setOption({ animation: false, color: PALETTE, textStyle: { fontFamily: "sans-serif" }, ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

function timeAxis(hours: number): Record<string, unknown> {
  return { type: "value", name: "hour", nameLocation: "middle", nameGap: 28, min: 0, max: hours, interval: hours > 12 ? 2 : hours > 4 ? 1 : undefined };
}

/** Room under the plot for the axis name and a legend of `entries` (about four to a line). */
function bottomFor(entries: number): number {
  return 56 + 22 * Math.max(1, Math.ceil(entries / 4));
}

function common(title: string, yName: string, hours: number, entries: number): Record<string, unknown> {
  return {
    title: { text: title, left: "center", textStyle: { fontSize: 15 } },
    legend: { bottom: 0, type: "plain" },
    grid: { left: 64, right: 24, top: 48, bottom: bottomFor(entries) },
    xAxis: timeAxis(hours),
    yAxis: { type: "value", name: yName, nameGap: 14 },
  };
}

/** A bar chart over named categories, one bar per run in each. */
function bars(title: string, categories: string[], yAxis: Record<string, unknown>, series: unknown[]): string {
  return render({
    title: { text: title, left: "center", textStyle: { fontSize: 15 } },
    legend: { bottom: 0 },
    grid: { left: 64, right: 24, top: 48, bottom: bottomFor(series.length) },
    xAxis: { type: "category", data: categories },
    yAxis,
    series,
  });
}

function line(name: string, data: Array<[number, number]>, color: string, dashed = false): Record<string, unknown> {
  return { name, type: "line", data, showSymbol: false, step: "end", lineStyle: { width: 2, color, type: dashed ? "dashed" : "solid" }, itemStyle: { color } };
}

const at = (ms: number): number => ms / HOUR_MS;

export function costChart(runs: readonly RunResult[], hours: number): Chart {
  const series = runs.map((r, i) => line(r.label, r.samples.map((s) => [at(s.atMs), s.costPerHour]), PALETTE[i % PALETTE.length]!));
  return { id: "cost", title: "Cost per hour", svg: render({ ...common("Cost per hour (USD)", "USD/h", hours, series.length), series }) };
}

export function nodesChart(runs: readonly RunResult[], hours: number): Chart {
  const series = runs.flatMap((r, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const out = [line(`${r.label} on-demand`, r.samples.map((s) => [at(s.atMs), s.nodes.onDemand]), color)];
    if (r.samples.some((s) => s.nodes.spot > 0)) out.push(line(`${r.label} spot`, r.samples.map((s) => [at(s.atMs), s.nodes.spot]), color, true));
    return out;
  });
  return { id: "nodes", title: "Nodes by capacity type", svg: render({ ...common("Nodes by capacity type (solid on-demand, dashed spot)", "nodes", hours, series.length), series }) };
}

export function pendingChart(runs: readonly RunResult[], hours: number): Chart {
  const series = runs.map((r, i) => line(r.label, r.samples.map((s) => [at(s.atMs), s.pendingPods]), PALETTE[i % PALETTE.length]!));
  return { id: "pending", title: "Pending pods", svg: render({ ...common("Pods wanted but not running", "pods", hours, series.length), series }) };
}

export function pendingDistributionChart(runs: readonly RunResult[]): Chart {
  const series = runs.map((r, i) => {
    const counts = PENDING_BUCKETS.map(() => 0);
    for (const s of r.podPendingSeconds) counts[PENDING_BUCKETS.findIndex((b) => s <= b.upTo)]!++;
    return { name: r.label, type: "bar", data: counts, itemStyle: { color: PALETTE[i % PALETTE.length] } };
  });
  return {
    id: "pending-time",
    title: "Time pending",
    svg: bars(
      "Time from wanted to running, per pod (log scale)",
      PENDING_BUCKETS.map((b) => b.label),
      { type: "log", name: "pods", logBase: 10, min: 1 },
      series.map((s) => ({ ...s, data: s.data.map((v) => (v === 0 ? null : v)) })),
    ),
  };
}

export function utilizationChart(runs: readonly RunResult[], hours: number): Chart {
  const pct = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 1000) / 10 : 0);
  const series = runs.flatMap((r, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    return [
      line(`${r.label} cpu`, r.samples.map((s) => [at(s.atMs), pct(s.requested.cpuMillis, s.allocatable.cpuMillis)]), color),
      line(`${r.label} memory`, r.samples.map((s) => [at(s.atMs), pct(s.requested.memoryBytes, s.allocatable.memoryBytes)]), color, true),
    ];
  });
  const option = common("Requested / allocatable (solid cpu, dashed memory)", "%", hours, series.length);
  return { id: "utilization", title: "Utilization", svg: render({ ...option, yAxis: { type: "value", name: "%", min: 0, max: 100 }, series }) };
}

export function disruptionsChart(runs: readonly RunResult[]): Chart {
  const reasons = [...new Set(runs.flatMap((r) => r.disruptions.map((d) => d.reason)))].sort();
  const categories = reasons.length > 0 ? reasons : ["(none)"];
  const series = runs.map((r, i) => ({
    name: r.label,
    type: "bar",
    data: categories.map((reason) => r.disruptions.filter((d) => d.reason === reason).length),
    itemStyle: { color: PALETTE[i % PALETTE.length] },
  }));
  return {
    id: "disruptions",
    title: "Disruptions by reason",
    svg: bars("Nodes removed or disrupted, by reason", categories, { type: "value", name: "nodes", minInterval: 1 }, series),
  };
}

/** Every chart of the report, the main one (cost per hour) first. */
export function allCharts(runs: readonly RunResult[], hours: number): Chart[] {
  return [costChart(runs, hours), nodesChart(runs, hours), pendingChart(runs, hours), pendingDistributionChart(runs), utilizationChart(runs, hours), disruptionsChart(runs)];
}
