import { describe, expect, it } from "vitest";
import { ObjectStore, Revisions } from "../../../lib/cluster/in-memory/object-store.ts";
import { VirtualClock } from "../../../lib/cluster/in-memory/virtual-clock.ts";
import { listAll } from "../../../lib/ports/cluster.ts";
import type { Pod } from "../../../lib/api/kubernetes.ts";

describe("VirtualClock", () => {
  it("runs due timers in time order with now() at each timer's time, including timers they add", async () => {
    const clock = new VirtualClock(1_000);
    const seen: Array<[string, number]> = [];
    clock.after(300, () => void seen.push(["c", clock.now()]));
    clock.after(100, () => {
      seen.push(["a", clock.now()]);
      clock.after(50, () => void seen.push(["a+50", clock.now()]));
    });
    clock.after(100, () => void seen.push(["b", clock.now()]));
    await clock.advance(200);

    expect(seen).toEqual([
      ["a", 1_100],
      ["b", 1_100],
      ["a+50", 1_150],
    ]);
    expect(clock.now()).toBe(1_200);
    expect(clock.pendingTimers()).toBe(1);
  });

  it("sleep moves virtual time and lets due timers run meanwhile", async () => {
    const clock = new VirtualClock(0);
    let fired = false;
    clock.after(5_000, () => void (fired = true));
    await clock.sleep(10_000);
    expect(fired).toBe(true);
    expect(clock.now()).toBe(10_000);
  });

  it("runUntilIdle stops at the limit when something keeps re-arming itself", async () => {
    const clock = new VirtualClock(0);
    const rearm = () => clock.after(1_000, rearm);
    rearm();
    const took = await clock.runUntilIdle(10_500);
    expect(took).toBe(10_000);
    expect(clock.pendingTimers()).toBe(1);
  });
});

describe("simulated object store paging", () => {
  const pod = (name: string): Pod => ({ metadata: { name, namespace: "default" }, spec: { containers: [] } });

  it("pages in key order and neither skips nor repeats an object when one is deleted between pages", async () => {
    const store = new ObjectStore<Pod>(new Revisions(), true, () => "2026-01-01T00:00:00.000Z");
    for (const name of ["a", "b", "c", "d", "e"]) store.put(pod(name));
    const first = store.list({ limit: 2 });
    expect(first.items.map((p) => p.metadata.name)).toEqual(["a", "b"]);
    store.delete("c", "default");
    const second = store.list({ limit: 2, continue: first.continue! });
    expect(second.items.map((p) => p.metadata.name)).toEqual(["d", "e"]);
    expect(second.continue).toBeUndefined();
    expect(await listAll(async (o) => store.list(o), 1)).toHaveLength(4);
  });

  it("stamps a new resourceVersion on every write and hands out copies", () => {
    const store = new ObjectStore<Pod>(new Revisions(), true, () => "t");
    const a = store.put(pod("a"));
    const b = store.update("a", "default", (p) => void (p.metadata.labels = { x: "1" }))!;
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    b.metadata.labels!.x = "mutated";
    expect(store.get("a", "default")!.metadata.labels).toEqual({ x: "1" });
  });
});
