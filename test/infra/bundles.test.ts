/**
 * Each Lambda bundles only what it uses (issue 13.6): the batcher's bundle, built the way the stack
 * builds it (esbuild, one ESM file, the AWS SDK included), carries no EC2, Kubernetes or catalog
 * code. Sizes and init times are measured in docs/benchmarks.md, not here.
 */
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

async function bundledInputs(handler: string): Promise<string[]> {
  const result = await build({
    entryPoints: [handler],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs);
}

describe("Lambda bundles", () => {
  it("the batcher carries no EC2, Kubernetes or instance-catalog code", async () => {
    const inputs = await bundledInputs("functions/batcher/handler.ts");
    const heavy = inputs.filter((p) => /@kubernetes\/client-node|@aws-sdk\/client-ec2|@aws-sdk\/client-eks|lib\/cloud\/aws\/|lib\/cluster\/kube\/|lib\/scheduling\//.test(p));
    expect(heavy).toEqual([]);
    expect(inputs.some((p) => p.includes("lib/store/dynamodb/"))).toBe(true);
  });

  it("the provisioner carries the EC2 adapter and the Kubernetes client it launches and reads with", async () => {
    const inputs = await bundledInputs("functions/provisioner/handler.ts");
    expect(inputs.some((p) => p.includes("lib/cloud/aws/aws-cloud.ts"))).toBe(true);
    expect(inputs.some((p) => p.includes("@kubernetes/client-node"))).toBe(true);
  });
});
