/**
 * The lifecycle tick's clean-up through the real EC2 adapter on moto: launch templates found in use
 * by the `aws:ec2launchtemplate:id` tag EC2 puts on instances, the safety age, and the instance
 * profile of a NodeClass that is gone.
 */
import { DescribeLaunchTemplatesCommand } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { instanceProfileName } from "../../lib/cloud/aws/instance-profile.ts";
import { VirtualClock } from "../../lib/cluster/in-memory/virtual-clock.ts";
import { TAG_LAUNCH_TEMPLATE_ID } from "../../lib/ports/cloud.ts";
import { cleanUp } from "../../lib/lifecycle/lifecycle.ts";
import { CLEANUP_INTERVAL_MS, LAUNCH_TEMPLATE_GRACE_MS } from "../../lib/lifecycle/decisions.ts";
import type { FullPorts } from "../../lib/observe/ports.ts";
import { simulatedWorld } from "../../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { CLUSTER, launchRequest } from "../support/cloud.ts";
import { nodeClass } from "../support/builders.ts";
import { buildAccount, motoCloud, readInstanceProfile } from "../support/moto-env.ts";
import { useMoto } from "../support/moto.ts";

const moto = useMoto();

describe("lifecycle clean-up through the EC2 adapter on moto", () => {
  it("deletes the unused template once it is past the safety age and the profile of the gone NodeClass; keeps what is in use", async () => {
    const account = await buildAccount(moto().endpoint);
    // The tick's clock runs on wall time, as moto's template creation times do.
    const clock = new VirtualClock(Date.now());
    const { cloud } = motoCloud(account, clock);
    const kept = nodeClass({ role: account.roles[0] }, "default");
    const gone = nodeClass({ role: account.roles[1] }, "retired");
    delete (kept.spec as { instanceProfile?: string }).instanceProfile;
    delete (gone.spec as { instanceProfile?: string }).instanceProfile;
    const types = (await cloud.instanceTypes(kept)).filter((t) => ["m5.large", "c5.large"].includes(t.name));
    const keptInstance = await cloud.create(launchRequest(kept, types, { nodeClaimName: "default-aaaaa", nodeClaimUid: "1" }));
    const goneInstance = await cloud.create(launchRequest(gone, types, { nodeClaimName: "retired-bbbbb", nodeClaimUid: "2" }));
    await cloud.delete(goneInstance.instanceId);

    const templates = (await account.clients.ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "tag:tenon.sh/managed-by", Values: [CLUSTER] }] }))).LaunchTemplates ?? [];
    expect(templates).toHaveLength(2);
    const listed = await cloud.list();
    expect(listed.map((i) => i.instanceId)).toEqual([keptInstance.instanceId]);
    // EC2 tags an instance launched from a template with the template's id; moto's CreateFleet
    // does not (its RunInstances does), so the test adds the tag EC2 would have set.
    const nodeClassOf = (t: (typeof templates)[number]) => t.Tags?.find((tag) => tag.Key === "tenon.sh/ec2nodeclass")?.Value;
    const usedId = templates.find((t) => nodeClassOf(t) === "default")!.LaunchTemplateId!;
    const unused = templates.find((t) => nodeClassOf(t) === "retired")!.LaunchTemplateName!;
    const withTemplateTag = async () => (await cloud.list()).map((i) => ({ ...i, tags: { [TAG_LAUNCH_TEMPLATE_ID]: usedId, ...i.tags } }));
    const live = await withTemplateTag();

    const w = simulatedWorld({ clusterName: CLUSTER, store: createMemoryStore(), clock });
    w.cluster.putCustomObject("EC2NodeClass", { ...kept, metadata: { name: "default" } } as never);
    // The AWS runtime gives the lifecycle the adapter itself.
    const ports: FullPorts = { ...w.ports, cloud };
    const scope = { clusterName: CLUSTER, region: "us-east-1" };

    // Young templates stay even when unused: a launch may be about to use one.
    const early = await cleanUp(ports, { records: [], instances: live });
    expect(early).toEqual({ launchTemplates: [], instanceProfiles: [instanceProfileName(scope, "retired")], failures: [] });
    expect(await readInstanceProfile(account.clients, instanceProfileName(scope, "retired"))).toBeUndefined();
    expect(await readInstanceProfile(account.clients, instanceProfileName(scope, "default"))).toBeDefined();

    await clock.advance(Math.max(LAUNCH_TEMPLATE_GRACE_MS, CLEANUP_INTERVAL_MS) + 60_000);
    const later = await cleanUp(ports, { records: [], instances: await withTemplateTag() });
    expect(later).toEqual({ launchTemplates: [unused], instanceProfiles: [], failures: [] });
    const left = (await account.clients.ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "tag:tenon.sh/managed-by", Values: [CLUSTER] }] }))).LaunchTemplates ?? [];
    expect(left.map((t) => t.LaunchTemplateId)).toEqual([usedId]);
  });
});
