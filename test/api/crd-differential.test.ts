/**
 * Differential test: Tenon's validation (lib/api) against Karpenter's own CRDs (OpenAPI schema and
 * CEL rules, as the AWS provider ships them) served by a real kube-apiserver. Every case of the
 * bad-input tables and a few thousand generated NodePools and EC2NodeClasses go to both (the
 * server side as a dry-run create with strict field validation, as `kubectl apply` sends it); they
 * must agree on accept or reject, and where Tenon rejects, one of its problems must name a field
 * the server names (the same path, or one inside the other: CEL rules report the object that
 * holds the rule, Tenon the field within it). Known, deliberate differences are listed in
 * `KNOWN_DIFFERENCES` and in docs/kubernetes.md.
 */
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateEC2NodeClass } from "../../lib/api/ec2nodeclass.ts";
import { validateNodePool } from "../../lib/api/nodepool.ts";
import type { InputProblem } from "../../lib/errors.ts";
import { apiServerUnavailable, KARPENTER_VERSION, startRealApiServer, type RealApiServer } from "../support/apiserver.ts";
import { cases as ec2NodeClassCases } from "./ec2nodeclass-invalid-cases.ts";
import { cases as nodePoolCases } from "./nodepool-invalid-cases.ts";
import { ec2NodeClassArbitrary, nodePoolArbitrary } from "./crd-differential-generators.ts";
import { ec2NodeClass, nodePool } from "./samples.ts";

const skip = await apiServerUnavailable();
/** Karpenter objects that must be valid: the documentation-style fixtures and the repository's examples. */
const FIXTURE_DIRS = [new URL("./fixtures/", import.meta.url), new URL("../../examples/", import.meta.url)];

type Kind = "NodePool" | "EC2NodeClass";
const PATHS: Record<Kind, string> = { NodePool: "/apis/karpenter.sh/v1/nodepools", EC2NodeClass: "/apis/karpenter.k8s.aws/v1/ec2nodeclasses" };
const VALIDATE: Record<Kind, (doc: unknown) => { problems: InputProblem[] }> = { NodePool: validateNodePool, EC2NodeClass: validateEC2NodeClass };

interface Verdict {
  accepted: boolean;
  fields: string[];
  messages: string[];
}

interface Comparison {
  name: string;
  kind: Kind;
  doc: unknown;
  tenon: Verdict;
  server: Verdict;
}

/**
 * Where Tenon is deliberately stricter than Karpenter's CRDs (each also in docs/kubernetes.md):
 * an input the API server admits is explained when every problem Tenon reports matches one of these.
 */
interface KnownDifference {
  id: string;
  /** Matches one of Tenon's problem lines, `path: reason`. */
  problem: RegExp;
}

const KNOWN_DIFFERENCES: KnownDifference[] = [
  // Karpenter checks these when it reads the NodePool (its runtime validation), not in the CRD.
  {
    id: "requirements checked at run time by Karpenter",
    problem:
      /^spec\.template\.spec\.requirements\[\d+\]\.(values(\[\d+\])?: (operator (Exists|DoesNotExist) takes no values|".*" is not a valid label value|none of .* is a known value of)|minValues: \d+ is more than the \d+ known value)/,
  },
  { id: "template label keys that are not qualified names", problem: /^spec\.template\.metadata\.labels\[[^\]]*\]: ".*" is not a qualified name/ },
  // A Node with such a taint is refused by the API server; duplicates are refused by Karpenter at run time.
  { id: "taint keys and values a Node can't carry; duplicate taints", problem: /^spec\.template\.spec\.(startupT|t)aints\[\d+\](\.(key|value): ".*" is not a (qualified name|valid taint value)|: duplicate taint key\/effect pair)/ },
  { id: "budget schedules that are not 5-field cron", problem: /^spec\.disruption\.budgets\[\d+\]\.schedule: ".*" is not a valid cron schedule/ },
  // The CRD's rule is `!self.all(x, has(x.id) && has(x.tags))`: it only fires when every term mixes them.
  { id: "selector term mixing id with other fields, in a list with other terms", problem: /^spec\.(subnet|securityGroup)SelectorTerms\[\d+\]: 'id' is mutually exclusive/ },
  // Karpenter decodes these as durations; one that doesn't parse makes the whole object unreadable.
  { id: "evictionSoftGracePeriod values that are not durations", problem: /^spec\.kubelet\.evictionSoftGracePeriod\[[^\]]+\]: ".*" is not a duration/ },
  { id: "EC2NodeClass without spec", problem: /^spec: is required$/ },
  // Tenon finds its own resources by tenon.sh/ tags (docs/iam.md, "Ownership"): a NodeClass may not set them.
  { id: "tags in Tenon's own tenon.sh/ namespace", problem: /^spec\.tags\[tenon\.sh\/[^\]]*\]: tag contains a restricted tag matching tenon\.sh\// },
];

