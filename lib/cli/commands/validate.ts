/**
 * `tenon validate -f <file|dir|-> [-f ...] [-o json|table]`: checks every NodePool, EC2NodeClass
 * and NodeClaim as Karpenter's API server would. One line per problem on stderr and exit 2 if any
 * (with -o json the problems are also in the JSON on stdout); otherwise a summary and exit 0.
 * Other kinds are skipped with a note.
 */
import { Option, type Command } from "commander";
import { InputError, type InputProblem } from "../../errors.ts";
import { loadDocuments } from "../../api/documents.ts";
import { validateKarpenterObject } from "../../api/karpenter-objects.ts";
import { isRecord } from "../../api/fields.ts";
import { countKinds } from "../../simulate/objects.ts";
import { resolveOutputFormat, UsageError, type CliIO } from "../io.ts";

interface ValidatedObject {
  source: string;
  kind: string;
  name: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function describeOther(doc: unknown): string {
  const kind = isRecord(doc) && typeof doc["kind"] === "string" ? doc["kind"] : "(no kind)";
  const metadata = isRecord(doc) ? doc["metadata"] : undefined;
  const name = isRecord(metadata) && typeof metadata["name"] === "string" ? ` ${metadata["name"]}` : "";
  return `${kind}${name}`;
}

/** With -o json, bad input still gives one JSON document on stdout: the problems, by object, path and reason. */
function printProblemsAsJson(io: CliIO, problems: readonly InputProblem[], valid: readonly ValidatedObject[] = [], skipped: ReadonlyArray<{ source: string; object: string }> = []): void {
  const listed = problems.map((p) => ({ object: p.object, path: p.path, reason: p.reason }));
  io.out(`${JSON.stringify({ valid: valid.map((v) => ({ kind: v.kind, name: v.name, source: v.source })), skipped, problems: listed }, null, 2)}\n`);
}

export async function runValidate(files: string[], output: string | undefined, io: CliIO): Promise<void> {
  if (files.length === 0) throw new UsageError("validate: give at least one -f <file|dir|->");
  const format = resolveOutputFormat(output, io);
  let documents;
  try {
    documents = await loadDocuments(files, io);
  } catch (error) {
    if (format === "json" && error instanceof InputError) printProblemsAsJson(io, error.problems);
    throw error;
  }
  const problems: InputProblem[] = [];
  const valid: ValidatedObject[] = [];
  const ignored: Array<{ source: string; object: string }> = [];
  const seen = new Map<string, string>();
  for (const { source, doc } of documents) {
    const result = validateKarpenterObject(doc);
    if (!result) {
      ignored.push({ source, object: describeOther(doc) });
      continue;
    }
    problems.push(...result.problems);
    if (!result.value) continue;
    const name = result.value.metadata.name;
    const id = `${result.kind} ${name}`;
    const earlier = seen.get(id);
    if (earlier) problems.push({ object: id, path: "metadata.name", reason: `defined twice (${earlier} and ${source})` });
    else seen.set(id, source);
    valid.push({ source, kind: result.kind, name });
  }
  if (ignored.length > 0) io.err(`note: skipped ${countKinds(ignored.map((i) => i.object.split(" ")[0]!))} (validate checks NodePool, EC2NodeClass and NodeClaim)\n`);
  if (format === "json") printProblemsAsJson(io, problems, valid, ignored);
  if (problems.length > 0) throw new InputError(problems);
  if (format === "json") return;
  if (valid.length === 0) io.out("no NodePool, EC2NodeClass or NodeClaim found\n");
  for (const object of valid) io.out(`${object.kind} ${object.name}: valid\n`);
}

export function registerValidate(program: Command, io: CliIO): void {
  program
    .command("validate")
    .description("check NodePools, EC2NodeClasses and NodeClaims as Karpenter's API server would")
    .option("-f, --filename <path>", "file, directory (*.yaml, *.yml, *.json) or - for stdin; repeatable", collect, [] as string[])
    .addOption(new Option("-o, --output <format>", "output format: json or table (default: table on a terminal, json otherwise)"))
    .action(async (options: { filename: string[]; output?: string }) => {
      await runValidate(options.filename, options.output, io);
    });
}
