import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { S3BlobStore } from "../../lib/blob/s3/s3-blob-store.ts";
import { useMoto } from "../support/moto.ts";
import { blobStoreContract } from "./blob-store-contract.ts";
import { motoBlobStore, motoS3, TEST_BUCKET } from "../support/s3.ts";

describe("S3BlobStore (moto)", () => {
  const moto = useMoto();
  blobStoreContract(async () => (await motoBlobStore(moto())).blobs);

  it("writes each key under the cluster's prefix, so two clusters share a bucket without meeting", async () => {
    const { client, blobs: prod } = await motoBlobStore(moto(), "prod");
    const { blobs: dev } = await motoBlobStore(moto(), "dev");
    await prod.put("1-a.json.gz", Uint8Array.of(1));
    await dev.put("1-a.json.gz", Uint8Array.of(2));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(["cluster-state/dev/1-a.json.gz", "cluster-state/prod/1-a.json.gz"]);
    const raw = await client.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: "cluster-state/prod/1-a.json.gz" }));
    expect(await raw.Body!.transformToByteArray()).toEqual(Uint8Array.of(1));
    expect(await dev.get("1-a.json.gz")).toEqual(Uint8Array.of(2));
  });

  it("a missing bucket is an error, not an empty snapshot", async () => {
    const blobs = new S3BlobStore({ client: motoS3(moto()), bucket: "no-such-bucket", prefix: "cluster-state/x/" });
    await expect(blobs.get("k")).rejects.toThrow();
  });

  it("a prefix without a trailing slash is refused", () => {
    expect(() => new S3BlobStore({ client: motoS3(moto()), bucket: TEST_BUCKET, prefix: "cluster-state/x" })).toThrow(/must end with/);
  });
});
