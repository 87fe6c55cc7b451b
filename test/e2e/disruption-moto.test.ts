/**
 * Disruption and interruption with the real EC2 adapter (lib/cloud/aws) on a moto server linked to
 * the simulated cluster, the state in DynamoDB Local, through the real handlers: an under-used node
 * replaced by a cheaper one, an AMI release rolled out by drift, a Spot interruption replaced.
 * Each ends with no instance left running in moto but the nodes' own (DescribeInstances), one
 * instance per NodeClaim (no double launch), and no node left tainted; one flow is crashed after the
 * replacement's launch and after the terminate call with every invocation duplicated, so the retry
 * must find its instance by the NodeClaim tag (moto launches a second instance for a CreateFleet
 * that repeats a client token, where EC2 would answer with the first fleet; so on moto the tag
 * lookup alone keeps the retry from launching twice). One moto server and one DynamoDB Local for the file.
 */
import { DescribeImagesCommand, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { aliasParameters } from "../../lib/cloud/aws/ami-alias.ts";
import { AwsCloud } from "../../lib/cloud/aws/aws-cloud.ts";
import { simulatedInterruptionEvent } from "../../lib/cloud/in-memory/events.ts";
import { VirtualClock } from "../../lib/cluster/in-memory/virtual-clock.ts";
import { fixedRuntime } from "../../lib/wiring/base.ts";
import { simulatedWorld, type SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { nodeClassObject, nodePoolObject } from "../support/builders.ts";
import { CLUSTER as MOTO_CLUSTER } from "../support/cloud.ts";
import { buildAccount, K8S_VERSION, motoConfig, SSM_PREFIX, type MotoAccount } from "../support/moto-env.ts";
import { useMoto } from "../support/moto.ts";
import { callInterruption, ON_DEMAND_ONLY, runningPods, useDynamoDbStores, useInstalledRuntime } from "../support/world.ts";
import { type CrashPoint, deployment, ROLLING, run, settle, tainted, underUsedLater, withCrash } from "./disruption-support.ts";

const moto = useMoto();
const newStore = useDynamoDbStores(MOTO_CLUSTER);
const install = useInstalledRuntime();
const SPOT_ONLY = [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }];

async function motoWorld(requirements: unknown[], nodePoolExtra: Record<string, unknown> = {}): Promise<{ w: SimulatedWorld; account: MotoAccount }> {
  const account = await buildAccount(moto().endpoint);
  const store = await newStore();
  // Moto stamps real launch times, so the world's clock starts at the real time.
  const clock = new VirtualClock(Date.now());
  const cloud = new AwsCloud({ clients: account.clients, config: motoConfig(), clock, unavailable: store });
  const w = simulatedWorld({ clusterName: MOTO_CLUSTER, store, cloud, clock });
  w.cluster.putCustomObject("NodePool", nodePoolObject("default", requirements, nodePoolExtra));
  w.cluster.putCustomObject("EC2NodeClass", nodeClassObject(MOTO_CLUSTER));
  install(fixedRuntime(w.ports));
  return { w, account };
}

interface MotoInstance {
  id: string;
  state: string;
  nodeClaim: string | undefined;
  imageId: string | undefined;
  lifecycle: string | undefined;
}

/** Every instance moto holds, whatever its state, as DescribeInstances reports it. */
async function motoInstances(account: MotoAccount): Promise<MotoInstance[]> {
  const out = await account.clients.ec2.send(new DescribeInstancesCommand({}));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => ({
    id: i.InstanceId!,
    state: i.State?.Name ?? "",
    nodeClaim: i.Tags?.find((t) => t.Key === "karpenter.sh/nodeclaim")?.Value,
    imageId: i.ImageId,
    lifecycle: i.InstanceLifecycle,
  }));
}

const instanceIdOf = (providerId: string | undefined) => providerId?.split("/").pop() ?? "";

/**
 * The end state every flow must reach: the instances moto still runs are exactly the Nodes' ones;
 * no NodeClaim ever got two instances; no record is left without its Node; no node is tainted; no
 * command is in flight.
 */
