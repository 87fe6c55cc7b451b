/** The interruption EventBridge rules, created in moto exactly as exported, deliver to SQS and are classified. */
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { classifyInterruptionMessage } from "../../../lib/cloud/aws/interruption/classify.ts";
import { eventPatternJson, INTERRUPTION_RULES } from "../../../lib/cloud/aws/interruption-rules.ts";
import { MOTO_CREDENTIALS, MOTO_REGION, useMoto } from "../../support/moto.ts";
import { event } from "../../support/cloud.ts";

const moto = useMoto();

describe("interruption events through EventBridge and SQS (moto)", () => {
  it("delivers each interruption kind to the queue and nothing else", async () => {
    const config = { region: MOTO_REGION, endpoint: moto().endpoint, credentials: MOTO_CREDENTIALS };
    const sqs = new SQSClient(config);
    const events = new EventBridgeClient(config);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "tenon-interruption" }))).QueueUrl!;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    for (const rule of INTERRUPTION_RULES) {
      await events.send(new PutRuleCommand({ Name: `tenon-${rule.name}`, EventPattern: eventPatternJson(rule) }));
      await events.send(new PutTargetsCommand({ Rule: `tenon-${rule.name}`, Targets: [{ Id: "queue", Arn: queueArn }] }));
    }
    const sent = [
      event("aws.ec2", "EC2 Spot Instance Interruption Warning", { "instance-id": "i-0000000000000001", "instance-action": "terminate" }),
      event("aws.ec2", "EC2 Instance Rebalance Recommendation", { "instance-id": "i-0000000000000002" }),
      event("aws.ec2", "EC2 Instance State-change Notification", { "instance-id": "i-0000000000000003", state: "stopping" }),
      event("aws.health", "AWS Health Event", { service: "EC2", eventTypeCategory: "scheduledChange", affectedEntities: [{ entityValue: "i-0000000000000004" }] }),
      event("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning", { "instance-id": "i-0000000000000005" }),
      event("aws.s3", "Object Created", { bucket: { name: "b" } }),
    ];
    const put = await events.send(new PutEventsCommand({
      Entries: sent.map((e) => ({ Source: e.source, DetailType: e["detail-type"], Detail: JSON.stringify(e.detail), Time: new Date(e.time) })),
    }));
    expect(put.FailedEntryCount ?? 0).toBe(0);
    const bodies: string[] = [];
    for (let i = 0; i < 5 && bodies.length < 5; i++) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      bodies.push(...(got.Messages ?? []).map((m) => m.Body!));
    }
    const classified = bodies.map((b) => classifyInterruptionMessage(b));
    expect(classified.every((c) => c.ok)).toBe(true);
    const summary = classified.map((c) => (c.ok ? `${c.kind}:${c.action}:${c.instanceIds.join(",")}` : c.reason)).sort();
    expect(summary).toEqual([
      "capacity-reservation-interruption:mark-unavailable+cordon-and-drain:i-0000000000000005",
      "rebalance-recommendation:event-only:i-0000000000000002",
      "scheduled-change:cordon-and-drain:i-0000000000000004",
      "spot-interruption:mark-unavailable+cordon-and-drain:i-0000000000000001",
      "state-change:cordon-and-drain:i-0000000000000003",
    ]);
  });
});
