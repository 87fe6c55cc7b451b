/**
 * Schedule digests: `npx tsx bench/digest.ts [workload:pods ...]` prints, per case, a hash of
 * everything `schedule()` decided (each new claim's NodePool, requirements, labels, taints,
 * requests, instance types in order and pods in order; each existing node's placed pods; each
 * unschedulable pod and its reason), the claim count and the CPU time of the run. Equal digests
 * before and after a change to the scheduler's search mean the change kept every decision.
 * Workloads: synthetic (bench/workload.ts), karpenter and distinct-requests (bench/karpenter-shaped.ts).
 */
import { createHash } from "node:crypto";
import { schedule } from "../lib/scheduling/scheduler.ts";
import type { SchedulingInput, SchedulingResult } from "../lib/scheduling/types.ts";
import { distinctRequestsInput, karpenterShapedInput } from "./karpenter-shaped.ts";
import { benchmarkInput } from "./workload.ts";

const WORKLOADS: Record<string, (pods: number) => SchedulingInput> = {
  synthetic: benchmarkInput,
  karpenter: karpenterShapedInput,
  "distinct-requests": distinctRequestsInput,
};
const DEFAULT_CASES = ["synthetic:2000", "karpenter:3000", "distinct-requests:3000"];

export function scheduleDigest(result: SchedulingResult): string {
  const text = JSON.stringify({
    claims: result.newNodeClaims.map((c) => ({
      ...c,
      instanceTypes: c.instanceTypes.map((t) => t.name),
      pods: c.pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
    })),
    existing: result.existingNodes.map((e) => [e.name, e.pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)]),
    unschedulable: result.unschedulable.map((u) => [`${u.pod.metadata.namespace}/${u.pod.metadata.name}`, u.reason]),
  });
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

function main(args: string[]): void {
  for (const c of args.length ? args : DEFAULT_CASES) {
    const [workload, pods] = c.split(":");
    const make = WORKLOADS[workload!];
    if (!make || !Number(pods)) throw new Error(`bad case ${c}: want <${Object.keys(WORKLOADS).join("|")}>:<pods>`);
    const input = make(Number(pods));
    const start = process.cpuUsage();
    const result = schedule(input);
    const cpu = process.cpuUsage(start);
    console.log(`${c} ${scheduleDigest(result)} claims=${result.newNodeClaims.length} unschedulable=${result.unschedulable.length} cpu_ms=${Math.round((cpu.user + cpu.system) / 1000)}`);
  }
}

main(process.argv.slice(2));
