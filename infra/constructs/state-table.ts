/**
 * The one DynamoDB table every function shares: `pk` = `CLUSTER#<name>`, `sk` by record type,
 * items expire through the `expiresAt` TTL attribute (epoch seconds). It holds the cluster's
 * in-flight NodeClaims and leases, so it outlives the stack: retained on delete, deletion
 * protection on, point-in-time recovery on. Its stream (keys only) wakes the drift checker when a
 * NodePool or EC2NodeClass item changes (infra/constructs/rules.ts filters it to those partitions).
 */
import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { TABLE_SCHEMA } from "../../lib/store/dynamodb/table.ts";

export interface StateTableProps {
  readonly tableName: string;
}

export class StateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, "Table", {
      tableName: props.tableName,
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      // The keys say which partition changed; the drift checker re-reads the items itself.
      stream: dynamodb.StreamViewType.KEYS_ONLY,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
