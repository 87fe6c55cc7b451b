/** The replay report's figures: summary.json from the runs, nearest-rank percentiles, the page's table and savings. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nearestRank, writeReport } from "../../lib/replay/report/index.ts";
import { fourRuns } from "../support/replay-runs.ts";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "tenon-report-"));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function cell(html: string, run: string, field: string): string {
  const m = new RegExp(`<td data-run="${run}" data-field="${field.replace(".", "\\.")}">([^<]*)</td>`).exec(html);
  if (!m) throw new Error(`no cell ${run}/${field}`);
  return m[1]!;
}

describe("replay report", () => {
  it("takes nearest-rank percentiles: the ceil(p/100 × n)-th smallest value", () => {
    const oneToTwenty = Array.from({ length: 20 }, (_, i) => 20 - i);
    expect(nearestRank(oneToTwenty, 50)).toBe(10);
    expect(nearestRank(oneToTwenty, 95)).toBe(19);
    expect(nearestRank([75, 75, 75, 80, 200], 50)).toBe(75);
    expect(nearestRank([75, 75, 75, 80, 200], 95)).toBe(200);
    expect(nearestRank([7], 50)).toBe(7);
    expect(nearestRank([], 95)).toBe(0);
  });

  it("writes summary.json with each run's figures, as computed by hand", async () => {
    const dir = await tempDir();
    const returned = await writeReport(dir, { name: "diurnal", seed: 7, hours: 4 }, fourRuns());
    const written = JSON.parse(await readFile(join(dir, "summary.json"), "utf8"));
    expect(written).toEqual(returned);
    expect(written).toEqual({
      trace: "diurnal",
      seed: 7,
      hours: 4,
      runs: {
        tenon: { totalCost: 60, pendingSeconds: { p50: 10, p95: 19, max: 20 }, podsEvicted: 4, nodesLaunched: 9, nodesRemoved: 7 },
        tenonNoConsolidation: { totalCost: 70, pendingSeconds: { p50: 20, p95: 30, max: 30 }, podsEvicted: 0, nodesLaunched: 5, nodesRemoved: 3 },
        clusterAutoscaler: { totalCost: 100, pendingSeconds: { p50: 75, p95: 200, max: 200 }, podsEvicted: 3, nodesLaunched: 6, nodesRemoved: 4 },
        staticNodeGroups: { totalCost: 150, pendingSeconds: { p50: 10, p95: 10, max: 10 }, podsEvicted: 0, nodesLaunched: 2, nodesRemoved: 0 },
      },
    });
  });

  it("shows Tenon's savings against each other run, and the same figures as summary.json", async () => {
    const dir = await tempDir();
    await writeReport(dir, { name: "diurnal", seed: 7, hours: 4 }, fourRuns());
    const html = await readFile(join(dir, "index.html"), "utf8");
    // (70 - 60) / 70 = 14.29%, (100 - 60) / 100 = 40%, (150 - 60) / 150 = 60%.
    expect(cell(html, "tenonNoConsolidation", "savings")).toBe("14.3%");
    expect(cell(html, "clusterAutoscaler", "savings")).toBe("40.0%");
    expect(cell(html, "staticNodeGroups", "savings")).toBe("60.0%");
    expect(cell(html, "tenon", "savings")).toBe("—");
    expect(cell(html, "clusterAutoscaler", "totalCost")).toBe("$100.00");
    expect(cell(html, "clusterAutoscaler", "pendingSeconds.p95")).toBe("200.0");
    expect(cell(html, "tenon", "nodesRemoved")).toBe("7");
  });

  it("is one self-contained page: an SVG per chart, no script and nothing fetched", async () => {
    const dir = await tempDir();
    await writeReport(dir, { name: "<b>trace</b>", seed: 1, hours: 4 }, fourRuns());
    const html = await readFile(join(dir, "index.html"), "utf8");
    const figures = [...html.matchAll(/<figure class="chart" data-chart="([^"]+)"[^>]*>(<svg[\s\S]*?<\/svg>)/g)];
    expect(figures.map((f) => f[1])).toEqual(["cost", "nodes", "pending", "pending-time", "utilization", "disruptions"]);
    for (const f of figures) expect(f[2]).toMatch(/<path /);
    expect(html).not.toMatch(/<script|<link|<img|src=|url\((?!#)/i);
    expect(html).toContain("&lt;b&gt;trace&lt;/b&gt;");
  });

  it("refuses two runs of one name", async () => {
    const runs = fourRuns();
    runs[1] = { ...runs[1]!, name: "tenon" };
    await expect(writeReport(await tempDir(), { name: "t", seed: 1, hours: 4 }, runs)).rejects.toThrow(/runs\[1\]\.name: "tenon" appears twice/);
  });
});
