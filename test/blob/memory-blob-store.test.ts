import { describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../../lib/blob/in-memory/memory-blob-store.ts";
import { blobStoreContract } from "./blob-store-contract.ts";

describe("MemoryBlobStore", () => {
  blobStoreContract(() => new MemoryBlobStore());

  it("a caller changing its buffer after put does not change the stored object", async () => {
    const blobs = new MemoryBlobStore();
    const body = Uint8Array.of(1, 2, 3);
    await blobs.put("k", body);
    body[0] = 9;
    expect(await blobs.get("k")).toEqual(Uint8Array.of(1, 2, 3));
  });
});
