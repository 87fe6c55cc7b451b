/**
 * The `tenon simulate -o json` document (the contract's "Output" section), built from a scheduling
 * result. Keys are written in the contract's order and every list has a fixed order, so the same
 * input gives the same bytes.
 */
import type { NodeSelectorRequirement, Taint } from "../api/types.ts";
import { podKey } from "../api/kubernetes.ts";
import { resolveLaunch, type LaunchChoice } from "../scheduling/launch.ts";
import type { NewNodeClaim, SchedulingInput, SchedulingResult } from "../scheduling/types.ts";

export interface OutputRequirement {
  key: string;
  operator: string;
  values?: string[];
  minValues?: number;
}

export interface OutputTaint {
  key: string;
  value?: string;
  effect: string;
}

export interface OutputNodeClaim {
  name: string;
  nodePool: string;
  instanceTypes: string[];
  requirements: OutputRequirement[];
  labels: Record<string, string>;
  taints: OutputTaint[];
  pods: string[];
  launch: LaunchChoice | null;
}

export interface SimulationOutput {
  nodeClaims: OutputNodeClaim[];
  existingNodes: Array<{ name: string; pods: string[] }>;
  unschedulable: Array<{ pod: string; reason: string }>;
  summary: { pods: number; scheduled: number; newNodeClaims: number; pricePerHour: number };
}

/** Rounds a dollar amount to 6 decimals, so sums print without float noise (0.1 + 0.2 -> 0.3). */
export function roundPrice(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function outputRequirement(r: NodeSelectorRequirement): OutputRequirement {
  const out: OutputRequirement = { key: r.key, operator: r.operator };
  if (r.values !== undefined && (r.values.length > 0 || r.operator === "In" || r.operator === "NotIn")) {
    // Numeric operators carry one bound; set operators are sets, so a sorted list reads the same every time.
    out.values = r.operator === "In" || r.operator === "NotIn" ? [...r.values].sort() : [...r.values];
  }
  if (r.minValues !== undefined) out.minValues = r.minValues;
  return out;
}

function compareRequirements(a: OutputRequirement, b: OutputRequirement): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : a.operator < b.operator ? -1 : a.operator > b.operator ? 1 : 0;
}

function outputTaint(t: Taint): OutputTaint {
  return t.value !== undefined && t.value !== "" ? { key: t.key, value: t.value, effect: t.effect } : { key: t.key, effect: t.effect };
}

export function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}

/**
 * `launch` when no offering of the claim's instance types is allowed by its requirements: `null`.
 * The contract doesn't define this case (the scheduler only keeps types with an allowed available
 * offering, so it shouldn't arise); null keeps the key in every claim, so the format changes only
 * by what it adds, and invents no price. Its pods still count as scheduled; its price adds nothing.
 */
function outputLaunch(choice: LaunchChoice | undefined): LaunchChoice | null {
  if (!choice) return null;
  const out: LaunchChoice = { instanceType: choice.instanceType, zone: choice.zone, capacityType: choice.capacityType, price: choice.price };
  if (choice.reservationId !== undefined) out.reservationId = choice.reservationId;
  return out;
}

/** A new NodeClaim in the contract's nodeClaim format (also what `tenon disrupt` prints for replacements). */
export function outputNodeClaim(claim: NewNodeClaim, name: string): OutputNodeClaim {
  return {
    name,
    nodePool: claim.nodePoolName,
    instanceTypes: claim.instanceTypes.map((it) => it.name),
    requirements: claim.requirements.map(outputRequirement).sort(compareRequirements),
    labels: sortedRecord(claim.labels),
    taints: claim.taints.map(outputTaint),
    pods: claim.pods.map(podKey),
    launch: outputLaunch(resolveLaunch(claim)),
  };
}

export function buildOutput(input: SchedulingInput, result: SchedulingResult): SimulationOutput {
  const counters = new Map<string, number>();
  const nodeClaims = result.newNodeClaims.map((claim): OutputNodeClaim => {
    const n = (counters.get(claim.nodePoolName) ?? 0) + 1;
    counters.set(claim.nodePoolName, n);
    return outputNodeClaim(claim, `${claim.nodePoolName}-${n}`);
  });
  const existingNodes = result.existingNodes.filter((p) => p.pods.length > 0).map((p) => ({ name: p.name, pods: p.pods.map(podKey) }));
  const unschedulable = result.unschedulable.map((u) => ({ pod: podKey(u.pod), reason: u.reason }));
  const scheduled = nodeClaims.reduce((n, c) => n + c.pods.length, 0) + existingNodes.reduce((n, e) => n + e.pods.length, 0);
  const price = nodeClaims.reduce((sum, c) => sum + (c.launch?.price ?? 0), 0);
  return {
    nodeClaims,
    existingNodes,
    unschedulable,
    summary: { pods: input.pods.length, scheduled, newNodeClaims: nodeClaims.length, pricePerHour: roundPrice(price) },
  };
}

export function renderJson(output: SimulationOutput): string {
  return `${JSON.stringify(output, null, 2)}\n`;
}
