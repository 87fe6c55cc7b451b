/**
 * The cluster-state cache as Store entries (Store.putClusterState / getClusterState, docs/state.md).
 *
 * Entry 0 is a header (format, resourceVersion, pod count); the summaries follow as one gzip'd
 * JSON array cut into base64 strings of `CHUNK_CHARS`, so each lands in its own ≤ 96 KiB page.
 * Summaries repeat the same label keys, namespaces and node names thousands of times, so gzip
 * shrinks them several times over, and DynamoDB bills writes and reads per KB.
 *
 * When the cache carries a node view (nodes.ts), it follows the pod chunks as its own gzip'd JSON
 * (`{resourceVersion, nodes}`) in `nodeChunks` more entries, so a cold container replays node
 * changes instead of listing every node. A header without `nodeChunks` has no node view.
 *
 * The generation is the resourceVersion when it is a number (etcd's revision always is), so a
 * newer cluster state always replaces an older one whoever publishes it; otherwise the clock.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { ClusterState } from "../ports/store.ts";
import { ClusterStateCache } from "./cache.ts";
import { NodeView } from "./nodes.ts";
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
  /** Entries holding the pod summaries, right after the header. */
  chunks: number;
  /** Entries holding the node view, after the pod chunks; absent when there is none. */
  nodeChunks?: number;
}

function toChunks(value: unknown): string[] {
  const packed = gzipSync(JSON.stringify(value)).toString("base64");
  const chunks: string[] = [];
  for (let i = 0; i < packed.length; i += CHUNK_CHARS) chunks.push(packed.slice(i, i + CHUNK_CHARS));
  return chunks;
}

export function snapshotGeneration(resourceVersion: string, nowMs: number): number {
  const n = Number(resourceVersion);
  return /^\d+$/.test(resourceVersion) && Number.isSafeInteger(n) && n <= MAX_GENERATION ? n : nowMs;
}

export function encodeSnapshot(cache: ClusterStateCache): unknown[] {
  const summaries = cache.summaries();
  const chunks = toChunks(summaries);
  const header: SnapshotHeader = { format: SNAPSHOT_FORMAT, resourceVersion: cache.resourceVersion, pods: summaries.length, chunks: chunks.length };
  if (!cache.nodes) return [header, ...chunks];
  const nodeChunks = toChunks(cache.nodes.toSnapshot());
  header.nodeChunks = nodeChunks.length;
  return [header, ...chunks, ...nodeChunks];
}

/** The cache a stored snapshot describes, or the reason it can't be used (then the caller lists). */
export function decodeSnapshot(state: ClusterState): ClusterStateCache | { problem: string } {
  const [head, ...entries] = state.entries;
  const header = head as Partial<SnapshotHeader> | undefined;
  if (!header || typeof header !== "object" || header.format !== SNAPSHOT_FORMAT) return { problem: `entry 0 is not a ${SNAPSHOT_FORMAT} header` };
  if (typeof header.resourceVersion !== "string" || header.resourceVersion === "") return { problem: "the header has no resourceVersion" };
  const nodeChunks = header.nodeChunks ?? 0;
  if (typeof header.chunks !== "number" || typeof nodeChunks !== "number" || header.chunks + nodeChunks !== entries.length || !entries.every((c) => typeof c === "string")) {
    return { problem: `expected ${String(header.chunks)} chunks and ${String(nodeChunks)} node chunks, found ${entries.length}` };
  }
  const chunks = entries.slice(0, header.chunks);
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
  const cache = ClusterStateCache.fromSummaries(summaries as BoundPodSummary[], header.resourceVersion);
  if (nodeChunks === 0) return cache;
  let nodes: unknown;
  try {
    nodes = JSON.parse(gunzipSync(Buffer.from(entries.slice(header.chunks).join(""), "base64")).toString("utf8"));
  } catch (error) {
    return { problem: `the node view does not decode: ${(error as Error).message}` };
  }
  const view = NodeView.fromSnapshot(nodes);
  if ("problem" in view) return view;
  cache.nodes = view;
  return cache;
}
