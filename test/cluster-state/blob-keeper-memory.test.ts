import { describe } from "vitest";
import { MemoryBlobStore } from "../../lib/blob/in-memory/memory-blob-store.ts";
import { blobKeeperContract } from "./blob-keeper-contract.ts";

describe("cluster-state keeper on the in-memory blob store", () => {
  blobKeeperContract(async () => {
    const blobs = new MemoryBlobStore();
    return { blobs, keys: async () => blobs.keys() };
  });
});
