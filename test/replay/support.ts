/** Small replay inputs for the tests: a NodeClass, a NodePool of a few types, workloads and a Trace, as YAML. */
import type { LoadedDocument } from "../../lib/api/documents.ts";
import { parseDocuments } from "../../lib/api/documents.ts";
import type { InputProblem } from "../../lib/errors.ts";
import { expandTrace } from "../../lib/replay/trace/expand.ts";
import { readReplayDocuments } from "../../lib/replay/trace/parse.ts";
import type { DemandEvent, ReplayInput } from "../../lib/replay/types.ts";

export const NODE_CLASS = `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: { name: default }
spec:
  amiSelectorTerms: [{ alias: al2023@latest }]
  role: KarpenterNodeRole-test
  subnetSelectorTerms: [{ tags: { karpenter.sh/discovery: test } }]
  securityGroupSelectorTerms: [{ tags: { karpenter.sh/discovery: test } }]
`;

/** A NodePool of a few general-purpose sizes (fast to schedule), spot allowed, consolidating after `after`. */
export function nodePool(after = "1m", capacityTypes = ["spot", "on-demand"]): string {
  return `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: { name: default }
spec:
  template:
    spec:
      nodeClassRef: { group: karpenter.k8s.aws, kind: EC2NodeClass, name: default }
      requirements:
        - { key: karpenter.sh/capacity-type, operator: In, values: [${capacityTypes.join(", ")}] }
        - { key: node.kubernetes.io/instance-type, operator: In, values: [m6i.large, m6i.xlarge, m6i.2xlarge, m6i.4xlarge] }
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: ${after}
    budgets: [{ nodes: "100%" }]
`;
}

export function deployment(name: string, replicas: number, cpu = "500m"): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: default }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: app, resources: { requests: { cpu: ${cpu}, memory: 512Mi } } }]
`;
}

/** A Trace document: its name and hours, then `body` (YAML, the rest of the fields). */
export function traceDoc(name: string, hours: number, body = ""): string {
  return `apiVersion: tenon.sh/v1alpha1\nkind: Trace\nname: ${name}\nhours: ${hours}\n${body}`;
}

export function documents(...texts: string[]): LoadedDocument[] {
  const problems: InputProblem[] = [];
  const out = parseDocuments(texts.join("---\n"), "input.yaml", problems);
  if (problems.length > 0) throw new Error(problems.map((p) => p.reason).join("; "));
  return out;
}

export function input(seed: number, ...texts: string[]): ReplayInput {
  return expandTrace(readReplayDocuments(documents(...texts)), { seed });
}

/** How many pods of `workload` are wanted at `atMs` (events at that very time applied). */
export function wantedAt(demand: readonly DemandEvent[], workload: string, atMs: number): number {
  let n = 0;
  for (const e of demand) if (e.workload === workload && e.atMs <= atMs) n += e.kind === "add" ? 1 : -1;
  return n;
}

export const H = 3_600_000;
