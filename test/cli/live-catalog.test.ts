/**
 * `--live` reads the region's instance types and offerings from EC2 (here a moto server through
 * AWS_ENDPOINT_URL), so `tenon simulate` plans in a region the bundled catalog does not carry.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MOTO_CREDENTIALS, useMoto } from "../support/moto.ts";
import { docs, nodePoolYaml, podYaml, tenon, workdir } from "../simulate/support.ts";

const moto = useMoto();
const saved: Record<string, string | undefined> = {};
const ENV = ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"];

beforeEach(() => {
  for (const k of ENV) saved[k] = process.env[k];
  process.env["AWS_ENDPOINT_URL"] = moto().endpoint;
  process.env["AWS_ACCESS_KEY_ID"] = MOTO_CREDENTIALS.accessKeyId;
  process.env["AWS_SECRET_ACCESS_KEY"] = MOTO_CREDENTIALS.secretAccessKey;
});
afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe("--live instance types", () => {
  it("plans in a region the bundled catalog lacks, in that region's zones, and says where the types came from", async () => {
    const dir = workdir({ "in.yaml": docs(nodePoolYaml(["{key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}"]), podYaml("p", "1")) });
    const run = await tenon(["simulate", "-f", "in.yaml", "--live", "--region", "ap-southeast-2", "-o", "table"], dir);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/ap-southeast-2[a-c]/);
    expect(run.out).toMatch(/\$\/HOUR: live prices for ap-southeast-2, read \S+: .*; instance types and offerings from EC2;/);
    expect(run.out + run.err).toContain("zones: assumed ap-southeast-2a, ap-southeast-2b, ap-southeast-2c");
    // Without --live the region is refused, naming the way out.
    const offline = await tenon(["simulate", "-f", "in.yaml", "--region", "ap-southeast-2"], dir);
    expect(offline.code).toBe(2);
    expect(offline.err).toContain("not a bundled region");
  });
});
