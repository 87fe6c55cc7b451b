/**
 * The cluster-state cache as Store entries (Store.putClusterState / getClusterState, docs/state.md).
 *
 * Entry 0 is a header (format, resourceVersion, pod count); the summaries follow as one gzip'd
 * JSON array cut into base64 strings of `CHUNK_CHARS`, so each lands in its own ≤ 96 KiB page.
 * Summaries repeat the same label keys, namespaces and node names thousands of times, so gzip
 * shrinks them several times over, and DynamoDB bills writes and reads per KB.
 *
 * The generation is the resourceVersion when it is a number (etcd's revision always is), so a
 * newer cluster state always replaces an older one whoever publishes it; otherwise the clock.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { ClusterState } from "../ports/store.ts";
import { ClusterStateCache } from "./cache.ts";
import { summaryProblem, type BoundPodSummary } from "./summary.ts";

export const SNAPSHOT_FORMAT = "tenon/bound-pods/v1";
/** Base64 characters per entry: one entry per 96 KiB page with room for the JSON quoting. */
export const CHUNK_CHARS = 90_000;
/** Largest generation the store accepts (16 digits). */
const MAX_GENERATION = 10 ** 16 - 1;

interface SnapshotHeader {
  format: typeof SNAPSHOT_FORMAT;
  resourceVersion: string;
  pods: number;
  chunks: number;
}

export function snapshotGeneration(resourceVersion: string, nowMs: number): number {
  const n = Number(resourceVersion);
  return /^\d+$/.test(resourceVersion) && Number.isSafeInteger(n) && n <= MAX_GENERATION ? n : nowMs;
}

export function encodeSnapshot(cache: ClusterStateCache): unknown[] {
  const summaries = cache.summaries();
  const packed = gzipSync(JSON.stringify(summaries)).toString("base64");
  const chunks: string[] = [];
  for (let i = 0; i < packed.length; i += CHUNK_CHARS) chunks.push(packed.slice(i, i + CHUNK_CHARS));
  const header: SnapshotHeader = { format: SNAPSHOT_FORMAT, resourceVersion: cache.resourceVersion, pods: summaries.length, chunks: chunks.length };
  return [header, ...chunks];
}

/** The cache a stored snapshot describes, or the reason it can't be used (then the caller lists). */
export function decodeSnapshot(state: ClusterState): ClusterStateCache | { problem: string } {
  const [head, ...chunks] = state.entries;
  const header = head as Partial<SnapshotHeader> | undefined;
  if (!header || typeof header !== "object" || header.format !== SNAPSHOT_FORMAT) return { problem: `entry 0 is not a ${SNAPSHOT_FORMAT} header` };
  if (typeof header.resourceVersion !== "string" || header.resourceVersion === "") return { problem: "the header has no resourceVersion" };
  if (header.chunks !== chunks.length || !chunks.every((c) => typeof c === "string")) return { problem: `expected ${String(header.chunks)} chunks, found ${chunks.length}` };
  let summaries: unknown;
  try {
    summaries = JSON.parse(gunzipSync(Buffer.from(chunks.join(""), "base64")).toString("utf8"));
  } catch (error) {
    return { problem: `the summaries do not decode: ${(error as Error).message}` };
  }
  if (!Array.isArray(summaries) || summaries.length !== header.pods) return { problem: `expected ${String(header.pods)} summaries` };
  for (const [i, s] of summaries.entries()) {
    const problem = summaryProblem(s);
    if (problem) return { problem: `summary ${i}: ${problem}` };
  }
  return ClusterStateCache.fromSummaries(summaries as BoundPodSummary[], header.resourceVersion);
}
