/**
 * A replay: the Tenon runs (with and without consolidation) through the real functions, then the
 * baselines on the same input, in a fixed order. One run at a time: the functions read the
 * installed runtime, which a run owns while it lasts.
 */
import { runBaselines } from "./baselines/index.ts";
import type { FeatureGates } from "../ports/settings.ts";
import { runTenon, TENON_RUNS } from "./tenon/run.ts";
import type { ReplayInput, RunResult } from "./types.ts";

import type { BaselineName } from "./types.ts";

export interface ReplayOptions {
  baselines: readonly BaselineName[];
  /** FEATURE_GATES for Tenon's runs (default all off, as deployed). */
  featureGates?: FeatureGates;
  /** Told which run is going and the share of it done. */
  onProgress?: (run: string, done: number) => void;
}

export async function replayRuns(input: ReplayInput, options: ReplayOptions): Promise<RunResult[]> {
  const runs: RunResult[] = [];
  runs.push(await runTenon(input, { consolidation: true, ...(options.featureGates ? { featureGates: options.featureGates } : {}), onProgress: (d) => options.onProgress?.(TENON_RUNS.tenon.label, d) }));
  if (options.baselines.includes("no-consolidation")) {
    runs.push(await runTenon(input, { consolidation: false, ...(options.featureGates ? { featureGates: options.featureGates } : {}), onProgress: (d) => options.onProgress?.(TENON_RUNS.tenonNoConsolidation.label, d) }));
  }
  if (options.baselines.includes("ca") || options.baselines.includes("static")) {
    options.onProgress?.("baselines", 0);
    const baselines = runBaselines(input);
    if (options.baselines.includes("ca")) runs.push(baselines.clusterAutoscaler);
    if (options.baselines.includes("static")) runs.push(baselines.staticNodeGroups);
    options.onProgress?.("baselines", 1);
  }
  return runs;
}
