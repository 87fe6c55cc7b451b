/**
 * Least-privilege IAM statements for the functions. EC2 writes are scoped by the cluster tag
 * `eks:eks-cluster-name`: a function may only create resources that carry this cluster's tag, and
 * only tag, terminate or delete resources that already carry it. Every statement whose resource
 * needs a wildcard says why, so the cdk-nag acknowledgement is the same sentence.
 */
import { ArnFormat, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { TAG_EKS_CLUSTER, TAG_NODEPOOL } from "../lib/cloud/aws/tags.ts";
import type { Ec2Capability } from "./function-specs.ts";

/** The tag every instance, volume, fleet and launch template of this cluster carries. */
export const CLUSTER_TAG = TAG_EKS_CLUSTER;

/** A statement, plus the reason for each wildcard in its resources (if any). */
export interface ScopedStatement {
  readonly statement: iam.PolicyStatement;
  readonly wildcardReason?: string;
}

/** EC2 read actions; none of them supports resource-level permissions, so they need `*`. */
export const EC2_DESCRIBE_ACTIONS = [
  "ec2:DescribeAvailabilityZones",
  "ec2:DescribeCapacityReservations",
  "ec2:DescribeImages",
  "ec2:DescribeInstanceTypeOfferings",
  "ec2:DescribeInstanceTypes",
  "ec2:DescribeInstances",
  "ec2:DescribeLaunchTemplates",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSpotPriceHistory",
  "ec2:DescribeSubnets",
] as const;

/**
 * Resources a launch creates and tags in the same request (CreateFleet tags the fleet, instances
 * and volumes; CreateLaunchTemplate tags the template): each must carry the cluster tag.
 */
const CREATED_BY_LAUNCH = ["fleet", "instance", "volume", "launch-template"];
/**
 * Existing resources a launch uses but does not own (chosen by the EC2NodeClass selectors), and
 * the network interfaces and Spot requests a launch creates untagged. Allowing these without a
 * tag condition never allows an untagged launch: every launch creates an instance, and the
 * instance must carry the cluster tag.
 */
const USED_BY_LAUNCH = ["image", "snapshot", "subnet", "security-group", "capacity-reservation", "network-interface", "spot-instances-request"];
/** Resources that belong to AWS, not to an account: their ARNs have no account. */
const ACCOUNTLESS = new Set(["image", "snapshot"]);

export function ec2ResourceArn(stack: Stack, resourceType: string): string {
  return stack.formatArn({
    service: "ec2",
    resource: resourceType,
    resourceName: "*",
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    ...(ACCOUNTLESS.has(resourceType) ? { account: "" } : {}),
  });
}

export function ec2Statements(stack: Stack, cluster: string, capabilities: readonly Ec2Capability[]): ScopedStatement[] {
  const arns = (types: readonly string[]) => types.map((t) => ec2ResourceArn(stack, t));
  const requestTagged = { StringEquals: { [`aws:RequestTag/${CLUSTER_TAG}`]: cluster } };
  const resourceTagged = { StringEquals: { [`aws:ResourceTag/${CLUSTER_TAG}`]: cluster } };
  const out: ScopedStatement[] = [];

  if (capabilities.includes("describe")) {
    out.push({
      statement: new iam.PolicyStatement({
        sid: "Ec2Describe",
        actions: [...EC2_DESCRIBE_ACTIONS],
        resources: ["*"],
        conditions: { StringEquals: { "aws:RequestedRegion": stack.region } },
      }),
      wildcardReason: "EC2 Describe* actions do not support resource-level permissions; limited to this region by condition.",
    });
  }

  if (capabilities.includes("launch")) {
    out.push(
      {
        statement: new iam.PolicyStatement({
          sid: "Ec2LaunchUsingSelectedResources",
          actions: ["ec2:RunInstances", "ec2:CreateFleet"],
          resources: arns(USED_BY_LAUNCH),
        }),
        wildcardReason:
          "Images, snapshots, subnets, security groups and capacity reservations are chosen at run time by the EC2NodeClass selectors and only used; interfaces and Spot requests are created untagged alongside an instance that must carry the cluster tag.",
      },
      {
        statement: new iam.PolicyStatement({
          sid: "Ec2LaunchFromClusterTemplates",
          actions: ["ec2:RunInstances", "ec2:CreateFleet"],
          resources: arns(["launch-template"]),
          conditions: resourceTagged,
        }),
        wildcardReason: "Launch templates are created per EC2NodeClass at run time; only templates tagged with this cluster may be used.",
      },
      {
        statement: new iam.PolicyStatement({
          sid: "Ec2CreateClusterTaggedResources",
          actions: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
          resources: arns(CREATED_BY_LAUNCH),
          conditions: requestTagged,
        }),
        wildcardReason: "New resources have no id before they exist; the request must tag them with this cluster.",
      },
      {
        statement: new iam.PolicyStatement({
          sid: "Ec2TagOnCreate",
          actions: ["ec2:CreateTags"],
          resources: arns(CREATED_BY_LAUNCH),
          conditions: {
            StringEquals: {
              [`aws:RequestTag/${CLUSTER_TAG}`]: cluster,
              "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
            },
          },
        }),
        wildcardReason: "Tags applied while creating a resource (no id yet); only inside RunInstances/CreateFleet/CreateLaunchTemplate and with the cluster tag.",
      },
    );
  }

  if (capabilities.includes("tag")) {
    out.push({
      statement: new iam.PolicyStatement({
        sid: "Ec2TagClusterInstances",
        actions: ["ec2:CreateTags"],
        resources: arns(["instance"]),
        // The cluster tag itself may be restated but never changed to another cluster.
        conditions: {
          ...resourceTagged,
          StringEqualsIfExists: { [`aws:RequestTag/${CLUSTER_TAG}`]: cluster },
        },
      }),
      wildcardReason: "Instances are launched at run time; only instances already tagged with this cluster may be tagged.",
    });
  }

  if (capabilities.includes("terminate")) {
    out.push(
      {
        statement: new iam.PolicyStatement({
          sid: "Ec2TerminateClusterNodePoolInstances",
          actions: ["ec2:TerminateInstances"],
          resources: arns(["instance"]),
          // A NodePool tag too: node-group instances of the same cluster may carry the cluster tag.
          conditions: { ...resourceTagged, StringLike: { [`aws:ResourceTag/${TAG_NODEPOOL}`]: "*" } },
        }),
        wildcardReason: "Instances are launched at run time; only those tagged with this cluster and a NodePool may be terminated.",
      },
      {
        statement: new iam.PolicyStatement({
          sid: "Ec2DeleteClusterLaunchTemplates",
          actions: ["ec2:DeleteLaunchTemplate"],
          resources: arns(["launch-template"]),
          conditions: resourceTagged,
        }),
        wildcardReason: "Launch templates are created per EC2NodeClass at run time; only those tagged with this cluster may be deleted.",
      },
    );
  }
  return out;
}

/** iam:PassRole for the node roles only, and only to EC2 (instance profiles at launch). */
export function passNodeRoleStatement(nodeRoleArns: readonly string[]): ScopedStatement {
  return {
    statement: new iam.PolicyStatement({
      sid: "PassNodeRole",
      actions: ["iam:PassRole"],
      resources: [...nodeRoleArns],
      conditions: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
    }),
  };
}

/** AMI ids (EKS-optimized, Bottlerocket, ...) from the public SSM parameters, and prices. */
export function catalogStatements(stack: Stack): ScopedStatement[] {
  return [
    {
      statement: new iam.PolicyStatement({
        sid: "ReadPublicAmiParameters",
        actions: ["ssm:GetParameter", "ssm:GetParameters"],
        resources: [
          stack.formatArn({ service: "ssm", account: "", resource: "parameter", resourceName: "aws/service/*", arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
        ],
      }),
      wildcardReason: "AMI aliases resolve through AWS-owned public parameters under /aws/service/; the exact path depends on the EC2NodeClass.",
    },
    {
      statement: new iam.PolicyStatement({ sid: "ReadPrices", actions: ["pricing:GetProducts"], resources: ["*"] }),
      wildcardReason: "The Price List API does not support resource-level permissions.",
    },
  ];
}

/** The cluster's endpoint and certificate authority, to talk to its Kubernetes API. */
export function describeClusterStatement(stack: Stack, cluster: string): ScopedStatement {
  return {
    statement: new iam.PolicyStatement({
      sid: "DescribeCluster",
      actions: ["eks:DescribeCluster"],
      resources: [stack.formatArn({ service: "eks", resource: "cluster", resourceName: cluster, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
    }),
  };
}
