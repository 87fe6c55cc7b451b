/**
 * The provisioning loop with the real EC2 adapter (lib/cloud/aws) launching on moto: CreateFleet,
 * launch templates, tags, and the tag lookup that makes a retried launch find its instance. The
 * cluster is simulated (its kubelets join whatever moto launched); the store is in memory here,
 * DynamoDB Local carries the same flow in provisioning-loop.test.ts. moto's CreateFleet always
 * takes the first override, so capacity fallback is covered on the simulated cloud only.
 */
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { AwsCloud } from "../../lib/cloud/aws/aws-cloud.ts";
import { VirtualClock } from "../../lib/cluster/in-memory/virtual-clock.ts";
import type { Store } from "../../lib/ports/store.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { CLUSTER as MOTO_CLUSTER } from "../support/cloud.ts";
import { buildAccount, motoConfig, type MotoAccount } from "../support/moto-env.ts";
import { useMoto } from "../support/moto.ts";
import { addWebWorkload, auditPayloadForUnschedulable, callBatcher, deliver, deliverNextMessages, runningPods, runWithLifecycleTicks, useInstalledRuntime } from "../support/world.ts";

const moto = useMoto();
const install = useInstalledRuntime();

async function motoWorld(replicas: number, store: Store = createMemoryStore({ clusterName: MOTO_CLUSTER })): Promise<{ w: SimulatedWorld; account: MotoAccount }> {
  const account = await buildAccount(moto().endpoint);
  // Moto stamps real launch times, so the world's clock starts at the real time.
  const clock = new VirtualClock(Date.now());
  const cloud = new AwsCloud({ clients: account.clients, config: motoConfig(), clock, unavailable: store });
  const w = simulatedWorld({ clusterName: MOTO_CLUSTER, store, cloud, clock });
  addWebWorkload(w, replicas, { clusterName: MOTO_CLUSTER });
  install(fixedRuntime(w.ports));
  await w.cluster.advance(3_000);
  return { w, account };
}

async function motoInstances(account: MotoAccount): Promise<Array<{ id: string; nodeClaim: string | undefined; type: string | undefined }>> {
  const out = await account.clients.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["pending", "running"] }] }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => ({
    id: i.InstanceId!,
    nodeClaim: i.Tags?.find((t) => t.Key === "karpenter.sh/nodeclaim")?.Value,
    type: i.InstanceType,
  }));
}

describe("provisioning loop launching through the EC2 adapter on moto", () => {
  it("launches one tagged instance per NodeClaim, whose nodes register and run every pod; a redelivered message launches nothing more", async () => {
    const { w, account } = await motoWorld(20);
    await callBatcher(auditPayloadForUnschedulable(w));
    const delivered = await deliverNextMessages(w);

    const records = await w.ports.store.listNodeClaims();
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.phase === "Launched")).toBe(true);
    const instances = await motoInstances(account);
    expect(instances.map((i) => i.nodeClaim).sort()).toEqual(records.map((r) => r.name).sort());
    for (const r of records) {
      expect(instances.find((i) => i.nodeClaim === r.name)?.type).toBe(r.nodeClaim.metadata.labels?.["node.kubernetes.io/instance-type"]);
    }

    await deliver(delivered);
    expect(await motoInstances(account)).toHaveLength(records.length);

    await runWithLifecycleTicks(w, 120_000);
    expect((await w.ports.store.listNodeClaims()).every((r) => r.phase === "Initialized")).toBe(true);
    expect(runningPods(w)).toHaveLength(20);
  });

  it("after a crash between the launch and recording it, the retry finds the instance by its NodeClaim tag instead of launching another", async () => {
    const base = createMemoryStore({ clusterName: MOTO_CLUSTER });
    let crash = true;
    const store: Store = {
      ...base,
      updateNodeClaim: async (name, version, content, nowMs) => {
        if (crash && content.phase === "Launched") {
          crash = false;
          throw new Error("Lambda timed out");
        }
        return base.updateNodeClaim(name, version, content, nowMs);
      },
    };
    const { w, account } = await motoWorld(8, store);
    await callBatcher(auditPayloadForUnschedulable(w));
    await expect(deliverNextMessages(w)).rejects.toThrow("Lambda timed out");
    const afterCrash = await motoInstances(account);

    await deliver([{ id: "again", dueAtMs: w.ports.clock.now(), message: { kind: "batch-ready", firstSeenAtMs: 0, reason: "window-opened" } }]);
    const records = await w.ports.store.listNodeClaims();
    expect(records.every((r) => r.phase === "Launched")).toBe(true);
    expect(await motoInstances(account)).toHaveLength(afterCrash.length);
    expect(afterCrash).toHaveLength(records.length);
  });
});
