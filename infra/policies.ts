/**
 * Least-privilege IAM statements for the functions, and the single source of the policy shown in
 * docs/iam.md (a test checks that page against `documentedPolicy()`). EC2 and IAM writes are
 * scoped by Tenon's ownership tag `tenon.sh/managed-by` = <cluster> (lib/cloud/aws/tags.ts): a
 * function may only create resources that carry it, and only terminate or delete resources that
 * already carry it, so nothing Karpenter, a node group or a person launched is ever touched. Every
 * statement whose resource needs a wildcard says why, so the cdk-nag acknowledgement is the same
 * sentence.
 *
 * Statements are built as plain policy JSON over an `ArnScope` (CloudFormation tokens in the
 * stack, `${Region}`-style placeholders in the docs), then wrapped for CDK.
 */
import { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { instanceProfilePath } from "../lib/cloud/aws/instance-profile.ts";
import { clusterOwnershipTag, TAG_MANAGED_BY, TAG_NODECLASS } from "../lib/cloud/aws/tags.ts";
import { itemPk, type ItemType } from "../lib/store/keys.ts";
import type { Ec2Capability, FunctionSpec } from "./function-specs.ts";

/**
 * Tenon's ownership tag: every instance, volume, interface, Spot request, fleet, launch template
 * and instance profile Tenon creates carries it with the cluster name, and only Tenon sets it.
 */
export const CLUSTER_TAG = TAG_MANAGED_BY;

/** The parts of an ARN that depend on where the policy lives. */
export interface ArnScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

export type ConditionBlock = Record<string, Record<string, string | string[]>>;

/** One Allow statement as IAM policy JSON. */
export interface StatementJson {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: ConditionBlock;
}

/** A statement, plus the reason for each wildcard in its resources (if any). */
export interface StatementSpec {
  readonly json: StatementJson;
  readonly wildcardReason?: string;
}

/** The same, as a CDK statement (what roles and cdk-nag acknowledgements take). */
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
 * Resources a launch creates and tags in the same request: CreateFleet tags the fleet, instances
 * and volumes; the launch template tags the network interfaces and Spot requests
 * (lib/cloud/aws/launch/template.ts); CreateLaunchTemplate tags the template. Each must carry
 * Tenon's ownership tag.
 */
export const CREATED_BY_LAUNCH = ["fleet", "instance", "volume", "network-interface", "spot-instances-request", "launch-template"] as const;
/** Existing resources a launch uses but does not own, chosen by the EC2NodeClass selectors. */
export const USED_BY_LAUNCH = ["image", "snapshot", "subnet", "security-group", "capacity-reservation"] as const;
/** Resources that belong to AWS, not to an account: their ARNs have no account. */
const ACCOUNTLESS = new Set(["image", "snapshot"]);
/**
 * Resources another account may share through RAM (shared VPCs, shared capacity reservations):
 * their ARNs name the owner's account, so any account is allowed, as Karpenter does.
 */
const SHAREABLE = new Set(["subnet", "security-group", "capacity-reservation"]);
const CREATE_ACTIONS = ["RunInstances", "CreateFleet", "CreateLaunchTemplate"];

export function ec2ResourceArn(scope: ArnScope, resourceType: string): string {
  const account = ACCOUNTLESS.has(resourceType) ? "" : SHAREABLE.has(resourceType) ? "*" : scope.account;
  return `arn:${scope.partition}:ec2:${scope.region}:${account}:${resourceType}/*`;
}

function allow(Sid: string, Action: readonly string[], Resource: readonly string[], Condition?: ConditionBlock): StatementJson {
  return { Sid, Effect: "Allow", Action: [...Action], Resource: [...Resource], ...(Condition ? { Condition } : {}) };
}

export function ec2StatementSpecs(scope: ArnScope, cluster: string, capabilities: readonly Ec2Capability[]): StatementSpec[] {
  const arns = (types: readonly string[]) => types.map((t) => ec2ResourceArn(scope, t));
  const requestTagged = { StringEquals: { [`aws:RequestTag/${CLUSTER_TAG}`]: cluster } };
  const resourceTagged = { StringEquals: { [`aws:ResourceTag/${CLUSTER_TAG}`]: cluster } };
  const out: StatementSpec[] = [];

  if (capabilities.includes("describe")) {
    out.push({
      json: allow("Ec2Describe", EC2_DESCRIBE_ACTIONS, ["*"], { StringEquals: { "aws:RequestedRegion": scope.region } }),
      wildcardReason: "EC2 Describe* actions do not support resource-level permissions; limited to this region by condition.",
    });
  }

  if (capabilities.includes("launch")) {
    out.push(
      {
        json: allow("Ec2LaunchUsingSelectedResources", ["ec2:RunInstances", "ec2:CreateFleet"], arns(USED_BY_LAUNCH)),
        wildcardReason:
          "Images, snapshots, subnets, security groups and capacity reservations are chosen at run time by the EC2NodeClass selectors and only used, never created or changed; subnets, security groups and reservations may be shared from another account (RAM).",
      },
      {
        json: allow("Ec2LaunchFromClusterTemplates", ["ec2:RunInstances", "ec2:CreateFleet"], arns(["launch-template"]), resourceTagged),
        wildcardReason: "Launch templates are created per EC2NodeClass at run time; only templates carrying Tenon's ownership tag for this cluster may be used.",
      },
      {
        json: allow("Ec2CreateClusterTaggedResources", ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"], arns(CREATED_BY_LAUNCH), requestTagged),
        wildcardReason: "New resources have no id before they exist; the request must give them Tenon's ownership tag for this cluster.",
      },
      {
        json: allow("Ec2TagOnCreate", ["ec2:CreateTags"], arns(CREATED_BY_LAUNCH), {
          StringEquals: { [`aws:RequestTag/${CLUSTER_TAG}`]: cluster, "ec2:CreateAction": CREATE_ACTIONS },
        }),
        wildcardReason: "Tags applied while creating a resource (no id yet); only inside RunInstances/CreateFleet/CreateLaunchTemplate and with Tenon's ownership tag.",
      },
    );
  }

  if (capabilities.includes("terminate")) {
    out.push(
      {
        // Tenon's own tag, not the cluster's: Karpenter's and node groups' instances carry those too.
        json: allow("Ec2TerminateTenonInstances", ["ec2:TerminateInstances"], arns(["instance"]), resourceTagged),
        wildcardReason: "Instances are launched at run time; only those Tenon launched for this cluster (its ownership tag) may be terminated.",
      },
      {
        json: allow("Ec2DeleteTenonLaunchTemplates", ["ec2:DeleteLaunchTemplate"], arns(["launch-template"]), resourceTagged),
        wildcardReason: "Launch templates are created per EC2NodeClass at run time; only those Tenon made for this cluster (its ownership tag) may be deleted.",
      },
      // Terminating is clean-up of what the cluster made: the same function (lifecycle) deletes
      // the instance profiles of NodeClasses that are gone.
      ...instanceProfileCleanupSpecs(scope, cluster),
    );
  }
  return out;
}

/**
 * Where the EC2 adapter keeps the instance profiles it makes for NodeClasses that name a `role`
 * (lib/cloud/aws/instance-profile.ts): one IAM path per region and cluster.
 */
export function instanceProfileArnPattern(scope: ArnScope, cluster: string): string {
  return `arn:${scope.partition}:iam::${scope.account}:instance-profile${instanceProfilePath({ clusterName: cluster, region: scope.region })}*`;
}

/**
 * Both the launching functions and clean-up read profiles: list by path, get one (its roles and
 * tags). Reads are granted on every profile, as Karpenter does: IAM may evaluate GetInstanceProfile
 * against an ARN without the path, which a path-scoped grant would deny.
 */
function readInstanceProfilesSpec(scope: ArnScope): StatementSpec {
  return {
    json: allow("ReadInstanceProfiles", ["iam:GetInstanceProfile", "iam:ListInstanceProfiles"], [`arn:${scope.partition}:iam::${scope.account}:instance-profile/*`]),
    wildcardReason: "Listing is by path prefix, which IAM does not evaluate as a resource, and IAM may check a read against the ARN without its path; read-only.",
  };
}

/**
 * Instance profiles for NodeClasses with a `role`: created under this cluster's path and only with
 * Tenon's ownership tag; roles swapped and tags updated only on profiles that carry it. No other IAM write.
 */
export function instanceProfileSpecs(scope: ArnScope, cluster: string): StatementSpec[] {
  const profiles = [instanceProfileArnPattern(scope, cluster)];
  const reason = "Instance profiles are made per EC2NodeClass at run time; only under this cluster's IAM path.";
  return [
    readInstanceProfilesSpec(scope),
    {
      json: allow("CreateClusterInstanceProfiles", ["iam:CreateInstanceProfile", "iam:TagInstanceProfile"], profiles, {
        StringEquals: { [`aws:RequestTag/${CLUSTER_TAG}`]: cluster },
      }),
      wildcardReason: `${reason} The request must give them Tenon's ownership tag for this cluster.`,
    },
    {
      // The ownership tag itself may be restated but never changed to another cluster.
      json: allow("ManageClusterInstanceProfiles", ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile"], profiles, {
        StringEquals: { [`aws:ResourceTag/${CLUSTER_TAG}`]: cluster },
        StringEqualsIfExists: { [`aws:RequestTag/${CLUSTER_TAG}`]: cluster },
      }),
      wildcardReason: `${reason} Only profiles that already carry Tenon's ownership tag for this cluster.`,
    },
  ];
}

/**
 * Clean-up of instance profiles whose EC2NodeClass is gone (lib/lifecycle/lifecycle.ts): list
 * this cluster's path, then take the role out and delete, only under that path and only profiles
 * tagged as owned by this cluster, for this cluster and for a NodeClass (tags IAM checks on
 * instance profiles; lib/cloud/aws/instance-profile.ts sets all three).
 */
export function instanceProfileCleanupSpecs(scope: ArnScope, cluster: string): StatementSpec[] {
  return [
    readInstanceProfilesSpec(scope),
    {
      json: allow("DeleteOrphanedClusterInstanceProfiles", ["iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"], [instanceProfileArnPattern(scope, cluster)], {
        StringEquals: { [`aws:ResourceTag/${clusterOwnershipTag(cluster)}`]: "owned", [`aws:ResourceTag/${CLUSTER_TAG}`]: cluster },
        StringLike: { [`aws:ResourceTag/${TAG_NODECLASS}`]: "*" },
      }),
      wildcardReason: "Instance profiles are made per EC2NodeClass at run time; only those under this cluster's IAM path that carry Tenon's ownership tag may be deleted.",
    },
  ];
}

/** iam:PassRole for the node roles only, and only to EC2 (instance profiles at launch; EC2's name in the China partitions too). */
export function passNodeRoleSpec(nodeRoleArns: readonly string[]): StatementSpec {
  return { json: allow("PassNodeRole", ["iam:PassRole"], nodeRoleArns, { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] } }) };
}

