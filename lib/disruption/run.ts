/**
 * One `tenon disrupt` run without I/O: documents in (read and classified exactly as `simulate`
 * reads them), one disruption pass or a whole plan, the output document out.
 */
import type { FeatureGates } from "../ports/settings.ts";
import { classifyDocuments, type LoadedDocument } from "../simulate/objects.ts";
import type { InstanceTypeSource } from "../simulate/instance-types.ts";
import { clusterObjects } from "../simulate/run.ts";
import { disruptionPass, type DisruptionObjects, type PassResult } from "./decide.ts";
import { passOutput, planOutput, type PassOutput, type PlanOutput } from "./output.ts";
import { disruptionPlan } from "./plan.ts";

export interface DisruptionRun {
  objects: DisruptionObjects;
  passes: PassResult[];
  output: PassOutput | PlanOutput;
  notes: string[];
}

export function disruptionObjects(documents: readonly LoadedDocument[], source: InstanceTypeSource, note: (message: string) => void): DisruptionObjects {
  const objects = classifyDocuments(documents, note);
  return { ...clusterObjects(objects, source, note), nodeClasses: objects.nodeClasses, podDisruptionBudgets: objects.podDisruptionBudgets };
}

export function runDisruption(documents: readonly LoadedDocument[], source: InstanceTypeSource, at: number, plan: boolean, featureGates?: FeatureGates): DisruptionRun {
  const notes: string[] = [];
  const note = (message: string) => {
    if (!notes.includes(message)) notes.push(message);
  };
  const objects = { ...disruptionObjects(documents, source, note), ...(featureGates ? { featureGates } : {}) };
  if (objects.nodePools.length === 0) note("the input has no NodePool: no node is managed, so nothing can be disrupted");
  const passes = plan ? disruptionPlan(objects, at) : [disruptionPass(objects, at)];
  const outputs = passes.map(passOutput);
  return { objects, passes, output: plan ? planOutput(outputs, at) : outputs[0]!, notes };
}
