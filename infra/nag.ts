/**
 * cdk-nag (AwsSolutions) for the real app, and the acknowledgements Tenon stands behind. Each
 * acknowledgement names the exact finding (`AwsSolutions-IAM5[Resource::<arn>]`), never a whole
 * rule, so a new wildcard added later is still reported.
 */
import { Stack, Validations, type App } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { AwsSolutionsChecks } from "cdk-nag";
import { flattenCfnReference } from "cdk-nag/lib/utils/flatten-cfn-reference.js";
import type { ScopedStatement } from "./policies.ts";

export function addNagChecks(app: App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(checks);
  return checks;
}

/** A resource as cdk-nag prints it: intrinsics flattened to `<AWS::Region>`, `<Logical.Arn>`. */
export function flatResource(scope: IConstruct, resource: string): string {
  return flattenCfnReference(Stack.of(scope).resolve(resource));
}

/** Acknowledges, on `scope`, each wildcard resource of the statements with the statement's reason. */
export function acknowledgeWildcards(scope: IConstruct, statements: readonly ScopedStatement[]): void {
  for (const { statement, wildcardReason } of statements) {
    if (wildcardReason === undefined) continue;
    for (const resource of statement.resources) {
      const flat = flatResource(scope, resource);
      if (!flat.includes("*")) continue;
      Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason: wildcardReason });
    }
  }
}