/** The known differences that explain a disagreement, or none when it is unexplained. */
function explanation(c: Comparison): string[] {
  if (!c.server.accepted || c.tenon.accepted) return [];
  const ids = c.tenon.messages.map((m) => KNOWN_DIFFERENCES.find((k) => k.problem.test(m))?.id);
  return ids.every((id) => id !== undefined) ? [...new Set(ids as string[])] : [];
}

async function serverVerdict(server: RealApiServer, kind: Kind, doc: unknown): Promise<Verdict> {
  const res = await server.request<{ message?: string; details?: { causes?: Array<{ field?: string; message?: string }> } }>("POST", `${PATHS[kind]}?dryRun=All&fieldValidation=Strict`, {
    body: doc,
  });
  if (res.status === 201 || res.status === 200) return { accepted: true, fields: [], messages: [] };
  if (res.status !== 422 && res.status !== 400) throw new Error(`unexpected HTTP ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  const causes = res.body.details?.causes ?? [];
  const fields = causes.map((c) => c.field ?? "").filter(Boolean);
  // Strict field validation answers 400 with the unknown fields in the message only (for an
  // apiVersion it does not serve, the "unknown field" is an artefact of decoding: no field).
  const served = (doc as { apiVersion?: unknown }).apiVersion === PATHS[kind].split("/").slice(2, 4).join("/");
  if (served) for (const m of (res.body.message ?? "").matchAll(/unknown field "([^"]+)"/g)) fields.push(m[1]!);
  return { accepted: false, fields, messages: causes.length ? causes.map((c) => `${c.field ?? ""}: ${c.message ?? ""}`) : [res.body.message ?? ""] };
}

function tenonVerdict(kind: Kind, doc: unknown): Verdict {
  const { problems } = VALIDATE[kind](doc);
  return { accepted: problems.length === 0, fields: problems.map((p) => p.path), messages: problems.map((p) => `${p.path}: ${p.reason}`) };
}

const within = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
/** Tenon writes map keys in brackets (`evictionHard[memory.available]`), the API server with a dot. */
const asServerPath = (path: string) => path.replace(/\[([^\]]*[^0-9\]][^\]]*)\]/g, ".$1");

/**
 * The two agree: both accept, or both reject and some field Tenon names is, contains or lies
 * within one the server names. A rejection the server could not tie to any field (an apiVersion
 * it cannot decode) agrees with any rejection.
 */
function agree(c: Comparison): boolean {
  if (c.tenon.accepted !== c.server.accepted) return false;
  if (c.tenon.accepted) return true;
  const serverFields = c.server.fields.filter((f) => f !== "<nil>");
  if (serverFields.length === 0) return true;
  return c.tenon.fields.map(asServerPath).some((t) => serverFields.some((s) => within(t, s) || within(s, t)));
}

async function inParallel<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

describe.skipIf(Boolean(skip))(`Tenon's validation agrees with Karpenter's CRDs (${KARPENTER_VERSION}) on a real API server`, () => {
  let server: RealApiServer;
  const compare = (inputs: Array<{ name: string; kind: Kind; doc: unknown }>) =>
    inParallel(inputs, 8, async ({ name, kind, doc }) => {
      // Both sides see the document as JSON carries it (no undefined values).
      const json = JSON.parse(JSON.stringify(doc)) as unknown;
      return { name, kind, doc: json, tenon: tenonVerdict(kind, json), server: await serverVerdict(server, kind, json) };
    });
  const report = (label: string, results: Comparison[]) => {
    const disagreements = results.filter((c) => !agree(c));
    const explained = disagreements.filter((c) => explanation(c).length > 0);
    const byReason = new Map<string, number>();
    for (const id of explained.flatMap(explanation)) byReason.set(id, (byReason.get(id) ?? 0) + 1);
    console.log(
      `${label}: ${results.length} inputs, ${results.length - disagreements.length} agree` +
        ` (${results.filter((r) => r.server.accepted && r.tenon.accepted).length} both accept), ` +
        `${explained.length} differ as documented${[...byReason].map(([id, n]) => `\n  ${n} × ${id}`).join("")}`,
    );
    return disagreements.filter((c) => !explained.includes(c));
  };

  beforeAll(async () => {
    server = await startRealApiServer();
    await server.installKarpenterCrds();
  }, 20 * 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("accepts the minimal samples, the documentation-style fixtures and every example on both sides", async () => {
    const fixtures = FIXTURE_DIRS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => new URL(f, dir)))
      .flatMap((url) => parseAllDocuments(readFileSync(url, "utf8")).map((d) => ({ file: url.pathname.split("/").slice(-2).join("/"), doc: d.toJS() as { kind?: string; metadata?: { name?: string } } })))
      .filter((d): d is { file: string; doc: { kind: Kind; metadata?: { name?: string } } } => d.doc?.kind === "NodePool" || d.doc?.kind === "EC2NodeClass")
      .map(({ file, doc }) => ({ name: `${file}: ${doc.kind} ${doc.metadata?.name}`, kind: doc.kind, doc }));
    expect(fixtures.length).toBeGreaterThan(0);
    const results = await compare([
      { name: "valid NodePool", kind: "NodePool", doc: nodePool() },
      { name: "valid EC2NodeClass", kind: "EC2NodeClass", doc: ec2NodeClass() },
      ...fixtures,
    ]);
    expect(results.map((r) => [r.name, r.tenon.accepted, r.server.accepted, r.server.messages])).toEqual(results.map((r) => [r.name, true, true, []]));
  });

  it("agrees on every case of the bad-input tables", async () => {
    const inputs = [
      ...nodePoolCases.map(([name, mutate]) => {
        const doc = nodePool();
        mutate(doc);
        return { name: `NodePool: ${name}`, kind: "NodePool" as const, doc };
      }),
      ...ec2NodeClassCases.map(([name, mutate]) => {
        const doc = ec2NodeClass();
        mutate(doc);
        return { name: `EC2NodeClass: ${name}`, kind: "EC2NodeClass" as const, doc };
      }),
    ];
    const unexplained = report("bad-input tables", await compare(inputs));
    if (process.env["TENON_DIFF_DUMP"]) (await import("node:fs")).writeFileSync(process.env["TENON_DIFF_DUMP"] + ".tables.json", JSON.stringify(unexplained, null, 1));
    expect(unexplained.map((c) => ({ name: c.name, tenon: c.tenon.messages, server: c.server.messages }))).toEqual([]);
  });

  it("agrees on thousands of generated NodePools and EC2NodeClasses", async () => {
    const inputs = [
      ...fc.sample(nodePoolArbitrary, { numRuns: 1500, seed: 15 }).map((doc, i) => ({ name: `generated NodePool #${i}`, kind: "NodePool" as const, doc })),
      ...fc.sample(ec2NodeClassArbitrary, { numRuns: 1500, seed: 15 }).map((doc, i) => ({ name: `generated EC2NodeClass #${i}`, kind: "EC2NodeClass" as const, doc })),
    ];
    const results = await compare(inputs);
    // The generators must produce both outcomes in quantity, or the agreement says little.
    expect(results.filter((r) => r.server.accepted).length).toBeGreaterThan(300);
    expect(results.filter((r) => !r.server.accepted).length).toBeGreaterThan(300);
    const unexplained = report("generated", results);
    if (process.env["TENON_DIFF_DUMP"]) (await import("node:fs")).writeFileSync(process.env["TENON_DIFF_DUMP"] + ".generated.json", JSON.stringify(unexplained, null, 1));
    expect(unexplained.slice(0, 10).map((c) => ({ name: c.name, doc: c.doc, tenon: c.tenon.messages, server: c.server.messages }))).toEqual([]);
  }, 120_000);
});