/** AMI ids (EKS-optimized, Bottlerocket, ...) from the public SSM parameters, and prices. */
export function catalogSpecs(scope: ArnScope): StatementSpec[] {
  return [
    {
      json: allow("ReadPublicAmiParameters", ["ssm:GetParameter", "ssm:GetParameters"], [`arn:${scope.partition}:ssm:${scope.region}::parameter/aws/service/*`]),
      wildcardReason: "AMI aliases resolve through AWS-owned public parameters under /aws/service/; the exact path depends on the EC2NodeClass.",
    },
    {
      json: allow("ReadPrices", ["pricing:GetProducts"], ["*"]),
      wildcardReason: "The Price List API does not support resource-level permissions.",
    },
  ];
}

/** The cluster's endpoint and certificate authority, to talk to its Kubernetes API. */
export function describeClusterSpec(scope: ArnScope, cluster: string): StatementSpec {
  return { json: allow("DescribeCluster", ["eks:DescribeCluster"], [`arn:${scope.partition}:eks:${scope.region}:${scope.account}:cluster/${cluster}`]) };
}

/** Item reads: every read call the DynamoDB store makes (no Scan: it names no partition). */
export const TABLE_READ_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:Query"] as const;
/** Item writes: every write call the DynamoDB store makes. */
export const TABLE_WRITE_ACTIONS = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"] as const;

