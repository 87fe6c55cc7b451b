import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { describe } from "vitest";
import { useMoto } from "../support/moto.ts";
import { motoBlobStore, TEST_BUCKET } from "../support/s3.ts";
import { blobKeeperContract } from "./blob-keeper-contract.ts";

describe("cluster-state keeper on S3 (moto)", () => {
  const moto = useMoto();
  blobKeeperContract(async () => {
    const prefix = "cluster-state/test/";
    const { client, blobs } = await motoBlobStore(moto(), "test");
    return {
      blobs,
      keys: async () => {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: prefix }));
        return (listed.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
      },
    };
  });
});
