/**
 * Journal entries stay small whatever the run's size: a 5,000-pod provisioner decision (the real
 * scheduler and decision code) becomes one entry far under DynamoDB's 400 KB item limit that still
 * answers for any of its pods.
 */
import { describe, expect, it } from "vitest";
import { RecordingExecutor } from "../../lib/actions/executor.ts";
import type { Pod } from "../../lib/api/kubernetes.ts";
import { buildEntry, JOURNAL_BUDGET_BYTES, summarizeScheduling } from "../../lib/journal/entry.ts";
import { explain } from "../../lib/journal/explain.ts";
import { JOURNAL_LIMITS } from "../../lib/ports/journal.ts";
import { decideProvisioning } from "../../lib/provisioning/provisioner.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { encodeJournalEntry } from "../../lib/store/journal-codec.ts";
import { utf8Bytes } from "../../lib/store/codec.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { input, nodePool, option, pod } from "../support/builders.ts";

/** `replicas` pods of Deployment `app`, as its ReplicaSet makes them. */
function replicaSet(app: string, replicas: number, extra: Partial<Pod["spec"]> = {}): Pod[] {
  return Array.from({ length: replicas }, (_, i) => {
    const p = pod({ name: `${app}-6d4cf56db6-${String(i).padStart(5, "0")}`, labels: { app }, cpu: "250m", memory: "256Mi", ...extra });
    p.metadata.ownerReferences = [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${app}-6d4cf56db6`, controller: true }];
    return p;
  });
}

describe("journal entries", () => {
  it("summarize a 5,000-pod run per pod group, far under the item limit, and still explain any of its pods", async () => {
    const pods = [
      ...Array.from({ length: 240 }, (_, i) => replicaSet(`service-${i}`, 20)).flat(),
      // 200 pods nothing can hold: a zone no NodePool offers.
      ...Array.from({ length: 10 }, (_, i) => replicaSet(`zonal-${i}`, 20, { nodeSelector: { "topology.kubernetes.io/zone": "mars-1a" } })).flat(),
    ];
    expect(pods).toHaveLength(5_000);
    const pool = nodePool("default");
    const result = schedule(input({ pods, nodePools: [option(pool)] }));
    const nowMs = Date.parse("2026-12-03T10:00:00Z");
    let n = 0;
    const actions = decideProvisioning({
      observation: { records: [], nodePools: [option(pool)] }, result, nowMs, launchAttempts: 3,
      ids: { suffix: () => String.fromCharCode(...[0, 1, 2, 3, 4].map((k) => 97 + (Math.floor(n++ / 26 ** k) % 26))), uid: () => `uid-${n++}` },
      lease: { name: "provisioner", holder: "h", token: 1, ttlMs: 1000 },
    });
    const applied = await new RecordingExecutor().execute(actions);
    const names = actions.flatMap((a) => (a.kind === "write-nodeclaim" ? [a.content.nodeClaim.metadata.name] : []));
    const entry = buildEntry({ id: "run-1", atMs: nowMs, flow: "provisioner", trigger: "tick", mode: "shadow", summary: "5,000 pods", applied, scheduling: summarizeScheduling(result, names) });

    const bytes = utf8Bytes(encodeJournalEntry(entry, nowMs + 1).body);
    expect(bytes).toBeLessThanOrEqual(JOURNAL_BUDGET_BYTES);
    expect(entry.omitted?.podEvents).toBe(5_000);
    expect(entry.subjects.length).toBeLessThanOrEqual(JOURNAL_LIMITS.subjects);
    // Groups beyond the budget are counted, not listed; the unschedulable ones (what people ask about) come first.
    expect(entry.groups!.length).toBeGreaterThanOrEqual(50);
    expect(entry.groups!.length + entry.omitted!.groups!).toBe(250);
    expect(entry.groups!.slice(0, 10).every((g) => g.unschedulable?.includes("topology.kubernetes.io/zone"))).toBe(true);

    // The table takes it, and a pod far beyond the names kept per group is still explained.
    const store = createMemoryStore({ clusterName: "c" });
    await store.putJournalEntry(entry, nowMs + 86_400_000);
    const [read] = await store.listJournal({ fromMs: nowMs, toMs: nowMs, subject: { kind: "pod", name: "default/zonal-7-6d4cf56db6" } }, nowMs);
    const lines = explain({ kind: "pod", name: "default/zonal-7-6d4cf56db6-00019" }, [read!]).lines;
    expect(lines.map((l) => l.text)).toEqual([expect.stringMatching(/^Pod default\/zonal-7-6d4cf56db6-00019 \(one of 20 alike pods of ReplicaSet\/zonal-7-6d4cf56db6\) could not be placed: .*mars-1a/)]);
    const placed = explain({ kind: "pod", name: "default/service-3-6d4cf56db6-00017" }, [read!]).lines;
    expect(placed.length).toBeGreaterThan(0);
    expect(placed.every((l) => /would go on new NodeClaim default-[a-z]{5}: NodePool default/.test(l.text))).toBe(true);
    console.log(`5,000-pod provisioner entry: ${bytes} bytes, ${entry.subjects.length} subjects, ${entry.actions.length} actions, ${entry.groups!.length} groups, ${entry.nodeClaims?.length ?? 0} NodeClaims listed`);
  });
});
