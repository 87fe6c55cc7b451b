/**
 * The blob store on S3: one object per key under `prefix` in `bucket`. Needs s3:PutObject,
 * s3:GetObject and s3:DeleteObject on `arn:aws:s3:::<bucket>/<prefix>*`. Without s3:ListBucket
 * S3 answers a missing key with 403 rather than 404; `get` throws then, and the caller (the
 * cluster-state keeper) treats any failed read as "no usable snapshot".
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { assertBlobKey, type SnapshotBlobStore } from "../../ports/blob.ts";

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key; ends with "/" (e.g. `cluster-state/<cluster>/`). */
  prefix: string;
}

function errorName(error: unknown): string {
  return typeof error === "object" && error !== null && "name" in error ? String((error as { name: unknown }).name) : "";
}

export class S3BlobStore implements SnapshotBlobStore {
  readonly location: string;

  constructor(private readonly options: S3BlobStoreOptions) {
    if (options.prefix !== "" && !options.prefix.endsWith("/")) throw new Error(`S3 blob prefix "${options.prefix}" must end with "/"`);
    this.location = `s3://${options.bucket}/${options.prefix}`;
  }

  private objectKey(key: string): string {
    assertBlobKey(key);
    return this.options.prefix + key;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.options.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key), Body: body }));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.options.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      if (!out.Body) return undefined;
      return await out.Body.transformToByteArray();
    } catch (error) {
      // Only a missing key; a missing bucket (also 404) is a misconfiguration worth surfacing.
      if (errorName(error) === "NoSuchKey") return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.options.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
  }
}
