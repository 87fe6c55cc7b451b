import { describe, expect, it } from "vitest";
import { InputError } from "../../lib/errors.ts";
import { clusterStatePrefix, readClusterStateBucket } from "../../lib/wiring/settings.ts";

describe("CLUSTER_STATE_BUCKET", () => {
  it("is optional: unset or blank keeps the snapshot in the table", () => {
    expect(readClusterStateBucket({})).toBeUndefined();
    expect(readClusterStateBucket({ CLUSTER_STATE_BUCKET: "  " })).toBeUndefined();
  });

  it("names the bucket when set", () => {
    expect(readClusterStateBucket({ CLUSTER_STATE_BUCKET: "tenon-state-123456789012-us-east-1" })).toBe("tenon-state-123456789012-us-east-1");
  });

  it("a value that can't be a bucket name is an InputError naming the variable", () => {
    for (const bad of ["Upper", "s3://bucket", "ab", "a..b", "bucket/prefix"]) {
      expect(() => readClusterStateBucket({ CLUSTER_STATE_BUCKET: bad })).toThrow(InputError);
      expect(() => readClusterStateBucket({ CLUSTER_STATE_BUCKET: bad })).toThrow(/^environment: CLUSTER_STATE_BUCKET: /);
    }
  });

  it("keeps each cluster's objects under its own prefix", () => {
    expect(clusterStatePrefix("prod")).toBe("cluster-state/prod/");
  });
});
