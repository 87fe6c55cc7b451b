/** An S3 client and a fresh bucket on the test file's moto server. */
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { S3BlobStore } from "../../lib/blob/s3/s3-blob-store.ts";
import { MOTO_CREDENTIALS, MOTO_REGION, type MotoServer } from "./moto.ts";

export const TEST_BUCKET = "tenon-cluster-state-test";

export function motoS3(server: MotoServer): S3Client {
  return new S3Client({ endpoint: server.endpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS, forcePathStyle: true });
}

/** Creates the bucket (moto was reset before the test) and a store under `cluster-state/<cluster>/`. */
export async function motoBlobStore(server: MotoServer, cluster = "test"): Promise<{ client: S3Client; blobs: S3BlobStore }> {
  const client = motoS3(server);
  await client.send(new CreateBucketCommand({ Bucket: TEST_BUCKET })).catch((error: unknown) => {
    if ((error as { name?: string }).name !== "BucketAlreadyOwnedByYou") throw error;
  });
  return { client, blobs: new S3BlobStore({ client, bucket: TEST_BUCKET, prefix: `cluster-state/${cluster}/` }) };
}
