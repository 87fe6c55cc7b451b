/**
 * The bucket for the bound-pod cluster-state snapshot (lib/cluster-state/): one gzip'd object per
 * published generation, a few MB at 50,000 pods. S3 holds it because a PUT of one object costs
 * far less than writing the same bytes as DynamoDB items every minute; the table keeps only the
 * small manifest that says which object is current. Everything in it can be rebuilt from the
 * Kubernetes API, so old objects simply expire.
 */
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";

export interface SnapshotBucketProps {
  readonly cluster: string;
}

/** Where a cluster's snapshots live in the bucket; lib/wiring reads `CLUSTER_STATE_BUCKET`. */
export function snapshotPrefix(cluster: string): string {
  return `cluster-state/${cluster}/`;
}

export class SnapshotBucket extends Construct {
  readonly bucket: s3.Bucket;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: SnapshotBucketProps) {
    super(scope, id);
    this.prefix = snapshotPrefix(props.cluster);
    this.bucket = new s3.Bucket(this, "Bucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // A snapshot is superseded within minutes; a day is plenty for a reader still holding an old manifest.
      lifecycleRules: [{ prefix: this.prefix, expiration: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: "AwsSolutions-S1",
      reason: "The bucket holds only regenerable snapshots of cluster state written by the stack's own roles; S3 access logs would cost more than the data is worth. CloudTrail data events can be enabled if an audit trail is required.",
    });
  }

  /** Read, write and delete the cluster's snapshot objects; list only under its prefix. */
  grantSnapshots(role: iam.IRole): void {
    const objects = `${this.bucket.bucketArn}/${this.prefix}*`;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources: [objects] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [this.bucket.bucketArn], conditions: { StringLike: { "s3:prefix": [`${this.prefix}*`] } } }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.bucketLogicalArn()}>/${this.prefix}*]`,
      reason: "Snapshot objects are named by generation, so the role needs the cluster's whole prefix (and nothing outside it).",
    });
  }

  private bucketLogicalArn(): string {
    const cfn = this.bucket.node.defaultChild as s3.CfnBucket;
    return `${cfn.stack.getLogicalId(cfn)}.Arn`;
  }
}
