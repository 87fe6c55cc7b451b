/**
 * `tenon nodeclaim list|delete`: Tenon's NodeClaims are records in the state table, not CRDs, so
 * this is the `kubectl get/delete nodeclaim` of a Tenon cluster. delete only marks the record
 * Terminating (a write conditional on the version it read); the lifecycle tick's termination path
 * then deletes the Node, drains it, terminates the instance and removes the record, exactly as for
 * `kubectl delete node`.
 */
import type { Command } from "commander";
import { terminatingContent } from "../../actions/records.ts";
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_NODEPOOL, LABEL_ZONE } from "../../api/labels.ts";
import { ConflictError, type NodeClaimRecord } from "../../ports/store.ts";
import { resolveOutputFormat, UsageError, type CliIO } from "../io.ts";
import { openDynamoDbStore, tableOptions, target, type OpenStore, type TableOptions } from "./nodepool.ts";

/** The NodeClaim's DisruptionReason condition when a person deletes it. */
export const MANUAL_DELETION_REASON = "Deleted";
/** Re-reads after a lost conditional write (the lifecycle tick updating the record meanwhile). */
const DELETE_ATTEMPTS = 5;

function row(record: NodeClaimRecord) {
  const labels = record.nodeClaim.metadata.labels ?? {};
  return {
    name: record.name,
    nodePool: labels[LABEL_NODEPOOL] ?? "",
    phase: record.phase,
    instanceType: labels[LABEL_INSTANCE_TYPE] ?? "",
    capacityType: labels[LABEL_CAPACITY_TYPE] ?? "",
    zone: labels[LABEL_ZONE] ?? "",
    providerID: record.nodeClaim.status?.providerID ?? "",
    version: record.version,
    createdAt: new Date(record.createdAtMs).toISOString(),
  };
}

export async function runNodeClaimList(options: TableOptions, io: CliIO, open: OpenStore): Promise<void> {
  const format = resolveOutputFormat(options.output, io);
  const rows = (await (await open(target(options))).listNodeClaims()).map(row);
  if (format === "json") {
    io.out(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    io.out("no NodeClaims in the table\n");
    return;
  }
  const header = ["NAME", "NODEPOOL", "PHASE", "TYPE", "CAPACITY", "ZONE", "PROVIDER-ID", "VERSION", "CREATED"];
  const cells = rows.map((r) => [r.name, r.nodePool, r.phase, r.instanceType, r.capacityType, r.zone, r.providerID, String(r.version), r.createdAt]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  for (const line of [header, ...cells]) io.out(`${line.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()}\n`);
}

export async function runNodeClaimDelete(name: string, options: TableOptions, io: CliIO, open: OpenStore): Promise<void> {
  if (!name || name.includes("#")) throw new UsageError(`nodeclaim delete: "${name}" is not a NodeClaim name`);
  const format = resolveOutputFormat(options.output, io);
  const store = await open(target(options));
  const say = (outcome: "marked for deletion" | "already being deleted" | "not found (nothing to delete)", version?: number) =>
    io.out(format === "json" ? `${JSON.stringify({ name, outcome, ...(version !== undefined ? { version } : {}) })}\n` : `NodeClaim ${name}: ${outcome}\n`);
  for (let attempt = 1; ; attempt++) {
    const record = await store.getNodeClaim(name);
    if (!record) return say("not found (nothing to delete)");
    if (record.phase === "Terminating") return say("already being deleted", record.version);
    try {
      const nowMs = Date.now();
      const updated = await store.updateNodeClaim(name, record.version, terminatingContent(record, MANUAL_DELETION_REASON, "deleted with tenon nodeclaim delete", nowMs), nowMs);
      return say("marked for deletion", updated.version);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= DELETE_ATTEMPTS) throw error;
    }
  }
}

export function registerNodeClaim(program: Command, io: CliIO, open: OpenStore = openDynamoDbStore): void {
  const nodeclaim = program
    .command("nodeclaim")
    .description("Tenon's NodeClaims (records in the state table, not CRDs): list them, or delete one through termination");
  tableOptions(nodeclaim.command("list").description("list the NodeClaim records with their phase and instance")).action(async (options: TableOptions) =>
    runNodeClaimList(options, io, open),
  );
  tableOptions(
    nodeclaim
      .command("delete <name>")
      .description("mark a NodeClaim for deletion: the lifecycle tick deletes its Node, drains it and terminates its instance"),
  ).action(async (name: string, options: TableOptions) => runNodeClaimDelete(name, options, io, open));
}
