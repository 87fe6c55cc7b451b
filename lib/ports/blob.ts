/**
 * Where large, write-once objects live (today: the bound-pod snapshot, docs/kubernetes.md
 * "Keeping cluster state current"). Keys are relative to the adapter's own prefix, and an object
 * is never rewritten under the same key: a writer picks a fresh key and publishes it elsewhere
 * (the Store's manifest), so a reader that has a key reads one whole object or nothing.
 */
export interface SnapshotBlobStore {
  /** Where the objects go, for logs (e.g. `s3://bucket/cluster-state/prod/`). */
  readonly location: string;
  put(key: string, body: Uint8Array): Promise<void>;
  /** undefined when no object has that key. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
}

/** A relative key: no leading slash, no `..` segment, printable ASCII. */
export function assertBlobKey(key: string): void {
  if (key === "" || key.startsWith("/") || key.split("/").includes("..") || !/^[\x21-\x7e]+$/.test(key) || key.length > 512) {
    throw new Error(`blob key ${JSON.stringify(key)} is not a relative key of printable characters`);
  }
}
