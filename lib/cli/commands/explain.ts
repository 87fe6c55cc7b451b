/**
 * `tenon explain pod NS/NAME | node NAME | nodeclaim NAME | nodepool NAME [--since 1h]`: reads the
 * decision journal from the stack's table (as `tenon nodeclaim` reaches it) and prints the
 * subject's story in plain sentences, newest first; `-o json` for tools (docs/explain.md). With
 * `-f`, no table is read: the story is what Tenon would decide on that simulate/disrupt input.
 */
import type { Command } from "commander";
import { parseGoDuration } from "../../api/duration.ts";
import { explain, renderExplanation, subjectsToQuery, type ExplainTarget } from "../../journal/explain.ts";
import { JOURNAL_SUBJECT_KINDS, type JournalEntry, type JournalSubjectKind } from "../../ports/journal.ts";
import { featureGatesFlag } from "../feature-gates.ts";
import { resolveOutputFormat, UsageError, type CliIO } from "../io.ts";
import { openDynamoDbStore, tableOptions, target, type OpenStore, type TableOptions } from "./nodepool.ts";

export interface ExplainOptions extends TableOptions {
  since?: string;
  /** Offline: explain what the functions would decide on this simulate/disrupt input (no table read). */
  filename?: string[];
  instanceTypes?: string;
  zones?: string;
  at?: string;
  featureGates?: string;
}

/** Entries read per subject name at most. */
const ENTRY_LIMIT = 200;

function parseSince(text: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (error) {
    throw new UsageError(`explain: --since ${text}: ${(error as Error).message}`);
  }
  if (!(ms > 0)) throw new UsageError(`explain: --since ${text}: must be a positive duration such as 30m, 1h or 24h`);
  return ms;
}

function parseTarget(kind: string, name: string): ExplainTarget {
  if (!(JOURNAL_SUBJECT_KINDS as readonly string[]).includes(kind)) throw new UsageError(`explain: "${kind}" is not one of ${JOURNAL_SUBJECT_KINDS.join(", ")}`);
  if (!name || name.includes("#")) throw new UsageError(`explain: "${name}" is not a ${kind} name`);
  if (kind === "pod" && !/^[^/]+\/[^/]+$/.test(name)) throw new UsageError(`explain pod: "${name}" is not NAMESPACE/NAME`);
  return { kind: kind as JournalSubjectKind, name };
}

/** `-f`: the entries the provisioner and the consolidator (or drift checker) would write for this input at `--at`. */
async function offlineEntries(options: ExplainOptions, io: CliIO, nowMs: number): Promise<JournalEntry[]> {
  const [{ loadDocuments }, { runSimulation }, { runDisruption }, { instanceTypeSource, DEFAULT_REGION }, { parseAt }, { simulationEntry, disruptionEntry }] = await Promise.all([
    import("../../api/documents.ts"),
    import("../../simulate/run.ts"),
    import("../../disruption/run.ts"),
    import("../input.ts"),
    import("./disrupt.ts"),
    import("../../journal/offline.ts"),
  ]);
  const at = parseAt(options.at, () => nowMs);
  const source = await instanceTypeSource({ region: options.region ?? DEFAULT_REGION, ...(options.instanceTypes ? { instanceTypes: options.instanceTypes } : {}), ...(options.zones ? { zones: options.zones } : {}) }, io);
  const documents = await loadDocuments(options.filename!, io);
  const simulation = runSimulation(documents, source);
  const pass = runDisruption(documents, source, at, false, featureGatesFlag(options.featureGates)).output;
  return [simulationEntry(simulation, at), ...("passes" in pass ? [] : [disruptionEntry(pass, at)])];
}

export async function runExplain(kind: string, name: string, options: ExplainOptions, io: CliIO, open: OpenStore, nowMs = Date.now()): Promise<void> {
  const subject = parseTarget(kind, name);
  if (options.filename && options.filename.length > 0) {
    const format = resolveOutputFormat(options.output, io);
    const explanation = explain(subject, await offlineEntries(options, io, nowMs));
    io.out(format === "json" ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation, "input", true));
    return;
  }
  const since = options.since ?? "1h";
  const sinceMs = parseSince(since);
  const format = resolveOutputFormat(options.output, io);
  const store = await open(target(options));
  const entries: JournalEntry[] = [];
  for (const s of subjectsToQuery(subject)) entries.push(...(await store.listJournal({ fromMs: Math.max(0, nowMs - sinceMs), toMs: nowMs, subject: s, limit: ENTRY_LIMIT }, nowMs)));
  const explanation = explain(subject, entries);
  io.out(format === "json" ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation, since));
}

export function registerExplain(program: Command, io: CliIO, open: OpenStore = openDynamoDbStore): void {
  tableOptions(
    program
      .command("explain <kind> <name>")
      .description("why Tenon did (or did not) act on a pod (NAMESPACE/NAME), node, nodeclaim or nodepool: its story from the decision journal, newest first")
      .option("--since <duration>", "how far back to read (Go duration: 30m, 1h, 24h)", "1h")
      .option("-f, --filename <file|dir|->", "offline: explain what Tenon would decide on this simulate/disrupt input instead of reading the journal (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
      .option("--instance-types <catalog.json>", "with -f: instance-type catalog instead of the bundled AWS catalog")
      .option("--zones <zones>", "with -f: zones to assume where no EC2NodeClass status.subnets names them")
      .option("--at <time>", "with -f: the time the disruption decision is made at (RFC 3339; default now)")
      .option("--feature-gates <list>", "with -f: Karpenter's feature gates, e.g. SpotToSpotConsolidation=true (default all off, as deployed)"),
  ).action(async (kind: string, name: string, options: ExplainOptions) => runExplain(kind, name, options, io, open));
}