async function expectClean(w: SimulatedWorld, account: MotoAccount): Promise<void> {
  const all = await motoInstances(account);
  const live = all.filter((i) => ["pending", "running", "stopping", "stopped"].includes(i.state)).map((i) => i.id).sort();
  expect(live).toEqual(w.cluster.nodes().map((n) => instanceIdOf(n.spec.providerID)).sort());
  const claims = all.map((i) => i.nodeClaim);
  expect(new Set(claims).size, `instances per NodeClaim: ${claims.join(", ")}`).toBe(claims.length);
  // Each record points at its own instance, tagged with the record's name.
  const records = await w.ports.store.listNodeClaims();
  expect(records.map((r) => instanceIdOf(r.nodeClaim.status?.providerID)).sort()).toEqual(live);
  for (const r of records) expect(all.find((i) => i.id === instanceIdOf(r.nodeClaim.status?.providerID))?.nodeClaim).toBe(r.name);
  expect(tainted(w)).toEqual([]);
  expect(await w.ports.store.listDisruptionCommands()).toEqual([]);
}

// Each flow runs many minutes of virtual time against moto: minutes of real time on two busy cores.
describe("disruption with the EC2 adapter on moto, state in DynamoDB Local", { timeout: 240_000 }, () => {
  it("replaces an under-used node with a cheaper instance, terminates the old one, and launches nothing else", async () => {
    const { w, account } = await motoWorld(ON_DEMAND_ONLY);
    const { original, originalType } = await underUsedLater(w);
    expect((await motoInstances(account)).map((i) => i.id)).toEqual([instanceIdOf(original.spec.providerID)]);

    w.cluster.scaleWorkload("default", "big", 0);
    const loop = await run(w, 600_000, {
      check: () => {
        // A small pod is never pending for want of a node: a Ready untainted node has room for it.
        const pending = w.cluster.pods().filter((p) => p.metadata.labels?.app === "small" && !p.spec.nodeName);
        if (pending.length > 0) expect(w.cluster.nodes().some((n) => n.metadata.name !== original.metadata.name && n.metadata.labels?.["karpenter.sh/initialized"] === "true")).toBe(true);
      },
    });

    expect(loop.consolidator.find((r) => r.decided)?.decided).toBe("single-node-consolidation");
    expect(w.cluster.node(original.metadata.name)).toBeUndefined();
    const nodes = w.cluster.nodes();
    expect(nodes).toHaveLength(1);
    expect(nodes[0]!.metadata.labels!["node.kubernetes.io/instance-type"]).not.toBe(originalType);
    expect(runningPods(w).filter((p) => p.metadata.labels?.app === "small").map((p) => p.spec.nodeName)).toEqual([nodes[0]!.metadata.name, nodes[0]!.metadata.name]);
    const all = await motoInstances(account);
    // Two instances in all: the original (terminated) and its one replacement.
    expect(all.map((i) => [i.id, i.state === "running" || i.state === "pending" ? "live" : "gone"]).sort()).toEqual(
      [[instanceIdOf(original.spec.providerID), "gone"], [instanceIdOf(nodes[0]!.spec.providerID), "live"]].sort(),
    );
    await expectClean(w, account);
  });

  it("survives a crash after the replacement's launch and after the terminate call, every invocation duplicated: one replacement instance, nothing leaked", async () => {
    const { w, account } = await motoWorld(ON_DEMAND_ONLY);
    let armed = false;
    const points: CrashPoint[] = [
      { name: "after the replacement launch, before its record says so", port: "cloud", method: "create", after: true },
      { name: "after the terminate call", port: "cloud", method: "delete", after: true },
    ];
    const hits = points.map(() => ({ n: 0, crashed: false }));
    const cloud = points.reduce((c, point, i) => withCrash(c, point, () => armed, hits[i]!), w.ports.cloud);
    install(fixedRuntime({ ...w.ports, cloud }));
    const { original } = await underUsedLater(w);

    w.cluster.scaleWorkload("default", "big", 0);
    armed = true;
    const crashes = { count: 0 };
    await run(w, 900_000, { crashes, duplicate: true });

    expect(hits.map((h) => h.crashed)).toEqual([true, true]);
    expect(crashes.count).toBeGreaterThanOrEqual(2);
    expect(w.cluster.node(original.metadata.name)).toBeUndefined();
    expect(w.cluster.nodes()).toHaveLength(1);
    expect(runningPods(w).filter((p) => p.metadata.labels?.app === "small")).toHaveLength(2);
    // The original and one replacement, whatever was retried or duplicated.
    expect(await motoInstances(account)).toHaveLength(2);
    await expectClean(w, account);
  });

  it("rolls out an AMI release behind the al2023@latest alias one node at a time, onto the new image", async () => {
    const { w, account } = await motoWorld(ON_DEMAND_ONLY, { disruption: ROLLING });
    w.cluster.addWorkload(deployment("web", 3, "1", ["web"]));
    await settle(w);
    const before = w.cluster.nodes().map((n) => n.metadata.name);
    expect(before).toHaveLength(3);
    const images = new Set((await motoInstances(account)).map((i) => i.imageId));
    expect([...images]).toEqual([account.amiX86]);

    // The release: the alias's SSM parameters now name another x86 image.
    const other = ((await account.clients.ec2.send(new DescribeImagesCommand({ Owners: ["amazon"] }))).Images ?? [])
      .find((i) => i.Architecture === "x86_64" && i.ImageId !== account.amiX86 && i.ImageId !== account.amiArm)!.ImageId!;
    for (const p of aliasParameters({ family: "AL2023", version: "latest" }, K8S_VERSION, SSM_PREFIX)) {
      const arm = p.requirements.some((r) => r.key === "kubernetes.io/arch" && r.values?.includes("arm64"));
      if (!arm && p.path.includes("/standard/")) await account.clients.ssm.send(new PutParameterCommand({ Name: p.path, Value: other, Type: "String", Overwrite: true }));
    }

    let mostAtOnce = 0;
    const loop = await run(w, 1_500_000, {
      drift: true,
      check: () => {
        const going = before.filter((name) => w.cluster.node(name) && (tainted(w).includes(name) || w.cluster.node(name)?.metadata.deletionTimestamp));
        mostAtOnce = Math.max(mostAtOnce, going.length);
      },
    });

    expect(loop.drift.some((r) => r.decided === "drift")).toBe(true);
    expect(before.filter((name) => w.cluster.node(name))).toEqual([]);
    expect(mostAtOnce).toBe(1);
    expect(runningPods(w).filter((p) => p.metadata.labels?.app === "web")).toHaveLength(3);
    const live = (await motoInstances(account)).filter((i) => i.state === "running" || i.state === "pending");
    expect(live.map((i) => i.imageId)).toEqual([other, other, other]);
    // Three original instances and three replacements, one each.
    expect(await motoInstances(account)).toHaveLength(6);
    await expectClean(w, account);
  });

  it("replaces a Spot node on its interruption warning: the replacement launches before the drain ends, the instance is terminated once", async () => {
    const { w, account } = await motoWorld(SPOT_ONLY);
    w.cluster.addWorkload(deployment("web", 4, "500m"));
    await settle(w);
    expect(runningPods(w)).toHaveLength(4);
    // The node holding the most pods (the batcher may have split the four over two nodes): with the
    // PDB letting one pod go at a time, its drain takes several steps, so a replacement can be seen
    // launching while pods are still on it.
    const podsOn = (name: string) => w.cluster.pods().filter((p) => p.spec.nodeName === name).length;
    const target = [...w.cluster.nodes()].sort((a, b) => podsOn(b.metadata.name) - podsOn(a.metadata.name))[0]!;
    expect(podsOn(target.metadata.name)).toBeGreaterThan(1);
    const targetId = instanceIdOf(target.spec.providerID);
    const before = new Set((await motoInstances(account)).map((i) => i.id));
    expect((await motoInstances(account)).find((i) => i.id === targetId)?.lifecycle).toBe("spot");
    w.cluster.addPodDisruptionBudget({ metadata: { name: "web", namespace: "default" }, spec: { selector: { matchLabels: { app: "web" } }, maxUnavailable: 1 } });

    const body = simulatedInterruptionEvent("spot-interruption", targetId, w.ports.clock);
    expect(await callInterruption([{ id: "m-1", body }, { id: "m-2", body }])).toEqual({ batchItemFailures: [] });
    expect(w.cluster.node(target.metadata.name)?.metadata.deletionTimestamp).toBeDefined();

    let replacementBeforeEmpty = false;
    await run(w, 300_000, {
      consolidate: false,
      check: async () => {
        const onTarget = podsOn(target.metadata.name);
        const launched = (await motoInstances(account)).filter((i) => !before.has(i.id));
        if (launched.length > 0 && onTarget > 0) replacementBeforeEmpty = true;
      },
    });
    await callInterruption([{ id: "m-3", body }]); // redelivered after the node is gone: nothing happens

    expect(replacementBeforeEmpty).toBe(true);
    expect(w.cluster.node(target.metadata.name)).toBeUndefined();
    expect((await motoInstances(account)).find((i) => i.id === targetId)?.state).toBe("terminated");
    expect(runningPods(w)).toHaveLength(4);
    expect((await motoInstances(account)).filter((i) => !before.has(i.id))).toHaveLength(1);
    await expectClean(w, account);
  });
});
