/**
 * A blob store built on first use, so a function that never touches it (the batcher) never
 * loads its SDK client at cold start.
 */
import type { SnapshotBlobStore } from "../ports/blob.ts";

export function lazyBlobStore(location: string, build: () => Promise<SnapshotBlobStore>): SnapshotBlobStore {
  let built: Promise<SnapshotBlobStore> | undefined;
  const store = () => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
  return {
    location,
    put: async (key, body) => (await store()).put(key, body),
    get: async (key) => (await store()).get(key),
    delete: async (key) => (await store()).delete(key),
  };
}
