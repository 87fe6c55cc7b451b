/** The blob store in memory, for the simulated runtime and tests. */
import { assertBlobKey, type SnapshotBlobStore } from "../../ports/blob.ts";

export class MemoryBlobStore implements SnapshotBlobStore {
  readonly location = "memory";
  private readonly objects = new Map<string, Uint8Array>();

  async put(key: string, body: Uint8Array): Promise<void> {
    assertBlobKey(key);
    this.objects.set(key, Uint8Array.from(body));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertBlobKey(key);
    const body = this.objects.get(key);
    return body && Uint8Array.from(body);
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    this.objects.delete(key);
  }

  /** Stored keys, sorted (tests inspect what was kept). */
  keys(): string[] {
    return [...this.objects.keys()].sort();
  }
}
