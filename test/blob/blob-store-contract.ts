/** What every SnapshotBlobStore adapter must do; each adapter's test file runs it. */
import { expect, it } from "vitest";
import type { SnapshotBlobStore } from "../../lib/ports/blob.ts";

export function blobStoreContract(make: () => Promise<SnapshotBlobStore> | SnapshotBlobStore): void {
  it("returns the bytes that were put, byte for byte", async () => {
    const blobs = await make();
    const body = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);
    await blobs.put("0000000000000042-abc.json.gz", body);
    expect(await blobs.get("0000000000000042-abc.json.gz")).toEqual(body);
  });

  it("a key nobody wrote reads as undefined, not an error", async () => {
    const blobs = await make();
    expect(await blobs.get("never-written.json.gz")).toBeUndefined();
  });

  it("a deleted object reads as undefined, and deleting it again is not an error", async () => {
    const blobs = await make();
    await blobs.put("gone.json.gz", Uint8Array.of(1, 2, 3));
    await blobs.put("kept.json.gz", Uint8Array.of(4));
    await blobs.delete("gone.json.gz");
    await blobs.delete("gone.json.gz");
    expect(await blobs.get("gone.json.gz")).toBeUndefined();
    expect(await blobs.get("kept.json.gz")).toEqual(Uint8Array.of(4));
  });

  it("refuses keys that would escape the prefix", async () => {
    const blobs = await make();
    await expect(blobs.put("../other-cluster/x", Uint8Array.of(1))).rejects.toThrow(/not a relative key/);
    await expect(blobs.get("/absolute")).rejects.toThrow(/not a relative key/);
  });
}
