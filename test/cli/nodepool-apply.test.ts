/**
 * `tenon nodepool apply|list|delete` through main(), against a real DynamoDB Local table: the
 * command reaches it the way a user's shell would, through AWS_ENDPOINT_URL_DYNAMODB.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { main } from "../../lib/cli/main.ts";
import { createDynamoDbStore } from "../../lib/store/dynamodb/dynamodb-store.ts";
import { useDynamoDbLocalThroughEnv } from "../support/dynamodb-env.ts";
import { recordingIO } from "../support/recording-io.ts";
import { nodePoolYaml } from "../simulate/support.ts";

const CLUSTER = "apply-test";

const NODE_CLASS = `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  role: KarpenterNodeRole-apply-test
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: apply-test}}]
  securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: apply-test}}]
`;
const nodePool = (cpuLimit: string) => nodePoolYaml(["{key: karpenter.sh/capacity-type, operator: In, values: [spot, on-demand]}"], `  limits: {cpu: "${cpuLimit}"}\n`);

const local = useDynamoDbLocalThroughEnv();
let table: string;
let dir: string;

beforeEach(async () => {
  table = await local().createTable();
  dir = mkdtempSync(join(tmpdir(), "tenon-apply-"));
});

async function tenon(...args: string[]) {
  const io = recordingIO(dir);
  const code = await main(["node", "tenon", ...args, "--cluster", CLUSTER, "--table", table], io);
  return { code, out: io.stdout, err: io.stderr };
}

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("tenon nodepool apply", () => {
  it("stores valid NodePools and EC2NodeClasses, reports unchanged on a repeat and configured on a change", async () => {
    const file = write("pool.yaml", `${NODE_CLASS}---\n${nodePool("100")}`);
    const first = await tenon("nodepool", "apply", "-f", file);
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toBe("EC2NodeClass default: created (version 1)\nNodePool default: created (version 1)\n");
    expect((await tenon("nodepool", "apply", "-f", file)).out).toContain("NodePool default: unchanged (version 1)");
    write("pool.yaml", `${NODE_CLASS}---\n${nodePool("200")}`);
    expect((await tenon("nodepool", "apply", "-f", file)).out).toContain("NodePool default: configured (version 2)");

    const store = createDynamoDbStore({ client: local().client, tableName: table, clusterName: CLUSTER });
    const stored = await store.getConfigObject("NodePool", "default");
    expect((stored?.raw as { spec: { limits: { cpu: string } } }).spec.limits.cpu).toBe("200");
  });

  it("writes nothing when any document is invalid, and names the object, field and reason", async () => {
    const file = write("mixed.yaml", `${NODE_CLASS}---\n${nodePool("lots")}`);
    const result = await tenon("nodepool", "apply", "-f", file);
    expect(result.code).toBe(2);
    expect(result.err).toContain('NodePool default: spec.limits.cpu: "lots" is not a quantity');
    expect((await tenon("nodepool", "list", "-o", "json")).out.trim()).toBe("[]");
  });

  it("refuses NodeClaims, which Tenon creates itself", async () => {
    const claim = write("claim.yaml", `apiVersion: karpenter.sh/v1
kind: NodeClaim
metadata: {name: c1}
spec:
  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  requirements: []
`);
    const result = await tenon("nodepool", "apply", "-f", claim);
    expect(result.code).toBe(2);
    expect(result.err).toContain("NodeClaim objects are created by Tenon, not applied");
  });

  it("lists what is stored, re-validated, and deletes by kind and name", async () => {
    await tenon("nodepool", "apply", "-f", write("pool.yaml", `${NODE_CLASS}---\n${nodePool("100")}`));
    const listed = JSON.parse((await tenon("nodepool", "list", "-o", "json")).out) as Array<{ kind: string; name: string; status: string }>;
    expect(listed.map((r) => `${r.kind}/${r.name}: ${r.status}`)).toEqual(["NodePool/default: valid", "EC2NodeClass/default: valid"]);
    expect((await tenon("nodepool", "delete", "NodePool", "default")).out).toBe("NodePool default: deleted\n");
    expect((await tenon("nodepool", "delete", "NodePool", "default")).out).toBe("NodePool default: not found (nothing to delete)\n");
    expect(JSON.parse((await tenon("nodepool", "list", "-o", "json")).out)).toHaveLength(1);
  });
});