/**
 * The state table, scoped per item type: each type lives in a partition of its own
 * (`CLUSTER#<cluster>#<TYPE>`, lib/state/keys.ts), and IAM's `dynamodb:LeadingKeys` holds every key
 * of a request to the partitions the function's spec names. ForAllValues: a batch request may
 * name several keys, all must be allowed. A function reads and writes only the types it uses, so
 * a compromised batcher can't plant a NodePool or EC2NodeClass the provisioner would launch from.
 */
export function tableStatementSpecs(tableArn: string, cluster: string, access: FunctionSpec["table"]): StatementSpec[] {
  const scoped = (Sid: string, actions: readonly string[], types: readonly ItemType[]): StatementSpec[] =>
    types.length === 0 ? [] : [{ json: allow(Sid, actions, [tableArn], { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": types.map((t) => itemPk(cluster, t)) } }) }];
  return [...scoped("TableRead", TABLE_READ_ACTIONS, access.read), ...scoped("TableWrite", TABLE_WRITE_ACTIONS, access.write)];
}

/** The stack's own partition, region and account (CloudFormation pseudo parameters unless set). */
export function stackArnScope(stack: Stack): ArnScope {
  return { partition: stack.partition, region: stack.region, account: stack.account };
}

export function toScopedStatements(specs: readonly StatementSpec[]): ScopedStatement[] {
  return specs.map(({ json, wildcardReason }) => ({
    statement: iam.PolicyStatement.fromJson(json),
    ...(wildcardReason !== undefined ? { wildcardReason } : {}),
  }));
}

/** Placeholders docs/iam.md uses for what differs per installation. */
export const DOCUMENTED_SCOPE: ArnScope = { partition: "aws", region: "${Region}", account: "${AccountId}" };
export const DOCUMENTED_CLUSTER = "${ClusterName}";
export const DOCUMENTED_NODE_ROLE = "${NodeRoleArn}";

/**
 * The policy docs/iam.md shows: one role that may do everything the functions do between them
 * (every EC2 capability, the catalog, the node role and the cluster's endpoint). The stack gives
 * each function only its own part of it, by its FunctionSpec. DynamoDB and SQS access come from
 * the stack's grants on its own table and queues and are not part of this document.
 */
export function documentedPolicy(): { Version: "2012-10-17"; Statement: StatementJson[] } {
  const specs = [
    ...ec2StatementSpecs(DOCUMENTED_SCOPE, DOCUMENTED_CLUSTER, ["describe", "launch", "terminate"]),
    passNodeRoleSpec([DOCUMENTED_NODE_ROLE]),
    ...instanceProfileSpecs(DOCUMENTED_SCOPE, DOCUMENTED_CLUSTER),
    ...catalogSpecs(DOCUMENTED_SCOPE),
    describeClusterSpec(DOCUMENTED_SCOPE, DOCUMENTED_CLUSTER),
  ];
  // Functions share a statement (reading the instance profiles); the one role needs it once.
  const seen = new Set<string>();
  const unique = specs.map((s) => s.json).filter((json) => {
    const key = JSON.stringify([json.Action, json.Resource, json.Condition ?? null]);
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return { Version: "2012-10-17", Statement: unique };
}
