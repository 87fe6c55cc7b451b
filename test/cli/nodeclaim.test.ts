/**
 * `tenon nodeclaim list|delete` on an in-memory store (the path through DynamoDB Local and the
 * lifecycle tick is test/termination/termination-paths-e2e.test.ts): the table output, a delete
 * that loses a race with the lifecycle tick and retries, and bad input.
 */
import { describe, expect, it } from "vitest";
import { runNodeClaimDelete, runNodeClaimList } from "../../lib/cli/commands/nodeclaim.ts";
import { main } from "../../lib/cli/main.ts";
import type { Store } from "../../lib/ports/store.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { claimContent } from "../support/records.ts";
import { recordingIO } from "../support/recording-io.ts";

const options = { cluster: "c", table: "t" };

async function storeWith(...names: string[]): Promise<Store> {
  const store = createMemoryStore({ clusterName: "c" });
  for (const name of names) {
    const content = claimContent(name, "Initialized");
    content.nodeClaim.status = { providerID: `aws:///us-east-1a/i-${name}` };
    await store.createNodeClaim(content, Date.parse("2026-01-01T00:00:00Z"));
  }
  return store;
}

describe("tenon nodeclaim", () => {
  it("lists records as a table with their NodePool, phase and provider ID", async () => {
    const store = await storeWith("default-b", "default-a");
    const io = recordingIO(process.cwd(), "", true);
    await runNodeClaimList(options, io, () => store);
    const lines = io.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+NODEPOOL\s+PHASE\s+TYPE\s+CAPACITY\s+ZONE\s+PROVIDER-ID\s+VERSION\s+CREATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ["default-a", "default", "Initialized"],
      ["default-b", "default", "Initialized"],
    ]);
    expect(lines[1]).toContain("aws:///us-east-1a/i-default-a");
    const empty = recordingIO(process.cwd(), "", true);
    await runNodeClaimList(options, empty, () => createMemoryStore({ clusterName: "c" }));
    expect(empty.stdout).toBe("no NodeClaims in the table\n");
  });

  it("marks the record Terminating, re-reading when the lifecycle tick wrote it meanwhile", async () => {
    const store = await storeWith("default-a");
    let raced = false;
    const racing: Store = {
      ...store,
      async updateNodeClaim(name, expectedVersion, content, nowMs) {
        if (!raced) {
          raced = true;
          // The lifecycle tick writes the record between the CLI's read and its write.
          const current = (await store.getNodeClaim(name))!;
          await store.updateNodeClaim(name, current.version, { ...current, launch: { ...current.launch, attempts: 2 } }, nowMs);
        }
        return store.updateNodeClaim(name, expectedVersion, content, nowMs);
      },
    };
    const io = recordingIO(process.cwd(), "", true);
    await runNodeClaimDelete("default-a", options, io, () => racing);
    expect(io.stdout).toBe("NodeClaim default-a: marked for deletion\n");
    const stored = await store.getNodeClaim("default-a");
    // The tick's write is kept and the record is marked on top of it.
    expect(stored).toMatchObject({ phase: "Terminating", version: 3, launch: { attempts: 2 } });
  });

  it("exits 2 with one error line for a missing cluster or a bad name", async () => {
    delete process.env["TENON_CLUSTER"];
    const noCluster = recordingIO(process.cwd());
    expect(await main(["node", "tenon", "nodeclaim", "list"], noCluster)).toBe(2);
    expect(noCluster.stderr).toBe("error: --cluster <name> is required (or set TENON_CLUSTER)\n");
    const badName = recordingIO(process.cwd());
    expect(await main(["node", "tenon", "nodeclaim", "delete", "a#b", "--cluster", "c"], badName)).toBe(2);
    expect(badName.stderr).toBe('error: nodeclaim delete: "a#b" is not a NodeClaim name\n');
  });
});
