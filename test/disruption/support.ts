import { disruptionPass } from "../../lib/disruption/decide.ts";
import { passOutput, type PassOutput } from "../../lib/disruption/output.ts";
import { AT, cluster, type ClusterSpec } from "./builders.ts";

export function decide(spec: ClusterSpec, at = AT): PassOutput {
  return passOutput(disruptionPass(cluster(spec), at));
}

/** The nodes the pass's commands take, sorted. */
export function taken(out: PassOutput): string[] {
  return out.commands.flatMap((c) => c.candidates.map((x) => x.node)).sort();
}

export function why(out: PassOutput, node: string): string | undefined {
  return out.notDisrupted.find((n) => n.node === node)?.reason;
}
