import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CfnResource, Validations } from "aws-cdk-lib";
import { CfnPolicy } from "aws-cdk-lib/aws-iam";
import { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { AwsSolutionsChecks, NagRuleCompliance, rules } from "cdk-nag";
import type { IConstruct } from "constructs";
import { afterAll, describe, expect, it } from "vitest";
import { buildTestApp, NODE_ROLE } from "./support.ts";

const EVERYTHING = { cluster: "demo", nodeRoleArns: NODE_ROLE, functions: "batcher,provisioner,lifecycle,interruption,consolidator,drift" };

function descendants(root: IConstruct): IConstruct[] {
  return [root, ...root.node.children.flatMap(descendants)];
}

/** Acknowledged rule ids on a construct itself (not its ancestors). */
function acknowledgedOn(construct: IConstruct): string[] {
  return construct.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.keys(m.data as Record<string, string>))
    .map((id) => id.replace(/^annotation::/i, ""));
}

describe("cdk-nag AwsSolutions", () => {
  const outdirs: string[] = [];
  afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("finds nothing unacknowledged in the full stack", () => {
    const { app } = buildTestApp(EVERYTHING);
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const unacknowledged = report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(", ")}`);
    expect(unacknowledged).toEqual([]);
  });

  it("lets the real app (nag plugin registered) synthesize", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "tenon-cdk-"));
    outdirs.push(outdir);
    const { app } = buildTestApp(EVERYTHING, { nag: true, outdir });
    const assembly = app.synth();
    expect(assembly.getStackByName("Tenon-demo").template).toHaveProperty("Resources");
  });

  it("acknowledges only findings that really exist, each with a reason", () => {
    const { app } = buildTestApp(EVERYTHING);
    const acknowledged = descendants(app).flatMap((c) => acknowledgedOn(c).map((id) => ({ construct: c, id })));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { construct, id } of acknowledged) {
      const resources = descendants(construct).filter((c): c is CfnResource => CfnResource.isCfnResource(c));
      const wildcard = /^AwsSolutions-IAM5\[(.+)\]$/.exec(id);
      if (wildcard) {
        const findings = resources
          .filter((r) => r instanceof CfnPolicy)
          .flatMap((r) => {
            const result = rules.iam.IAMNoWildcardPermissions(r);
            return Array.isArray(result) ? result : [];
          });
        expect(findings, `${id} on ${construct.node.path}`).toContain(wildcard[1]);
      } else if (id === "AwsSolutions-S1") {
        const results = resources.filter((r) => r.cfnResourceType === "AWS::S3::Bucket").map((r) => rules.s3.S3BucketLoggingEnabled(r));
        expect(results, `${id} on ${construct.node.path}`).toContain(NagRuleCompliance.NON_COMPLIANT);
      } else if (id === "AwsSolutions-L1") {
        const results = resources.filter((r) => r instanceof CfnFunction).map((r) => rules.lambda.LambdaLatestVersion(r));
        expect(results, `${id} on ${construct.node.path}`).toContain(NagRuleCompliance.NON_COMPLIANT);
      } else {
        throw new Error(`unexpected acknowledgement ${id} on ${construct.node.path}`);
      }
    }
    for (const c of descendants(app)) {
      for (const m of c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)) {
        for (const reason of Object.values(m.data as Record<string, string>)) expect(reason.length).toBeGreaterThan(30);
      }
    }
  });
});
