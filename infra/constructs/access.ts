/**
 * Who may do what: each function's IAM policy (built from its FunctionSpec: its table item types,
 * EC2 capabilities, catalog, node role) and, for functions
 * that talk to Kubernetes, an EKS access entry mapping its role to the group `tenon`, and for the
 * functions that drain and remove nodes also to `tenon-termination` (`kubernetesGroups`). The entry
 * carries no access policy (no cluster-admin): what the groups may do is the RBAC in docs/kubernetes.md.
 */
import { Stack } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as eks from "aws-cdk-lib/aws-eks";
import type * as iam from "aws-cdk-lib/aws-iam";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { FunctionName } from "../config.ts";
import { FUNCTION_SPECS, kubernetesGroups } from "../function-specs.ts";
import { acknowledgeWildcards } from "../nag.ts";
import { catalogSpecs, describeClusterSpec, ec2StatementSpecs, instanceProfileSpecs, passNodeRoleSpec, stackArnScope, tableStatementSpecs, toScopedStatements, type StatementSpec } from "../policies.ts";
import { pascal } from "./functions.ts";

export interface TenonAccessProps {
  readonly cluster: string;
  readonly roles: ReadonlyMap<FunctionName, iam.Role>;
  readonly table: dynamodb.ITable;
  readonly provisionerQueue: sqs.IQueue;
  readonly disruptionQueue: sqs.IQueue;
  readonly nodeRoleArns: readonly string[];
}

export class TenonAccess extends Construct {
  readonly accessEntries: ReadonlyMap<FunctionName, eks.CfnAccessEntry>;

  constructor(scope: Construct, id: string, props: TenonAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const entries = new Map<FunctionName, eks.CfnAccessEntry>();

    for (const [name, role] of props.roles) {
      const spec = FUNCTION_SPECS[name];
      if (spec.sendsToProvisioner) props.provisionerQueue.grantSendMessages(role);
      if (spec.sendsToDisruptionQueue) props.disruptionQueue.grantSendMessages(role);

      const scope = stackArnScope(stack);
      const specs: StatementSpec[] = [...tableStatementSpecs(props.table.tableArn, props.cluster, spec.table), ...ec2StatementSpecs(scope, props.cluster, spec.ec2)];
      // Launching functions resolve NodeClasses, which may make their instance profiles.
      if (spec.ec2.includes("launch")) specs.push(passNodeRoleSpec(props.nodeRoleArns), ...instanceProfileSpecs(scope, props.cluster));
      if (spec.catalog) specs.push(...catalogSpecs(scope));
      if (spec.kubernetes) specs.push(describeClusterSpec(scope, props.cluster));
      const statements = toScopedStatements(specs);
      for (const { statement } of statements) role.addToPrincipalPolicy(statement);
      acknowledgeWildcards(role, statements);

      if (spec.kubernetes) {
        entries.set(
          name,
          new eks.CfnAccessEntry(this, `${pascal(name)}AccessEntry`, {
            clusterName: props.cluster,
            principalArn: role.roleArn,
            type: "STANDARD",
            kubernetesGroups: kubernetesGroups(name),
          }),
        );
      }
    }
    this.accessEntries = entries;
  }
}
