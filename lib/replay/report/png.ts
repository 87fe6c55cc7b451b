/**
 * A PNG of one chart of a written report, taken by a headless Chromium (playwright-core driving
 * the system browser): how docs/replay-cost.png is made from the bundled trace's report.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { chromium as Chromium } from "playwright-core";

export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** Screenshots `figure[data-chart=<chart>]` of `dir/index.html` into `pngPath` (default chart: cost per hour). */
export async function writeChartPng(dir: string, pngPath: string, options: { chart?: string; executablePath?: string } = {}): Promise<void> {
  const executablePath = options.executablePath ?? process.env["TENON_CHROMIUM"] ?? DEFAULT_CHROMIUM;
  if (!existsSync(executablePath)) throw new Error(`writeChartPng: no browser at ${executablePath} (install Debian's chromium, or set TENON_CHROMIUM)`);
  const chart = options.chart ?? "cost";
  // playwright-core is a development dependency: loaded only here, and never bundled into the CLI.
  const specifier = "playwright-core";
  const { chromium } = (await import(specifier)) as { chromium: typeof Chromium };
  const browser = await chromium.launch({ executablePath, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 2 });
    await page.goto(pathToFileURL(resolve(dir, "index.html")).href);
    const figure = page.locator(`figure[data-chart="${chart}"] svg`);
    if ((await figure.count()) === 0) throw new Error(`writeChartPng: ${dir}/index.html has no chart "${chart}"`);
    await figure.first().screenshot({ path: pngPath });
  } finally {
    await browser.close();
  }
}
