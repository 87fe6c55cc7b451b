/**
 * Tenon beside Karpenter, through the real lifecycle tick and the EC2 adapter on moto: an instance
 * Karpenter launched for the same cluster (its tags, not Tenon's ownership tag) whose Node is
 * Ready, and Karpenter's launch template, survive garbage collection and clean-up; an instance
 * Tenon launched that no NodeClaim owns is collected, unless its Node is Ready.
 */
import { CreateLaunchTemplateCommand, DescribeInstancesCommand, DescribeLaunchTemplatesCommand } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../lib/cluster/in-memory/virtual-clock.ts";
import type { Node } from "../../lib/api/kubernetes.ts";
import { runLifecycle } from "../../lib/lifecycle/lifecycle.ts";
import { CLEANUP_INTERVAL_MS, LAUNCH_TEMPLATE_GRACE_MS } from "../../lib/lifecycle/decisions.ts";
import type { FullPorts } from "../../lib/observe/ports.ts";
import { simulatedWorld } from "../../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { CLUSTER } from "../support/cloud.ts";
import { buildAccount, karpenterInstance, leakInstance, motoCloud, type MotoAccount } from "../support/moto-env.ts";
import { useMoto } from "../support/moto.ts";

const moto = useMoto();

function readyNodeFor(name: string, instanceId: string): Node {
  return {
    metadata: { name, labels: { "kubernetes.io/hostname": name } },
    spec: { providerID: `aws:///us-east-1a/${instanceId}` },
    status: { allocatable: { cpu: "2", memory: "8Gi", pods: "29" }, conditions: [{ type: "Ready", status: "True" }] },
  };
}

async function stateOf(account: MotoAccount, instanceId: string): Promise<string | undefined> {
  const out = await account.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

describe("a lifecycle tick beside Karpenter, on moto", () => {
  it("terminates nothing Karpenter launched and deletes none of its launch templates; collects Tenon's leak unless its Node is Ready", async () => {
    const account = await buildAccount(moto().endpoint);
    const clock = new VirtualClock(Date.now());
    const { cloud } = motoCloud(account, clock);
    const karpenters = await karpenterInstance(account);
    await account.clients.ec2.send(new CreateLaunchTemplateCommand({
      LaunchTemplateName: `karpenter.k8s.aws/${CLUSTER}-default`,
      LaunchTemplateData: { ImageId: account.amiX86, InstanceType: "m5.large" },
      TagSpecifications: [{ ResourceType: "launch-template", Tags: Object.entries({
        "eks:eks-cluster-name": CLUSTER, "karpenter.k8s.aws/ec2nodeclass": "default", [`kubernetes.io/cluster/${CLUSTER}`]: "owned",
      }).map(([Key, Value]) => ({ Key, Value })) }],
    }));
    const leakedReady = await leakInstance(account);
    const leaked = await leakInstance(account);

    const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore(), clock });
    w.cluster.addNode(readyNodeFor("karpenter-node", karpenters));
    w.cluster.addNode(readyNodeFor("tenon-ready-node", leakedReady));
    // The AWS runtime gives the lifecycle the adapter itself.
    const ports: FullPorts = { ...w.ports, cloud };
    // Past the GC grace, the template safety age and the clean-up interval: everything may run.
    await clock.advance(Math.max(LAUNCH_TEMPLATE_GRACE_MS, CLEANUP_INTERVAL_MS) + 60_000);

    const report = await runLifecycle(ports);

    expect(report.terminated).toEqual([leaked]);
    expect(report.spared).toEqual([leakedReady]);
    expect(report.cleanup?.failures).toEqual([]);
    expect(await stateOf(account, karpenters)).toBe("running");
    expect(await stateOf(account, leakedReady)).toBe("running");
    expect(await stateOf(account, leaked)).toMatch(/^(shutting-down|terminated)$/);
    const templates = (await account.clients.ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? [];
    expect(templates.map((t) => t.LaunchTemplateName)).toContain(`karpenter.k8s.aws/${CLUSTER}-default`);
    expect(w.telemetry.total("InstancesSparedReady")).toBe(1);
    expect(w.telemetry.logs.some((l) => l.level === "warn" && l.message.includes(`left instance ${leakedReady} running`) && l.message.includes("Ready"))).toBe(true);
  });
});
