/**
 * The NodeClaim mirror on the simulated cluster, through the real handlers: registered and
 * initialized NodeClaims carry their Node and Ready; without the CRD, or set off, nothing is
 * mirrored; in shadow mode the mirror's actions are recorded and none is performed.
 */
import { describe, expect, it } from "vitest";
import type { LifecycleReport } from "../../lib/lifecycle/lifecycle.ts";
import { callLifecycle, provisionedWorld, useInstalledRuntime } from "../support/world.ts";

interface Mirrored {
  metadata: { name: string };
  status?: { nodeName?: string; conditions?: Array<{ type: string; status: string }> };
}

describe("NodeClaim objects on the simulated cluster", () => {
  const install = useInstalledRuntime();

  it("mirror initialized NodeClaims with their Node, Registered, Initialized and Ready", async () => {
    const world = await provisionedWorld(install, 4);
    const before = (await callLifecycle()) as LifecycleReport;
    expect(before.mirror).toMatchObject({ mirrored: false, why: "the NodeClaim CRD is not installed" });

    world.cluster.installNodeClaimCrd();
    await world.cluster.advance(10_000);
    await callLifecycle();
    const records = await world.ports.store.listNodeClaims();
    const objects = world.cluster.nodeClaimObjects() as unknown as Mirrored[];
    expect(objects.map((o) => o.metadata.name).sort()).toEqual(records.map((r) => r.name).sort());
    for (const record of records) {
      const object = objects.find((o) => o.metadata.name === record.name)!;
      expect(object.status?.nodeName).toBe(record.nodeClaim.status?.nodeName);
      const status = Object.fromEntries((object.status?.conditions ?? []).map((c) => [c.type, c.status]));
      expect(status).toMatchObject({ Launched: "True", Registered: "True", Initialized: "True", Ready: "True" });
    }
  }, 60_000);

  it("performs none of its actions in shadow mode, and none at all when set off", async () => {
    const world = await provisionedWorld(install, 2);
    world.cluster.installNodeClaimCrd();
    world.ports.mode = "shadow";
    world.ports.settings = { ...world.ports.settings, nodeClaimMirror: "on" };
    await world.cluster.advance(10_000);
    const shadow = (await callLifecycle()) as LifecycleReport;
    expect(shadow.mirror?.created.length).toBe((await world.ports.store.listNodeClaims()).length);
    expect(world.cluster.nodeClaimObjects()).toEqual([]);

    world.ports.mode = "live";
    world.ports.settings = { ...world.ports.settings, nodeClaimMirror: "off" };
    const off = (await callLifecycle()) as LifecycleReport;
    expect(off.mirror).toMatchObject({ mirrored: false, why: "NODECLAIM_MIRROR is off", created: [] });
    expect(world.cluster.nodeClaimObjects()).toEqual([]);
  }, 60_000);
});
