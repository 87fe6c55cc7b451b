/**
 * `tenon nodepool apply|list|delete`: NodePools and EC2NodeClasses kept as items in the state
 * table, for clusters that would rather not install Karpenter's CRDs. The functions read them
 * beside the CRDs (lib/observe/configuration.ts) and validate them again on every read.
 *
 * apply is all or nothing: every document is validated first, and nothing is written unless all
 * are valid, so a typo in one file never leaves half a configuration behind.
 */
import { Option, type Command } from "commander";
import { loadDocuments } from "../../api/documents.ts";
import { isRecord } from "../../api/fields.ts";
import { validateKarpenterObject } from "../../api/karpenter-objects.ts";
import { InputError, formatProblem, type InputProblem } from "../../errors.ts";
import type { ConfigKind, ConfigObjectRecord, Store } from "../../ports/store.ts";
import { resolveOutputFormat, UsageError, type CliIO } from "../io.ts";

const CONFIG_KINDS: readonly ConfigKind[] = ["NodePool", "EC2NodeClass"];

export interface TableOptions {
  cluster?: string;
  table?: string;
  region?: string;
  output?: string;
}

export type OpenStore = (target: { cluster: string; table: string; region?: string }) => Store | Promise<Store>;

/**
 * The state table through the AWS SDK's default chain (AWS_ENDPOINT_URL_DYNAMODB is honoured).
 * The SDK is loaded only by the commands that open the table, so every other command starts
 * without it.
 */
export const openDynamoDbStore: OpenStore = async ({ cluster, table, region }) => {
  const [{ DynamoDBClient }, { createDynamoDbStore }] = await Promise.all([import("@aws-sdk/client-dynamodb"), import("../../store/dynamodb/dynamodb-store.ts")]);
  return createDynamoDbStore({ client: new DynamoDBClient(region ? { region } : {}), tableName: table, clusterName: cluster });
};

export function target(options: TableOptions): { cluster: string; table: string; region?: string } {
  const cluster = options.cluster ?? process.env["TENON_CLUSTER"];
  if (!cluster) throw new UsageError("--cluster <name> is required (or set TENON_CLUSTER)");
  const table = options.table ?? process.env["TENON_TABLE"] ?? `tenon-${cluster}`;
  return options.region ? { cluster, table, region: options.region } : { cluster, table };
}

function isConfigKind(kind: string): kind is ConfigKind {
  return (CONFIG_KINDS as readonly string[]).includes(kind);
}

interface ValidatedConfig {
  kind: ConfigKind;
  name: string;
  raw: unknown;
  source: string;
}

/** Every NodePool/EC2NodeClass in the documents, or an InputError with every problem found. */
export async function readConfiguration(files: string[], io: CliIO): Promise<{ objects: ValidatedConfig[]; skipped: string[] }> {
  const problems: InputProblem[] = [];
  const objects: ValidatedConfig[] = [];
  const skipped: string[] = [];
  const seen = new Map<string, string>();
  for (const { source, doc } of await loadDocuments(files, io)) {
    const result = validateKarpenterObject(doc);
    if (!result) {
      skipped.push(`${source} (${isRecord(doc) && typeof doc["kind"] === "string" ? doc["kind"] : "no kind"})`);
      continue;
    }
    if (!isConfigKind(result.kind)) {
      problems.push({ object: `${source}`, path: "kind", reason: `${result.kind} objects are created by Tenon, not applied` });
      continue;
    }
    problems.push(...result.problems);
    if (!result.value) continue;
    const id = `${result.kind} ${result.value.metadata.name}`;
    const earlier = seen.get(id);
    if (earlier) problems.push({ object: id, path: "metadata.name", reason: `defined twice (${earlier} and ${source})` });
    seen.set(id, source);
    // The document as written is stored, not the defaulted value: readers re-validate it, so a
    // later version's defaults apply to it.
    objects.push({ kind: result.kind, name: result.value.metadata.name, raw: doc, source });
  }
  if (problems.length > 0) throw new InputError(problems);
  return { objects, skipped };
}

export async function runApply(files: string[], options: TableOptions, io: CliIO, open: OpenStore): Promise<void> {
  if (files.length === 0) throw new UsageError("nodepool apply: give at least one -f <file|dir|->");
  const format = resolveOutputFormat(options.output, io);
  const where = target(options);
  const { objects, skipped } = await readConfiguration(files, io);
  if (skipped.length > 0) io.err(`note: skipped ${skipped.join(", ")} (apply stores NodePools and EC2NodeClasses)\n`);
  const store = await open(where);
  const results: Array<{ kind: ConfigKind; name: string; outcome: "created" | "configured" | "unchanged"; version: number }> = [];
  for (const object of objects) {
    const before = await store.getConfigObject(object.kind, object.name);
    const after = await store.putConfigObject(object.kind, object.name, object.raw, Date.now());
    const outcome = !before ? "created" : before.version === after.version ? "unchanged" : "configured";
    results.push({ kind: object.kind, name: object.name, outcome, version: after.version });
  }
  if (format === "json") io.out(`${JSON.stringify({ cluster: where.cluster, table: where.table, applied: results }, null, 2)}\n`);
  else for (const r of results) io.out(`${r.kind} ${r.name}: ${r.outcome} (version ${r.version})\n`);
}

