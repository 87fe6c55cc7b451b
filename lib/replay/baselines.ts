/** The comparisons `tenon replay --baseline` can name, with the run each gives (its key in summary.json). */
export const BASELINES = { "no-consolidation": "tenonNoConsolidation", ca: "clusterAutoscaler", static: "staticNodeGroups" } as const;
export type BaselineName = keyof typeof BASELINES;
