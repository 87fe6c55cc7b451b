import type { CfnElement } from "aws-cdk-lib";
import { flattenCfnReference } from "cdk-nag/lib/utils/flatten-cfn-reference.js";
import { describe, expect, it } from "vitest";
import type { FunctionName } from "../../infra/config.ts";
import { NODE_ROLE, resourcesOfType, synthTemplate } from "./support.ts";

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
}

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

const { stack, template } = synthTemplate({ functions: "batcher,provisioner,lifecycle,interruption,consolidator,drift" });

/** Every Allow statement of each function's role, with resources flattened to strings. */
const statementsByFunction = new Map<FunctionName, (Statement & { resources: string[]; actions: string[] })[]>();
{
  const policies = Object.values(resourcesOfType(template, "AWS::IAM::Policy"));
  for (const [name, role] of stack.lambdas.roles) {
    const roleId = stack.getLogicalId(role.node.defaultChild as CfnElement);
    const statements = policies
      .filter((p) => (p.Properties?.["Roles"] as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => (p.Properties?.["PolicyDocument"] as { Statement: Statement[] }).Statement)
      .map((s) => ({ ...s, resources: list(s.Resource).map((r) => flattenCfnReference(r)), actions: list(s.Action) }));
    statementsByFunction.set(name, statements);
  }
}
const all = [...statementsByFunction.values()].flat();
const actionsOf = (name: FunctionName) => new Set(statementsByFunction.get(name)?.flatMap((s) => s.actions));

const EC2_WRITES = ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:CreateTags", "ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"];
const CLUSTER_TAG_CONDITIONS = ["aws:RequestTag/tenon.sh/managed-by", "aws:ResourceTag/tenon.sh/managed-by"];

describe("function IAM policies", () => {
  it("has one policy per function and only Allow statements", () => {
    expect([...statementsByFunction.keys()].sort()).toEqual(["batcher", "consolidator", "drift", "interruption", "lifecycle", "provisioner"]);
    for (const s of all) expect(s.Effect).toBe("Allow");
  });

  it("never grants a wildcard action", () => {
    for (const s of all) for (const action of s.actions) expect(action, `${s.Sid ?? ""} ${action}`).not.toContain("*");
  });

  it("grants `*` resources only to read-only actions that cannot be scoped", () => {
    for (const s of all.filter((s) => s.resources.includes("*"))) {
      // ListStreams: Lambda's poller of the table's stream (drift) needs it; it names no stream.
      for (const action of s.actions) expect(action).toMatch(/^(ec2:Describe[A-Za-z]+|pricing:GetProducts|dynamodb:ListStreams)$/);
    }
  });

  it("scopes every EC2 write to this cluster's tag, except the launch's use of selected images, subnets and groups", () => {
    for (const s of all.filter((s) => s.actions.some((a) => EC2_WRITES.includes(a)))) {
      const tagCondition = Object.values(s.Condition ?? {}).flatMap((block) =>
        Object.entries(block).filter(([key]) => CLUSTER_TAG_CONDITIONS.includes(key)),
      );
      if (tagCondition.length > 0) {
        expect(s.Condition?.["StringEquals"], s.Sid).toBeDefined();
        const required = Object.entries(s.Condition?.["StringEquals"] ?? {}).filter(([key]) => CLUSTER_TAG_CONDITIONS.includes(key));
        expect(required.length, s.Sid).toBeGreaterThan(0);
        for (const [, value] of required) expect(value).toBe("demo");
        continue;
      }
      // No tag condition: only launching into existing, selected resources; never anything a
      // launch creates (instances, volumes, fleets, interfaces, Spot requests).
      expect(s.actions.sort()).toEqual(["ec2:CreateFleet", "ec2:RunInstances"]);
      for (const r of s.resources) expect(r).toMatch(/:(image|snapshot|subnet|security-group|capacity-reservation)\/\*$/);
      // Subnets, security groups and reservations may be shared from another account (RAM).
      for (const r of s.resources.filter((r) => /:(subnet|security-group|capacity-reservation)\//.test(r))) expect(r).toMatch(/^arn:<AWS::Partition>:ec2:<AWS::Region>:\*:/);
    }
  });

  it("lets a launch create instances, network interfaces and Spot requests only when they carry this cluster's tag", () => {
    for (const created of ["instance", "network-interface", "spot-instances-request"]) {
      const creating = all.filter((s) => s.actions.includes("ec2:RunInstances") && s.resources.some((r) => r.endsWith(`:${created}/*`)));
      expect(creating.length, created).toBeGreaterThan(0);
      for (const s of creating) expect(s.Condition).toEqual({ StringEquals: { "aws:RequestTag/tenon.sh/managed-by": "demo" } });
    }
  });

  it("lets only the lifecycle function terminate instances, and only this cluster's", () => {
    const terminators = [...statementsByFunction].filter(([, ss]) => ss.some((s) => s.actions.includes("ec2:TerminateInstances"))).map(([n]) => n);
    expect(terminators).toEqual(["lifecycle"]);
    const terminate = statementsByFunction.get("lifecycle")?.find((s) => s.actions.includes("ec2:TerminateInstances"));
    expect(terminate?.actions).toEqual(["ec2:TerminateInstances"]);
    // Tenon's own tag: Karpenter's and node groups' instances of the same cluster stay out of reach.
    expect(terminate?.Condition).toEqual({ StringEquals: { "aws:ResourceTag/tenon.sh/managed-by": "demo" } });
  });

  it("gives the lifecycle function exactly the clean-up calls: templates and profiles of this cluster only", () => {
    const deleters = [...statementsByFunction].filter(([, ss]) => ss.some((s) => s.actions.includes("iam:DeleteInstanceProfile") || s.actions.includes("ec2:DeleteLaunchTemplate"))).map(([n]) => n);
    expect(deleters).toEqual(["lifecycle"]);
    const lifecycle = statementsByFunction.get("lifecycle") ?? [];
    const templates = lifecycle.find((s) => s.actions.includes("ec2:DeleteLaunchTemplate"));
    expect(templates?.actions).toEqual(["ec2:DeleteLaunchTemplate"]);
    expect(templates?.resources).toEqual(["arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:launch-template/*"]);
    expect(templates?.Condition).toEqual({ StringEquals: { "aws:ResourceTag/tenon.sh/managed-by": "demo" } });
    const profiles = lifecycle.find((s) => s.actions.includes("iam:DeleteInstanceProfile"));
    expect(profiles?.actions.sort()).toEqual(["iam:DeleteInstanceProfile", "iam:RemoveRoleFromInstanceProfile"]);
    expect(profiles?.resources).toEqual(["arn:<AWS::Partition>:iam::<AWS::AccountId>:instance-profile/tenon/<AWS::Region>/demo/*"]);
    expect(profiles?.Condition).toEqual({
      StringEquals: { "aws:ResourceTag/kubernetes.io/cluster/demo": "owned", "aws:ResourceTag/tenon.sh/managed-by": "demo" },
      StringLike: { "aws:ResourceTag/tenon.sh/ec2nodeclass": "*" },
    });
    const iamActions = [...actionsOf("lifecycle")].filter((a) => a.startsWith("iam:")).sort();
    expect(iamActions).toEqual(["iam:DeleteInstanceProfile", "iam:GetInstanceProfile", "iam:ListInstanceProfiles", "iam:RemoveRoleFromInstanceProfile"]);
  });

  it("tags at creation only inside RunInstances, CreateFleet or CreateLaunchTemplate", () => {
    const provisioner = statementsByFunction.get("provisioner") ?? [];
    const tagging = provisioner.filter((s) => s.actions.includes("ec2:CreateTags"));
    expect(tagging).toHaveLength(1);
    expect(tagging[0]?.Condition?.["StringEquals"]).toEqual({
      "aws:RequestTag/tenon.sh/managed-by": "demo",
      "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
    });
  });

  it("lets no function tag an existing instance (no code does; a tag could make an instance terminable)", () => {
    for (const [name, ss] of statementsByFunction) {
      for (const s of ss.filter((s) => s.actions.includes("ec2:CreateTags"))) {
        expect(s.Condition?.["StringEquals"]?.["ec2:CreateAction"], `${name} ${s.Sid ?? ""}`).toEqual(["RunInstances", "CreateFleet", "CreateLaunchTemplate"]);
      }
    }
  });

  it("passes only the given node roles, only to EC2, and only from launching functions", () => {
    const passers: string[] = [];
    for (const [name, ss] of statementsByFunction) {
      for (const s of ss.filter((s) => s.actions.includes("iam:PassRole"))) {
        passers.push(name);
        expect(s.resources).toEqual([NODE_ROLE]);
        expect(s.Condition).toEqual({ StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] } });
      }
    }
    expect(passers.sort()).toEqual(["consolidator", "drift", "provisioner"]);
  });

  it("reads only public AMI parameters and describes only this cluster", () => {
    const ssm = all.filter((s) => s.actions.some((a) => a.startsWith("ssm:")));
    expect(ssm.length).toBeGreaterThan(0);
    for (const s of ssm) {
      expect(s.actions).toEqual(["ssm:GetParameter", "ssm:GetParameters"]);
      expect(s.resources).toEqual(["arn:<AWS::Partition>:ssm:<AWS::Region>::parameter/aws/service/*"]);
    }
    for (const s of all.filter((s) => s.actions.includes("eks:DescribeCluster"))) {
      expect(s.resources).toEqual(["arn:<AWS::Partition>:eks:<AWS::Region>:<AWS::AccountId>:cluster/demo"]);
    }
  });

  it("touches DynamoDB, SQS and CloudWatch Logs only on the stack's own table, queues and log groups", () => {
    const table = stack.getLogicalId(stack.state.table.node.defaultChild as CfnElement);
    for (const s of all) {
      const services = new Set(s.actions.map((a) => a.split(":")[0]));
      if (services.has("dynamodb") && s.actions.some((a) => /^dynamodb:(DescribeStream|GetRecords|GetShardIterator)$/.test(a))) {
        expect(s.resources).toEqual([`<${table}.StreamArn>`]);
      } else if (services.has("dynamodb") && !(s.actions.length === 1 && s.actions[0] === "dynamodb:ListStreams")) {
        expect(s.resources).toEqual([`<${table}.Arn>`]);
      }
      if (services.has("sqs")) for (const r of s.resources) expect(r).toMatch(/^<Queues(Provisioner|Interruption|Disruption)[0-9A-F]{8}\.Arn>$/);
      if (services.has("logs")) for (const r of s.resources) expect(r).toMatch(/^<Functions[A-Za-z]+Logs[0-9A-F]{8}\.Arn>$/);
    }
  });

  it("scopes each function's table access to its item types: the batcher can write the batch window and no NodeClass or NodePool", () => {
    const table = `<${stack.getLogicalId(stack.state.table.node.defaultChild as CfnElement)}.Arn>`;
    /** Whether the function's synthesized policy allows `action` on an item of the partition `pk` (IAM's ForAllValues on LeadingKeys). */
    const allows = (name: FunctionName, action: string, pk: string) =>
      (statementsByFunction.get(name) ?? []).some((s) => {
        if (!s.actions.includes(action) || !s.resources.includes(table)) return false;
        const leading = s.Condition?.["ForAllValues:StringEquals"]?.["dynamodb:LeadingKeys"];
        // Every DynamoDB statement must name its partitions: an unconditioned one would open the table.
        expect(leading, `${name} ${s.Sid ?? ""}`).toBeDefined();
        return list(leading as string | string[]).includes(pk);
      });
    const writes = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"];
    for (const action of writes) {
      expect(allows("batcher", action, "CLUSTER#demo#EC2NODECLASS"), action).toBe(false);
      expect(allows("batcher", action, "CLUSTER#demo#NODEPOOL"), action).toBe(false);
      expect(allows("batcher", action, "CLUSTER#demo#NODECLAIM"), action).toBe(false);
    }
    expect(allows("batcher", "dynamodb:UpdateItem", "CLUSTER#demo#BATCH")).toBe(true);
    expect(allows("batcher", "dynamodb:GetItem", "CLUSTER#demo#EC2NODECLASS")).toBe(false);
    // Nobody's role writes the launch configuration; the provisioner reads it.
    for (const name of statementsByFunction.keys()) for (const action of writes) {
      expect(allows(name, action, "CLUSTER#demo#EC2NODECLASS"), `${name} ${action}`).toBe(false);
      expect(allows(name, action, "CLUSTER#demo#NODEPOOL"), `${name} ${action}`).toBe(false);
    }
    expect(allows("provisioner", "dynamodb:Query", "CLUSTER#demo#EC2NODECLASS")).toBe(true);
    expect(allows("interruption", "dynamodb:PutItem", "CLUSTER#demo#UNAVAILABLE")).toBe(true);
    // It marks an interrupted NodeClaim Terminating; it never touches the batch window or leases.
    expect(allows("interruption", "dynamodb:UpdateItem", "CLUSTER#demo#NODECLAIM")).toBe(true);
    expect(allows("interruption", "dynamodb:UpdateItem", "CLUSTER#demo#BATCH")).toBe(false);
    // No Scan: it names no partition, so LeadingKeys could not hold it.
    expect(all.some((s) => s.actions.includes("dynamodb:Scan"))).toBe(false);
  });

  it("gives each function only the services its job needs", () => {
    const services = (name: FunctionName) => new Set([...actionsOf(name)].map((a) => a.split(":")[0]));
    expect([...services("batcher")].sort()).toEqual(["dynamodb", "logs", "sqs"]);
    expect([...services("interruption")].sort()).toEqual(["dynamodb", "ec2", "eks", "logs", "sqs"]);
    expect([...actionsOf("interruption")].filter((a) => a.startsWith("ec2:")).every((a) => a.startsWith("ec2:Describe"))).toBe(true);
    expect([...services("provisioner")].sort()).toEqual(["dynamodb", "ec2", "eks", "iam", "logs", "pricing", "s3", "sqs", "ssm"]);
    expect(actionsOf("lifecycle").has("ec2:RunInstances")).toBe(false);
    for (const name of ["consolidator", "drift"] as const) {
      expect([...services(name)].sort(), name).toEqual(["dynamodb", "ec2", "eks", "iam", "logs", "pricing", "s3", "sqs", "ssm"]);
      // They launch replacements; the lifecycle function's termination path removes the candidates.
      expect(actionsOf(name).has("ec2:TerminateInstances"), name).toBe(false);
    }
  });

  it("lets only the cache-keeping functions touch the snapshot bucket, and only under the cluster's prefix", () => {
    const users: string[] = [];
    for (const [name, ss] of statementsByFunction) {
      const s3 = ss.filter((s) => s.actions.some((a) => a.startsWith("s3:")));
      if (s3.length === 0) continue;
      users.push(name);
      for (const s of s3) {
        if (s.actions.includes("s3:ListBucket")) {
          expect(s.resources).toEqual([expect.stringMatching(/^<SnapshotsBucket[0-9A-F]{8}\.Arn>$/)]);
          expect(s.Condition).toEqual({ StringLike: { "s3:prefix": ["cluster-state/demo/*"] } });
        } else {
          expect([...s.actions].sort()).toEqual(["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]);
          expect(s.resources).toEqual([expect.stringMatching(/^<SnapshotsBucket[0-9A-F]{8}\.Arn>\/cluster-state\/demo\/\*$/)]);
        }
      }
    }
    expect(users.sort()).toEqual(["consolidator", "drift", "lifecycle", "provisioner"]);
  });

  it("lets only the batcher, the provisioner and interruption send to the provisioner queue; interruption receives only its own", () => {
    const senders = [...statementsByFunction].filter(([, ss]) => ss.some((s) => s.actions.includes("sqs:SendMessage") && s.resources.some((r) => r.startsWith("<QueuesProvisioner")))).map(([n]) => n);
    expect(senders.sort()).toEqual(["batcher", "interruption", "provisioner"]);
    const interruptionSqs = (statementsByFunction.get("interruption") ?? []).filter((s) => s.actions.some((a) => a.startsWith("sqs:")));
    for (const s of interruptionSqs) {
      const queue = s.actions.includes("sqs:SendMessage") ? "QueuesProvisioner" : "QueuesInterruption";
      for (const r of s.resources) expect(r).toMatch(new RegExp(`^<${queue}[0-9A-F]{8}\\.Arn>$`));
    }
  });

  it("lets the consolidator and the drift checker send to the disruption queue, and only the consolidator receive from it", () => {
    const onDisruptionQueue = (action: string) =>
      [...statementsByFunction].filter(([, ss]) => ss.some((s) => s.actions.includes(action) && s.resources.some((r) => /^<QueuesDisruption[0-9A-F]{8}\.Arn>$/.test(r)))).map(([n]) => n);
    expect(onDisruptionQueue("sqs:SendMessage").sort()).toEqual(["consolidator", "drift"]);
    expect(onDisruptionQueue("sqs:ReceiveMessage")).toEqual(["consolidator"]);
    expect(onDisruptionQueue("sqs:DeleteMessage")).toEqual(["consolidator"]);
  });

  it("lets only the drift checker read the table's stream", () => {
    const readers = [...statementsByFunction].filter(([, ss]) => ss.some((s) => s.actions.includes("dynamodb:GetRecords"))).map(([n]) => n);
    expect(readers).toEqual(["drift"]);
  });

  it("lets only the consolidator and the drift checker read and write disruption commands", () => {
    const table = `<${stack.getLogicalId(stack.state.table.node.defaultChild as CfnElement)}.Arn>`;
    const touching = (action: string) =>
      [...statementsByFunction]
        .filter(([, ss]) =>
          ss.some((s) => s.actions.includes(action) && s.resources.includes(table) && list((s.Condition?.["ForAllValues:StringEquals"]?.["dynamodb:LeadingKeys"] ?? []) as string | string[]).includes("CLUSTER#demo#COMMAND")),
        )
        .map(([n]) => n)
        .sort();
    for (const action of ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]) {
      expect(touching(action), action).toEqual(["consolidator", "drift"]);
    }
  });

  it("uses no AWS managed policies", () => {
    for (const role of Object.values(resourcesOfType(template, "AWS::IAM::Role"))) {
      expect(role.Properties?.["ManagedPolicyArns"]).toBeUndefined();
    }
  });
});