function validity(record: ConfigObjectRecord): string {
  const result = validateKarpenterObject(record.raw);
  if (!result) return "invalid: not a NodePool or EC2NodeClass";
  return result.problems.length === 0 ? "valid" : `invalid: ${formatProblem(result.problems[0]!)}`;
}

/** What Tenon last reported for the object (its STATUS item), in a few words: `Ready True, 3 nodes`. */
function summary(status: Record<string, unknown>): string {
  const conditions = Array.isArray(status["conditions"]) ? (status["conditions"] as Array<{ type?: string; status?: string; message?: string }>) : [];
  const ready = conditions.find((c) => c.type === "Ready");
  const parts = [ready ? `Ready ${ready.status}${ready.status !== "True" && ready.message ? ` (${ready.message})` : ""}` : "Ready unknown"];
  if (typeof status["nodes"] === "number") parts.push(`${status["nodes"]} nodes`);
  return parts.join(", ");
}

export async function runList(options: TableOptions, io: CliIO, open: OpenStore): Promise<void> {
  const format = resolveOutputFormat(options.output, io);
  const store = await open(target(options));
  const [records, statuses] = await Promise.all([Promise.all(CONFIG_KINDS.map((kind) => store.listConfigObjects(kind))).then((r) => r.flat()), store.listObjectStatuses()]);
  const reported = new Map(statuses.map((s) => [`${s.kind}/${s.name}`, s]));
  const rows = records.map((r) => {
    const report = reported.get(`${r.kind}/${r.name}`);
    return { kind: r.kind, name: r.name, version: r.version, updatedAt: new Date(r.updatedAtMs).toISOString(), status: validity(r), ...(report ? { reported: report.status, reportedAt: new Date(report.updatedAtMs).toISOString() } : {}) };
  });
  if (format === "json") {
    io.out(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) io.out("no NodePools or EC2NodeClasses in the table\n");
  for (const row of rows) io.out(`${row.kind} ${row.name}  version ${row.version}  updated ${row.updatedAt}  ${row.status}${row.reported ? `  ${summary(row.reported)}` : ""}\n`);
}

export async function runDelete(kind: string, name: string, options: TableOptions, io: CliIO, open: OpenStore): Promise<void> {
  if (!isConfigKind(kind)) throw new UsageError(`nodepool delete: kind "${kind}" is not one of ${CONFIG_KINDS.join(", ")}`);
  const deleted = await (await open(target(options))).deleteConfigObject(kind, name);
  io.out(deleted ? `${kind} ${name}: deleted\n` : `${kind} ${name}: not found (nothing to delete)\n`);
}

export function tableOptions(command: Command): Command {
  return command
    .option("--cluster <name>", "the EKS cluster (or TENON_CLUSTER)")
    .option("--table <name>", "the state table (default: tenon-<cluster>, or TENON_TABLE)")
    .option("--region <region>", "AWS region of the table (default: the SDK's, e.g. AWS_REGION)")
    .addOption(new Option("-o, --output <format>", "output format: json or table (default: table on a terminal, json otherwise)"));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerNodePool(program: Command, io: CliIO, open: OpenStore = openDynamoDbStore): void {
  const nodepool = program
    .command("nodepool")
    .description("keep NodePools and EC2NodeClasses as items in Tenon's state table (instead of CRDs)");
  tableOptions(
    nodepool
      .command("apply")
      .description("validate NodePools and EC2NodeClasses, then store them all (or none, if any is invalid)")
      .option("-f, --filename <path>", "file, directory (*.yaml, *.yml, *.json) or - for stdin; repeatable", collect, [] as string[]),
  ).action(async (options: TableOptions & { filename: string[] }) => runApply(options.filename, options, io, open));
  tableOptions(nodepool.command("list").description("list the stored objects, each re-validated")).action(async (options: TableOptions) =>
    runList(options, io, open),
  );
  tableOptions(nodepool.command("delete <kind> <name>").description("delete a stored NodePool or EC2NodeClass")).action(
    async (kind: string, name: string, options: TableOptions) => runDelete(kind, name, options, io, open),
  );
}
