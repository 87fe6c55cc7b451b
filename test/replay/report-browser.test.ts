/**
 * The replay report in a real browser: Debian's Chromium, headless, driven by playwright-core. The
 * page loads from disk with no console error and no failed or outside request, every chart is an
 * SVG with content, and the summary table shows the numbers of summary.json.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBaselines } from "../../lib/replay/baselines/index.ts";
import { writeReport } from "../../lib/replay/report/index.ts";
import { writeChartPng } from "../../lib/replay/report/png.ts";
import { DEFAULT_TIMING, type ReplayInput, type ReplaySummary } from "../../lib/replay/types.ts";
import { instanceType, nodePool, pod, ZONES } from "../support/builders.ts";
import { CHROMIUM, chromiumUnavailable } from "../support/chromium.ts";
import { fourRuns } from "../support/replay-runs.ts";

const skip = await chromiumUnavailable();

describe.skipIf(skip !== undefined)("replay report in Chromium", () => {
  let browser: Browser;
  let dir: string;
  let summary: ReplaySummary;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tenon-report-browser-"));
    // Two hand-built runs and the two baselines on a small trace: a page as `tenon replay` writes it.
    const pods = Array.from({ length: 12 }, (_, i) => pod({ name: `w${i}`, cpu: "1", memory: "1Gi" }));
    const input: ReplayInput = {
      name: "browser-check",
      seed: 3,
      hours: 4,
      nodePools: [nodePool("default")],
      nodeClasses: [],
      demand: [
        ...pods.map((p) => ({ atMs: 0, kind: "add" as const, pod: p, workload: "Deployment/default/w" })),
        ...pods.slice(0, 9).map((p) => ({ atMs: 2 * 3_600_000, kind: "remove" as const, pod: p, workload: "Deployment/default/w" })),
      ],
      events: [{ atMs: 3_600_000, kind: "spot-interruption", detail: { count: 1 } }],
      instanceTypes: [instanceType("m.4x", { cpu: "4", memory: "16Gi", price: 0.2 })],
      region: "test-region",
      zones: ZONES,
      timing: DEFAULT_TIMING,
    };
    const baselines = runBaselines(input);
    const [tenon, noConsolidation] = fourRuns();
    summary = await writeReport(dir, input, [tenon!, noConsolidation!, baselines.clusterAutoscaler, baselines.staticNodeGroups]);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loads offline with no console error and no failed request, every chart drawn", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("requestfailed", (r) => errors.push(`failed: ${r.url()}`));
    page.on("request", (r) => requests.push(r.url()));
    const url = pathToFileURL(join(dir, "index.html")).href;
    const response = await page.goto(url, { waitUntil: "load" });
    expect(response?.ok()).toBe(true);
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    const charts = await page.$$eval("figure.chart", (figs) =>
      figs.map((f) => {
        const svg = f.querySelector("svg");
        const box = svg?.getBoundingClientRect();
        return { id: f.getAttribute("data-chart"), shapes: svg ? svg.querySelectorAll("path, text, rect").length : 0, width: box?.width ?? 0, height: box?.height ?? 0 };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual(["cost", "nodes", "pending", "pending-time", "utilization", "disruptions"]);
    for (const c of charts) {
      expect(c.shapes, c.id!).toBeGreaterThan(10);
      expect(c.width, c.id!).toBeGreaterThan(100);
      expect(c.height, c.id!).toBeGreaterThan(100);
    }
    await page.close();
  });

  it("shows the summary table's numbers as summary.json has them", async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(join(dir, "index.html")).href);
    const cells = await page.$$eval("#summary td[data-run]", (tds) => tds.map((td) => ({ run: td.getAttribute("data-run")!, field: td.getAttribute("data-field")!, text: td.textContent!.trim() })));
    const onDisk = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as ReplaySummary;
    expect(onDisk).toEqual(summary);
    const runs = Object.keys(onDisk.runs);
    expect([...new Set(cells.map((c) => c.run))]).toEqual(runs);
    let checked = 0;
    for (const c of cells) {
      if (c.field === "savings") continue;
      const r = onDisk.runs[c.run]!;
      const expected = c.field.startsWith("pendingSeconds.") ? r.pendingSeconds[c.field.split(".")[1] as "p50" | "p95" | "max"] : (r[c.field as keyof typeof r] as number);
      const shown = Number(c.text.replace(/[$,]/g, ""));
      const precision = c.field === "totalCost" ? 0.005 : c.field.startsWith("pendingSeconds.") ? 0.05 : 0;
      expect(Math.abs(shown - expected), `${c.run} ${c.field}: ${c.text} vs ${expected}`).toBeLessThanOrEqual(precision + 1e-9);
      checked++;
    }
    expect(checked).toBe(runs.length * 7);
    // Savings: Tenon against each other run, from summary.json's costs.
    const tenonCost = onDisk.runs.tenon.totalCost;
    for (const c of cells.filter((x) => x.field === "savings" && x.run !== "tenon")) {
      const other = onDisk.runs[c.run]!.totalCost;
      expect(Number(c.text.replace("%", "").replace("−", "-"))).toBeCloseTo(((other - tenonCost) / other) * 100, 1);
    }
    await page.close();
  });

  it("photographs the cost chart as a PNG", async () => {
    const png = join(dir, "cost.png");
    await writeChartPng(dir, png);
    const bytes = await readFile(png);
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");
    expect(bytes.readUInt32BE(16)).toBeGreaterThan(800); // width in pixels (2x device scale)
  });
});
