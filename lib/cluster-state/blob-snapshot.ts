/**
 * The cluster-state snapshot in a blob store (S3 when CLUSTER_STATE_BUCKET is set): the snapshot's
 * entries (snapshot.ts: header + gzip'd summaries, the same entries the Store's pages would hold)
 * go to a fresh object per (generation, writer) as one JSON array, and the Store's cluster state
 * holds a single small manifest entry naming it. Reusing the entries keeps one snapshot format
 * whichever store holds it; the base64 inside costs ~1/3 more bytes but not one more request. The Store's conditional generation write still decides
 * which publisher wins, so readers follow the manifest to one whole generation.
 *
 * Each manifest also names the object of the generation before it (`previousKey`). Publishing
 * generation N deletes the object of N-2 only: a reader that loaded N-1's manifest just before
 * may still be fetching its object.
 */
import { createHash, randomUUID } from "node:crypto";
import type { SnapshotBlobStore } from "../ports/blob.ts";
import type { ClusterState } from "../ports/store.ts";

export const BLOB_MANIFEST_FORMAT = "tenon/bound-pods-blob/v1";

export interface BlobManifest {
  format: typeof BLOB_MANIFEST_FORMAT;
  resourceVersion: string;
  /** The object's key in the blob store. */
  key: string;
  bytes: number;
  /** Hex SHA-256 of the object, so a torn or foreign object is detected, not decoded. */
  sha256: string;
  /** The object the previously published generation used, deleted one generation later. */
  previousKey?: string;
}

function sha256(body: Uint8Array): string {
  return createHash("sha256").update(body).digest("hex");
}

/** Sorts by generation (zero-padded) then writer. */
export function blobKeyFor(generation: number, writerId: string = randomUUID().replaceAll("-", "").slice(0, 16)): string {
  return `${String(generation).padStart(16, "0")}-${writerId}.json`;
}

/** `entries`: what `encodeSnapshot` makes of the cache. */
export function encodeBlobSnapshot(entries: readonly unknown[], resourceVersion: string, key: string, previousKey: string | undefined): { body: Uint8Array; manifest: BlobManifest } {
  const body = Buffer.from(JSON.stringify(entries), "utf8");
  const manifest: BlobManifest = { format: BLOB_MANIFEST_FORMAT, resourceVersion, key, bytes: body.length, sha256: sha256(body) };
  if (previousKey !== undefined) manifest.previousKey = previousKey;
  return { body, manifest };
}

/** The stored state's blob manifest; undefined when it is in another format (e.g. DynamoDB pages). */
export function blobManifestOf(state: ClusterState | undefined): BlobManifest | undefined {
  const head = state?.entries[0] as Partial<BlobManifest> | undefined;
  if (!head || typeof head !== "object" || head.format !== BLOB_MANIFEST_FORMAT) return undefined;
  return head as BlobManifest;
}

function manifestProblem(m: Partial<BlobManifest>, entries: number): string | undefined {
  if (entries !== 1) return `a blob manifest is one entry, found ${entries}`;
  if (typeof m.resourceVersion !== "string" || m.resourceVersion === "") return "the manifest has no resourceVersion";
  if (typeof m.key !== "string" || m.key === "") return "the manifest names no object";
  if (typeof m.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(m.sha256)) return "the manifest has no sha256";
  if (typeof m.bytes !== "number") return "the manifest has no size";
  return undefined;
}

/** The snapshot entries a blob manifest points to, or why they can't be used (the caller then lists). */
export async function loadBlobSnapshot(state: ClusterState, manifest: BlobManifest, blobs: SnapshotBlobStore | undefined): Promise<{ entries: unknown[] } | { problem: string }> {
  const problem = manifestProblem(manifest, state.entries.length);
  if (problem) return { problem };
  if (!blobs) return { problem: `the snapshot is in object storage (${manifest.key}) but no blob store is configured` };
  let body: Uint8Array | undefined;
  try {
    body = await blobs.get(manifest.key);
  } catch (error) {
    return { problem: `reading ${blobs.location}${manifest.key} failed: ${(error as Error).message}` };
  }
  if (!body) return { problem: `object ${blobs.location}${manifest.key} is missing` };
  if (body.length !== manifest.bytes || sha256(body) !== manifest.sha256) {
    return { problem: `object ${blobs.location}${manifest.key} does not match its manifest (${body.length} bytes, expected ${manifest.bytes} with sha256 ${manifest.sha256})` };
  }
  let entries: unknown;
  try {
    entries = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch (error) {
    return { problem: `object ${blobs.location}${manifest.key} is not JSON: ${(error as Error).message}` };
  }
  if (!Array.isArray(entries)) return { problem: `object ${blobs.location}${manifest.key} is not an array of snapshot entries` };
  return { entries };
}
