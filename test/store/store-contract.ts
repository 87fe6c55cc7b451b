/**
 * The Store contract: every implementation (in-memory, DynamoDB) must pass these. Concurrency
 * cases fire many requests at once; against DynamoDB Local they really interleave.
 */
import { describe, expect, it } from "vitest";
import { InputError } from "../../lib/errors.ts";
import { ConflictError, type DisruptionCommandContent, type Store } from "../../lib/ports/store.ts";
import { claimContent, nodeSummary } from "../support/records.ts";
import type { JournalEntry } from "../../lib/ports/journal.ts";

function entry(id: string, atMs: number, subjects: JournalEntry["subjects"] = [], flow: JournalEntry["flow"] = "provisioner"): JournalEntry {
  return { id, atMs, flow, trigger: "tick", mode: "live", summary: `run ${id}`, actions: [], subjects };
}

export type StoreFactory = () => Promise<Store>;

async function settle<T>(tasks: Array<() => Promise<T>>): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(tasks.map((task) => task()));
}

function rejectionsOf<T>(results: PromiseSettledResult<T>[]): unknown[] {
  return results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason);
}

export function describeStoreContract(label: string, newStore: StoreFactory): void {
  describe(`${label}: NodeClaim records`, () => {
    it("creates a record at version 1 and reads back exactly what was written", async () => {
      const store = await newStore();
      const content = claimContent("default-abc12", "Pending");
      const { record, created } = await store.createNodeClaim(content, 1_000);
      expect(created).toBe(true);
      expect(record).toEqual({ ...content, name: "default-abc12", createdAtMs: 1_000, updatedAtMs: 1_000, version: 1 });
      expect(await store.getNodeClaim("default-abc12")).toEqual(record);
      expect(await store.getNodeClaim("missing")).toBeUndefined();
    });

    it("treats creating the same content again as a no-op and different content as a conflict", async () => {
      const store = await newStore();
      await store.createNodeClaim(claimContent("a"), 1_000);
      const again = await store.createNodeClaim(claimContent("a"), 2_000);
      expect(again.created).toBe(false);
      expect(again.record.version).toBe(1);
      expect(again.record.createdAtMs).toBe(1_000);
      const different = store.createNodeClaim(claimContent("a", "Pending", { instanceType: "c5.large" }), 3_000);
      await expect(different).rejects.toBeInstanceOf(ConflictError);
      await expect(different).rejects.toMatchObject({ reason: "exists" });
      expect((await store.getNodeClaim("a"))?.nodeClaim.spec.requirements[0]?.values).toEqual(["m5.large"]);
    });

    it("hands out copies: changing a returned record changes nothing stored", async () => {
      const store = await newStore();
      const { record } = await store.createNodeClaim(claimContent("a"), 1);
      record.nodeClaim.metadata.labels!["changed"] = "yes";
      record.launch.attempts = 99;
      const stored = await store.getNodeClaim("a");
      expect(stored?.nodeClaim.metadata.labels).toEqual({ "karpenter.sh/nodepool": "default" });
      expect(stored?.launch.attempts).toBe(0);
    });

    it("lists records sorted by name", async () => {
      const store = await newStore();
      for (const name of ["c", "a", "b"]) await store.createNodeClaim(claimContent(name), 1);
      expect((await store.listNodeClaims()).map((r) => r.name)).toEqual(["a", "b", "c"]);
    });

    it("updates only at the expected version, keeping createdAt", async () => {
      const store = await newStore();
      await store.createNodeClaim(claimContent("a"), 1_000);
      const launched = { ...claimContent("a", "Launched"), launch: { attempts: 1, lastAttemptAtMs: 1_500, instanceId: "i-0abc", clientToken: "tok-a" } };
      const updated = await store.updateNodeClaim("a", 1, launched, 2_000);
      expect(updated).toMatchObject({ version: 2, createdAtMs: 1_000, updatedAtMs: 2_000, phase: "Launched", launch: launched.launch });
      expect(await store.getNodeClaim("a")).toEqual(updated);
      await expect(store.updateNodeClaim("a", 1, claimContent("a", "Registered"), 3_000)).rejects.toMatchObject({ name: "ConflictError", reason: "version" });
      await expect(store.updateNodeClaim("nope", 1, claimContent("nope"), 3_000)).rejects.toMatchObject({ name: "ConflictError", reason: "missing" });
      expect((await store.getNodeClaim("a"))?.phase).toBe("Launched");
    });

    it("deletes only at the expected version, and a repeated delete is a no-op", async () => {
      const store = await newStore();
      await store.createNodeClaim(claimContent("a"), 1);
      await store.updateNodeClaim("a", 1, claimContent("a", "Launched"), 2);
      await expect(store.deleteNodeClaim("a", 1)).rejects.toMatchObject({ name: "ConflictError", reason: "version" });
      expect(await store.deleteNodeClaim("a", 2)).toBe(true);
      expect(await store.deleteNodeClaim("a", 2)).toBe(false);
      expect(await store.listNodeClaims()).toEqual([]);
    });

    it("rejects content that does not belong to the record or has an unknown phase", async () => {
      const store = await newStore();
      await store.createNodeClaim(claimContent("a"), 1);
      await expect(store.updateNodeClaim("a", 1, claimContent("b"), 2)).rejects.toThrow(/NodeClaim b: metadata.name: does not match the record being written \(a\)/);
      await expect(store.createNodeClaim({ ...claimContent("c"), phase: "Booting" as never }, 1)).rejects.toBeInstanceOf(InputError);
      await expect(store.createNodeClaim(claimContent("bad#name"), 1)).rejects.toThrow(/must not contain "#"/);
      await expect(store.updateNodeClaim("a", Number.NaN, claimContent("a"), 2)).rejects.toThrow(/NodeClaim a: expectedVersion: NaN is not a whole number/);
      await expect(store.claimBatchWindow(-1)).rejects.toThrow(/batch window: expectedVersion: -1 is not a whole number/);
    });

    it("of many concurrent identical creates, exactly one creates and one record exists", async () => {
      const store = await newStore();
      const results = await Promise.all(Array.from({ length: 20 }, () => store.createNodeClaim(claimContent("same"), 5)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(results.every((r) => r.record.version === 1)).toBe(true);
      expect(await store.listNodeClaims()).toHaveLength(1);
    });

    it("of many concurrent creates with different content, one wins and the rest conflict", async () => {
      const store = await newStore();
      const types = Array.from({ length: 12 }, (_, i) => `m5.${i}xlarge`);
      const results = await settle(types.map((t) => () => store.createNodeClaim(claimContent("x", "Pending", { instanceType: t }), 5)));
      const winners = results.filter((r) => r.status === "fulfilled");
      expect(winners).toHaveLength(1);
      expect(rejectionsOf(results).every((e) => e instanceof ConflictError && e.reason === "exists")).toBe(true);
      const winner = (winners[0] as PromiseFulfilledResult<{ record: { nodeClaim: unknown } }>).value.record;
      expect((await store.getNodeClaim("x"))?.nodeClaim).toEqual(winner.nodeClaim);
    });

    it("of many concurrent updates at the same version, exactly one is applied", async () => {
      const store = await newStore();
      await store.createNodeClaim(claimContent("a"), 1);
      const results = await settle(
        Array.from({ length: 15 }, (_, i) => () => store.updateNodeClaim("a", 1, claimContent("a", "Launched", { annotations: { writer: String(i) } }), 2)),
      );
      const applied = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      expect(applied).toHaveLength(1);
      expect(rejectionsOf(results).every((e) => e instanceof ConflictError && e.reason === "version")).toBe(true);
      const stored = await store.getNodeClaim("a");
      expect(stored?.version).toBe(2);
      expect(stored?.nodeClaim.metadata.annotations).toEqual(applied[0]?.nodeClaim.metadata.annotations);
    });

    it("loses no update when concurrent writers read, modify and retry on conflict", async () => {
      const store = await newStore();
      await store.createNodeClaim(claimContent("a"), 1);
      const writers = 8;
      const addAnnotation = async (writer: number): Promise<number> => {
        for (let attempt = 1; ; attempt++) {
          const current = await store.getNodeClaim("a");
          if (!current) throw new Error("record vanished");
          const annotations = { ...current.nodeClaim.metadata.annotations, [`writer-${writer}`]: "done" };
          const next = { ...current, nodeClaim: { ...current.nodeClaim, metadata: { ...current.nodeClaim.metadata, annotations } } };
          try {
            await store.updateNodeClaim("a", current.version, next, 10 + writer);
            return attempt;
          } catch (error) {
            if (!(error instanceof ConflictError)) throw error;
          }
        }
      };
      await Promise.all(Array.from({ length: writers }, (_, w) => addAnnotation(w)));
      const stored = await store.getNodeClaim("a");
      expect(stored?.version).toBe(1 + writers);
      expect(Object.keys(stored?.nodeClaim.metadata.annotations ?? {}).sort()).toEqual(Array.from({ length: writers }, (_, w) => `writer-${w}`).sort());
    });
  });

  describe(`${label}: disruption commands`, () => {
    const command = (overrides: Partial<DisruptionCommandContent> = {}): DisruptionCommandContent => ({
      reason: "Underutilized",
      decision: "replace",
      method: "single-node-consolidation",
      candidates: [{ node: "ip-10-0-0-1", nodeClaim: "default-abc12", providerId: "aws:///us-east-1a/i-0abc", pricePerHour: 0.192 }],
      replacements: ["default-xyz89"],
      state: "Validating",
      decidedAtMs: 900,
      savingsPerHour: 0.096,
      message: "replace m5.xlarge with m5.large",
      ...overrides,
    });

    it("creates a command at version 1 and reads back exactly what was written", async () => {
      const store = await newStore();
      const created = await store.createDisruptionCommand("cmd-1", command(), 1_000);
      expect(created).toEqual({ ...command(), id: "cmd-1", createdAtMs: 1_000, updatedAtMs: 1_000, version: 1 });
      expect(await store.listDisruptionCommands()).toEqual([created]);
    });

    it("treats creating the same content again as a no-op and different content as a conflict", async () => {
      const store = await newStore();
      const first = await store.createDisruptionCommand("cmd-1", command(), 1_000);
      expect(await store.createDisruptionCommand("cmd-1", command(), 2_000)).toEqual(first);
      const different = store.createDisruptionCommand("cmd-1", command({ replacements: ["other"] }), 3_000);
      await expect(different).rejects.toBeInstanceOf(ConflictError);
      await expect(different).rejects.toMatchObject({ reason: "exists" });
      expect((await store.listDisruptionCommands()).map((c) => [c.replacements, c.version])).toEqual([[["default-xyz89"], 1]]);
    });

    it("of many concurrent identical creates, all see the one command and one exists", async () => {
      const store = await newStore();
      const results = await Promise.all(Array.from({ length: 12 }, () => store.createDisruptionCommand("same", command(), 5)));
      expect(results.every((r) => r.version === 1 && r.createdAtMs === 5)).toBe(true);
      expect(await store.listDisruptionCommands()).toHaveLength(1);
    });

    it("updates only at the expected version, keeping createdAt", async () => {
      const store = await newStore();
      await store.createDisruptionCommand("cmd-1", command(), 1_000);
      const waiting = await store.updateDisruptionCommand("cmd-1", 1, command({ state: "Launching" }), 2_000);
      expect(waiting).toMatchObject({ id: "cmd-1", state: "Launching", version: 2, createdAtMs: 1_000, updatedAtMs: 2_000 });
      await expect(store.updateDisruptionCommand("cmd-1", 1, command({ state: "Deleting" }), 3_000)).rejects.toMatchObject({ name: "ConflictError", reason: "version" });
      await expect(store.updateDisruptionCommand("nope", 1, command(), 3_000)).rejects.toMatchObject({ name: "ConflictError", reason: "missing" });
      expect(await store.listDisruptionCommands()).toEqual([waiting]);
    });

    it("of many concurrent updates at the same version, exactly one is applied", async () => {
      const store = await newStore();
      await store.createDisruptionCommand("cmd-1", command(), 1);
      const results = await settle(Array.from({ length: 10 }, (_, i) => () => store.updateDisruptionCommand("cmd-1", 1, command({ message: `writer ${i}` }), 2)));
      const applied = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      expect(applied).toHaveLength(1);
      expect(rejectionsOf(results).every((e) => e instanceof ConflictError && e.reason === "version")).toBe(true);
      expect((await store.listDisruptionCommands())[0]?.message).toBe(applied[0]?.message);
    });

    it("deletes only at the expected version, and a repeated delete is a no-op", async () => {
      const store = await newStore();
      await store.createDisruptionCommand("cmd-1", command(), 1);
      await store.updateDisruptionCommand("cmd-1", 1, command({ state: "Deleting" }), 2);
      await expect(store.deleteDisruptionCommand("cmd-1", 1)).rejects.toMatchObject({ name: "ConflictError", reason: "version" });
      expect(await store.deleteDisruptionCommand("cmd-1", 2)).toBe(true);
      expect(await store.deleteDisruptionCommand("cmd-1", 2)).toBe(false);
      expect(await store.listDisruptionCommands()).toEqual([]);
    });

    it("lists commands sorted by id, apart from NodeClaim records", async () => {
      const store = await newStore();
      for (const id of ["c", "a", "b"]) await store.createDisruptionCommand(id, command(), 1);
      await store.createNodeClaim(claimContent("a"), 1);
      expect((await store.listDisruptionCommands()).map((c) => c.id)).toEqual(["a", "b", "c"]);
      expect((await store.listNodeClaims()).map((r) => r.name)).toEqual(["a"]);
    });

    it("rejects bad ids, versions, times, states and values JSON cannot hold", async () => {
      const store = await newStore();
      await expect(store.createDisruptionCommand("a#b", command(), 1)).rejects.toThrow(/disruption command a#b: name must not contain "#"/);
      await expect(store.createDisruptionCommand("", command(), 1)).rejects.toThrow(/disruption command: name must be a non-empty string/);
      await expect(store.updateDisruptionCommand("a#b", 1, command(), 1)).rejects.toBeInstanceOf(InputError);
      await expect(store.deleteDisruptionCommand("a#b", 1)).rejects.toBeInstanceOf(InputError);
      await expect(store.createDisruptionCommand("x", command(), -1)).rejects.toThrow(/disruption command x: nowMs: -1 is not a time/);
      await expect(store.createDisruptionCommand("x", command({ savingsPerHour: Number.NaN }), 1)).rejects.toThrow(/disruption command x: savingsPerHour: NaN is not a finite number/);
      await expect(store.createDisruptionCommand("x", command({ state: "Exploding" as never }), 1)).rejects.toThrow(/disruption command x: state: "Exploding" is not one of Validating, Launching, Deleting/);
      await store.createDisruptionCommand("x", command(), 1);
      await expect(store.updateDisruptionCommand("x", 1.5, command(), 2)).rejects.toThrow(/disruption command x: expectedVersion: 1.5 is not a whole number/);
      await expect(store.deleteDisruptionCommand("x", -1)).rejects.toThrow(/disruption command x: expectedVersion: -1 is not a whole number/);
      await expect(store.updateDisruptionCommand("x", 1, command({ state: "Exploding" as never }), 2)).rejects.toBeInstanceOf(InputError);
      expect(await store.listDisruptionCommands()).toMatchObject([{ id: "x", version: 1, state: "Validating" }]);
    });

    it("rejects a command too large for one item, on create and on update, and keeps what was stored", async () => {
      const store = await newStore();
      const huge = command({ message: "x".repeat(310 * 1024) });
      await expect(store.createDisruptionCommand("big", huge, 1)).rejects.toThrow(/disruption command big: is \d+ bytes as JSON; one stored object may be at most 307200/);
      await store.createDisruptionCommand("big", command(), 1);
      await expect(store.updateDisruptionCommand("big", 1, huge, 2)).rejects.toThrow(/disruption command big: is \d+ bytes as JSON/);
      // 1,000 candidates (a large consolidation) still fit.
      const many = command({ candidates: Array.from({ length: 1_000 }, (_, i) => ({ node: `ip-10-0-${i}`, nodeClaim: `default-${i}`, providerId: `aws:///us-east-1a/i-${i}`, pricePerHour: 0.1 })) });
      expect((await store.updateDisruptionCommand("big", 1, many, 2)).candidates).toHaveLength(1_000);
    });
  });

  describe(`${label}: batch window`, () => {
    it("opens on the first signal, accumulates, and is claimed once", async () => {
      const store = await newStore();
      expect(await store.getBatchWindow()).toBeUndefined();
      expect(await store.recordPodsSeen(2, 1_000)).toEqual({ opened: true, window: { firstSeenAtMs: 1_000, lastSeenAtMs: 1_000, podCount: 2, version: 1 } });
      expect(await store.recordPodsSeen(3, 1_400)).toEqual({ opened: false, window: { firstSeenAtMs: 1_000, lastSeenAtMs: 1_400, podCount: 5, version: 2 } });
      expect(await store.getBatchWindow()).toEqual({ firstSeenAtMs: 1_000, lastSeenAtMs: 1_400, podCount: 5, version: 2 });
      expect(await store.claimBatchWindow(2)).toBe(true);
      expect(await store.claimBatchWindow(2)).toBe(false);
      expect(await store.getBatchWindow()).toBeUndefined();
      expect((await store.recordPodsSeen(1, 3_000)).opened).toBe(true);
    });

    it("refuses a claim when pods arrived after the claimant read the window", async () => {
      const store = await newStore();
      const { window } = await store.recordPodsSeen(1, 1_000);
      await store.recordPodsSeen(1, 1_200);
      expect(await store.claimBatchWindow(window.version)).toBe(false);
      expect((await store.getBatchWindow())?.podCount).toBe(2);
    });

    it("counts every concurrent signal and opens the window exactly once", async () => {
      const store = await newStore();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.recordPodsSeen(i + 1, 1_000)));
      expect(results.filter((r) => r.opened)).toHaveLength(1);
      expect(await store.getBatchWindow()).toMatchObject({ podCount: (20 * 21) / 2, version: 20 });
    });

    it("lets exactly one of many concurrent provisioners claim the window", async () => {
      const store = await newStore();
      const { window } = await store.recordPodsSeen(4, 1_000);
      const claims = await Promise.all(Array.from({ length: 10 }, () => store.claimBatchWindow(window.version)));
      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it("rejects a signal count that is not a positive integer", async () => {
      const store = await newStore();
      await expect(store.recordPodsSeen(0, 1)).rejects.toThrow(/batch window: count: 0 is not a positive integer/);
    });
  });

  describe(`${label}: leases`, () => {
    it("is held by one holder until it expires, then by the next with a larger token", async () => {
      const store = await newStore();
      const first = await store.acquireLease("provisioner", "fn-a", 10_000, 1_000);
      expect(first).toEqual({ name: "provisioner", holder: "fn-a", acquiredAtMs: 1_000, expiresAtMs: 11_000, token: 1 });
      expect(await store.acquireLease("provisioner", "fn-b", 10_000, 5_000)).toBeUndefined();
      const again = await store.acquireLease("provisioner", "fn-a", 10_000, 6_000);
      expect(again?.expiresAtMs).toBe(16_000);
      expect(await store.acquireLease("provisioner", "fn-b", 10_000, 15_999)).toBeUndefined();
      const next = await store.acquireLease("provisioner", "fn-b", 10_000, 16_000);
      expect(next).toMatchObject({ holder: "fn-b", expiresAtMs: 26_000 });
      expect(next!.token).toBeGreaterThan(again!.token);
      expect(await store.getLease("provisioner")).toEqual(next);
    });

    it("renews only for the current holder before expiry", async () => {
      const store = await newStore();
      await store.acquireLease("lifecycle", "fn-a", 1_000, 0);
      expect(await store.renewLease("lifecycle", "fn-b", 1_000, 500)).toBeUndefined();
      const renewed = await store.renewLease("lifecycle", "fn-a", 1_000, 500);
      expect(renewed).toMatchObject({ holder: "fn-a", expiresAtMs: 1_500, token: 1 });
      expect(await store.renewLease("lifecycle", "fn-a", 1_000, 1_500)).toBeUndefined();
      expect(await store.renewLease("never-taken", "fn-a", 1_000, 0)).toBeUndefined();
    });

    it("is released only by its holder, and is then free at once", async () => {
      const store = await newStore();
      await store.acquireLease("drift", "fn-a", 60_000, 0);
      expect(await store.releaseLease("drift", "fn-b")).toBe(false);
      expect(await store.acquireLease("drift", "fn-b", 60_000, 10)).toBeUndefined();
      expect(await store.releaseLease("drift", "fn-a")).toBe(true);
      expect(await store.getLease("drift")).toMatchObject({ holder: "", expiresAtMs: 0 });
      expect(await store.acquireLease("drift", "fn-b", 60_000, 20)).toMatchObject({ holder: "fn-b", token: 2 });
      expect(await store.releaseLease("drift", "fn-a")).toBe(false);
    });

    it("keeps leases of different names independent", async () => {
      const store = await newStore();
      expect(await store.acquireLease("provisioner", "fn-a", 1_000, 0)).toBeDefined();
      expect(await store.acquireLease("consolidator", "fn-b", 1_000, 0)).toBeDefined();
    });

    it("gives a free lease to exactly one of many concurrent acquirers", async () => {
      const store = await newStore();
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => store.acquireLease("provisioner", `fn-${i}`, 30_000, 1_000)));
      const holders = results.filter((r) => r !== undefined);
      expect(holders).toHaveLength(1);
      expect((await store.getLease("provisioner"))?.holder).toBe(holders[0]?.holder);
    });

    it("gives an expired lease to exactly one of many concurrent acquirers", async () => {
      const store = await newStore();
      await store.acquireLease("provisioner", "crashed", 1_000, 0);
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => store.acquireLease("provisioner", `fn-${i}`, 30_000, 5_000)));
      const holders = results.filter((r) => r !== undefined);
      expect(holders).toHaveLength(1);
      expect(holders[0]?.token).toBe(2);
    });

    it("rejects an empty holder and a non-positive ttl", async () => {
      const store = await newStore();
      await expect(store.acquireLease("x", "", 1_000, 0)).rejects.toThrow(/lease x: holder: must be a non-empty string/);
      await expect(store.acquireLease("x", "a", 0, 0)).rejects.toThrow(/lease x: ttlMs: 0 is not a positive integer/);
    });
  });

  describe(`${label}: unavailable offerings`, () => {
    const spot = { instanceType: "m5.large", zone: "us-east-1a", capacityType: "spot" as const };
    const onDemand = { ...spot, capacityType: "on-demand" as const };

    it("lists an entry until its expiry and not from then on", async () => {
      const store = await newStore();
      await store.markUnavailable(spot, "InsufficientInstanceCapacity", 181_000);
      expect(await store.listUnavailable(1_000)).toEqual([{ ...spot, reason: "InsufficientInstanceCapacity", expiresAtMs: 181_000 }]);
      expect(await store.listUnavailable(180_999)).toHaveLength(1);
      expect(await store.listUnavailable(181_000)).toEqual([]);
    });

    it("keys entries by type, zone and capacity type", async () => {
      const store = await newStore();
      await store.markUnavailable(spot, "ICE", 10_000);
      await store.markUnavailable(onDemand, "ICE", 20_000);
      expect((await store.listUnavailable(0)).map((e) => e.capacityType).sort()).toEqual(["on-demand", "spot"]);
      expect((await store.listUnavailable(15_000)).map((e) => e.capacityType)).toEqual(["on-demand"]);
    });

    it("extends an entry but never shortens it", async () => {
      const store = await newStore();
      await store.markUnavailable(spot, "first", 10_000);
      await store.markUnavailable(spot, "earlier", 5_000);
      expect(await store.listUnavailable(0)).toMatchObject([{ reason: "first", expiresAtMs: 10_000 }]);
      await store.markUnavailable(spot, "later", 20_000);
      expect(await store.listUnavailable(0)).toMatchObject([{ reason: "later", expiresAtMs: 20_000 }]);
    });
  });

  describe(`${label}: reported statuses`, () => {
    it("replaces an object's status, keeps kinds and names apart, and leaves the object's own item alone", async () => {
      const store = await newStore();
      await store.putConfigObject("NodePool", "default", { apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "default" } }, 1_000);
      expect(await store.listObjectStatuses()).toEqual([]);
      await store.putObjectStatus("NodePool", "default", { nodes: 2, resources: { cpu: "8" } }, 2_000);
      await store.putObjectStatus("EC2NodeClass", "default", { instanceProfile: "p" }, 2_000);
      await store.putObjectStatus("NodePool", "default", { nodes: 3 }, 3_000);
      expect(await store.listObjectStatuses()).toEqual([
        { kind: "EC2NodeClass", name: "default", status: { instanceProfile: "p" }, updatedAtMs: 2_000 },
        { kind: "NodePool", name: "default", status: { nodes: 3 }, updatedAtMs: 3_000 },
      ]);
      expect((await store.getConfigObject("NodePool", "default"))?.version).toBe(1);
      await expect(store.putObjectStatus("NodePool", "a#b", {}, 1)).rejects.toThrow(/#/);
    });
  });

  describe(`${label}: event dedupe claims`, () => {
    // Times from today: DynamoDB Local's TTL sweeper runs on the real clock and would delete claims that expired in 1970.
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    it("grants a key once until its timeout runs out, then again", async () => {
      const store = await newStore();
      expect(await store.claimEvent("failedscheduling-uid-1", t0 + 1_000, 300_000)).toBe(true);
      expect(await store.claimEvent("failedscheduling-uid-1", t0 + 2_000, 300_000)).toBe(false);
      expect(await store.claimEvent("failedscheduling-uid-1", t0 + 300_999, 300_000)).toBe(false);
      expect(await store.claimEvent("failedscheduling-uid-1", t0 + 301_000, 300_000)).toBe(true);
      expect(await store.claimEvent("failedscheduling-uid-1", t0 + 302_000, 300_000)).toBe(false);
    });

    it("keeps keys independent, long keys and keys with # included", async () => {
      const store = await newStore();
      const long = `nominated-${"x".repeat(400)}`;
      expect(await store.claimEvent("nominated-uid-1", t0, 120_000)).toBe(true);
      expect(await store.claimEvent("nominated-uid-2", t0, 120_000)).toBe(true);
      expect(await store.claimEvent(long, t0, 120_000)).toBe(true);
      expect(await store.claimEvent(`${long}y`, t0, 120_000)).toBe(true);
      expect(await store.claimEvent("a#b", t0, 120_000)).toBe(true);
      expect(await store.claimEvent(long, t0 + 1, 120_000)).toBe(false);
      expect(await store.claimEvent("a#b", t0 + 1, 120_000)).toBe(false);
    });

    it("grants a key to exactly one of many concurrent claimants", async () => {
      const store = await newStore();
      const results = await Promise.all(Array.from({ length: 8 }, () => store.claimEvent("unconsolidatable-node-a", t0, 900_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe(`${label}: NodePools and EC2NodeClasses`, () => {
    const pool = (cpu: string) => ({ apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "default" }, spec: { limits: { cpu } } });

    it("stores the raw object, versions changes, and treats an unchanged apply as a no-op", async () => {
      const store = await newStore();
      const first = await store.putConfigObject("NodePool", "default", pool("100"), 1_000);
      expect(first).toEqual({ kind: "NodePool", name: "default", raw: pool("100"), updatedAtMs: 1_000, version: 1 });
      expect(await store.putConfigObject("NodePool", "default", pool("100"), 2_000)).toEqual(first);
      const changed = await store.putConfigObject("NodePool", "default", pool("200"), 3_000);
      expect(changed).toMatchObject({ version: 2, updatedAtMs: 3_000, raw: pool("200") });
      expect(await store.getConfigObject("NodePool", "default")).toEqual(changed);
    });

    it("honours expectedVersion: 0 creates only, n updates only at n", async () => {
      const store = await newStore();
      await store.putConfigObject("NodePool", "default", pool("1"), 1, { expectedVersion: 0 });
      await expect(store.putConfigObject("NodePool", "default", pool("2"), 2, { expectedVersion: 0 })).rejects.toMatchObject({ name: "ConflictError", reason: "exists" });
      await expect(store.putConfigObject("NodePool", "default", pool("2"), 2, { expectedVersion: 7 })).rejects.toMatchObject({ name: "ConflictError", reason: "version" });
      await expect(store.putConfigObject("NodePool", "other", pool("2"), 2, { expectedVersion: 3 })).rejects.toMatchObject({ name: "ConflictError", reason: "missing" });
      expect(await store.putConfigObject("NodePool", "default", pool("2"), 2, { expectedVersion: 1 })).toMatchObject({ version: 2, raw: pool("2") });
    });

    it("lets exactly one of many concurrent versioned writers win", async () => {
      const store = await newStore();
      await store.putConfigObject("NodePool", "default", pool("1"), 1);
      const results = await settle(Array.from({ length: 10 }, (_, i) => () => store.putConfigObject("NodePool", "default", pool(`${i + 10}`), 2, { expectedVersion: 1 })));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect((await store.getConfigObject("NodePool", "default"))?.version).toBe(2);
    });

    it("keeps kinds apart, lists by name, and deletes with an optional version check", async () => {
      const store = await newStore();
      await store.putConfigObject("NodePool", "b", { n: "b" }, 1);
      await store.putConfigObject("NodePool", "a", { n: "a" }, 1);
      await store.putConfigObject("EC2NodeClass", "a", { c: "a" }, 1);
      expect((await store.listConfigObjects("NodePool")).map((r) => r.name)).toEqual(["a", "b"]);
      expect(await store.listConfigObjects("EC2NodeClass")).toMatchObject([{ kind: "EC2NodeClass", name: "a", raw: { c: "a" } }]);
      await expect(store.deleteConfigObject("NodePool", "a", 5)).rejects.toMatchObject({ name: "ConflictError", reason: "version" });
      expect(await store.deleteConfigObject("NodePool", "a", 1)).toBe(true);
      expect(await store.deleteConfigObject("NodePool", "a")).toBe(false);
      expect(await store.getConfigObject("EC2NodeClass", "a")).toBeDefined();
    });

    it("rejects objects too large for one item, and values JSON cannot hold", async () => {
      const store = await newStore();
      const huge = { spec: { userData: "x".repeat(310 * 1024) } };
      await expect(store.putConfigObject("EC2NodeClass", "big", huge, 1)).rejects.toThrow(/EC2NodeClass big: is \d+ bytes as JSON; one stored object may be at most 307200/);
      await expect(store.putConfigObject("NodePool", "nan", { weight: Number.NaN }, 1)).rejects.toThrow(/NodePool nan: weight: NaN is not a finite number/);
      expect(await store.listConfigObjects("EC2NodeClass")).toEqual([]);
    });
  });

  describe(`${label}: cluster state`, () => {
    it("publishes only newer generations", async () => {
      const store = await newStore();
      expect(await store.getClusterState()).toBeUndefined();
      expect(await store.putClusterState(2, [{ name: "n1" }], 1_000)).toBe(true);
      expect(await store.putClusterState(2, [{ name: "other" }], 1_100)).toBe(false);
      expect(await store.putClusterState(1, [{ name: "old" }], 1_200)).toBe(false);
      expect(await store.getClusterState()).toEqual({ generation: 2, writtenAtMs: 1_000, entries: [{ name: "n1" }] });
      expect(await store.putClusterState(3, [], 1_300)).toBe(true);
      expect(await store.getClusterState()).toEqual({ generation: 3, writtenAtMs: 1_300, entries: [] });
    });

    it("round-trips 5,000 node summaries in order", async () => {
      const store = await newStore();
      const entries = Array.from({ length: 5_000 }, (_, i) => nodeSummary(i));
      expect(await store.putClusterState(1, entries, 1)).toBe(true);
      const read = await store.getClusterState();
      expect(read?.entries).toHaveLength(5_000);
      expect(read?.entries).toEqual(entries);
    });

    it("replaces the whole snapshot on a new generation, never mixing pages", async () => {
      const store = await newStore();
      const gen = (g: number) => Array.from({ length: 600 }, (_, i) => ({ ...nodeSummary(i), generation: g }));
      const results = await Promise.all([1, 2, 3, 4, 5].map((g) => store.putClusterState(g, gen(g), g)));
      expect(results.filter(Boolean).length).toBeGreaterThanOrEqual(1);
      const read = await store.getClusterState();
      expect(read?.generation).toBe(5);
      expect(read?.entries).toEqual(gen(5));
    });

    it("rejects an entry too large for a page and keeps the published state", async () => {
      const store = await newStore();
      await store.putClusterState(1, [{ name: "n1" }], 1);
      const tooBig = { name: "n2", blob: "x".repeat(310 * 1024) };
      await expect(store.putClusterState(2, [{ name: "ok" }, tooBig], 2)).rejects.toThrow(/cluster state entry 1: is \d+ bytes as JSON/);
      expect((await store.getClusterState())?.generation).toBe(1);
    });
  });

  describe(`${label}: decision journal`, () => {
    it("lists the entries of a time range newest first, at most the limit", async () => {
      const store = await newStore();
      for (const [id, at] of [["a", 1_000], ["b", 2_000], ["c", 3_000], ["d", 4_000]] as const) await store.putJournalEntry(entry(id, at), 1e12);
      expect((await store.listJournal({ fromMs: 2_000, toMs: 3_000 }, 0)).map((e) => e.id)).toEqual(["c", "b"]);
      expect((await store.listJournal({ fromMs: 0, toMs: 10_000, limit: 3 }, 0)).map((e) => e.id)).toEqual(["d", "c", "b"]);
      expect(await store.listJournal({ fromMs: 0, toMs: 10_000 }, 0)).toContainEqual(entry("a", 1_000));
    });

    it("finds the entries naming a subject, and only those", async () => {
      const store = await newStore();
      await store.putJournalEntry(entry("p1", 1_000, [{ kind: "pod", name: "default/web" }, { kind: "nodepool", name: "general" }]), 1e12);
      await store.putJournalEntry(entry("c1", 2_000, [{ kind: "node", name: "ip-10-0-1-1" }], "consolidation"), 1e12);
      await store.putJournalEntry(entry("p2", 3_000, [{ kind: "pod", name: "default/web" }]), 1e12);
      await store.putJournalEntry(entry("p3", 4_000, [{ kind: "pod", name: "default/web-2" }]), 1e12);
      expect((await store.listJournal({ fromMs: 0, toMs: 10_000, subject: { kind: "pod", name: "default/web" } }, 0)).map((e) => e.id)).toEqual(["p2", "p1"]);
      expect((await store.listJournal({ fromMs: 0, toMs: 2_500, subject: { kind: "pod", name: "default/web" } }, 0)).map((e) => e.id)).toEqual(["p1"]);
      expect((await store.listJournal({ fromMs: 0, toMs: 10_000, subject: { kind: "node", name: "ip-10-0-1-1" } }, 0)).map((e) => e.flow)).toEqual(["consolidation"]);
      expect(await store.listJournal({ fromMs: 0, toMs: 10_000, subject: { kind: "nodeclaim", name: "general" } }, 0)).toEqual([]);
    });

    it("leaves expired entries out, whether or not the table has deleted them yet", async () => {
      const store = await newStore();
      await store.putJournalEntry(entry("old", 1_000, [{ kind: "node", name: "n" }]), 50_000);
      await store.putJournalEntry(entry("new", 2_000, [{ kind: "node", name: "n" }]), 900_000);
      expect((await store.listJournal({ fromMs: 0, toMs: 10_000 }, 100_000)).map((e) => e.id)).toEqual(["new"]);
      expect((await store.listJournal({ fromMs: 0, toMs: 10_000, subject: { kind: "node", name: "n" } }, 100_000)).map((e) => e.id)).toEqual(["new"]);
    });

    it("rejects an entry too large, a subject name that would break the keys, and a bad limit", async () => {
      const store = await newStore();
      const big = { ...entry("big", 1), summary: "x".repeat(120 * 1024) };
      await expect(store.putJournalEntry(big, 1e12)).rejects.toThrow(/journal entry big: is \d+ bytes as JSON/);
      await expect(store.putJournalEntry(entry("bad", 1, [{ kind: "node", name: "a#b" }]), 1e12)).rejects.toThrow(/journal subject node a#b: name must not contain "#"/);
      await expect(store.listJournal({ fromMs: 0, toMs: 1, limit: 0 }, 0)).rejects.toThrow(/journal query: limit: 0 is not a positive integer/);
      expect(await store.listJournal({ fromMs: 0, toMs: 10 }, 0)).toEqual([]);
    });
  });

  describe(`${label}: names`, () => {
    it("rejects names that would break the key layout", async () => {
      const store = await newStore();
      await expect(store.acquireLease("a#b", "x", 1, 0)).rejects.toThrow(/lease a#b: name must not contain "#"/);
      await expect(store.getConfigObject("NodePool", "")).rejects.toThrow(/NodePool: name must be a non-empty string/);
      await expect(store.markUnavailable({ instanceType: "m5#large", zone: "z", capacityType: "spot" }, "r", 1)).rejects.toBeInstanceOf(InputError);
    });
  });
}
