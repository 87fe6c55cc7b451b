/**
 * One simulation, start to end, without I/O: documents in, scheduling input, the scheduler's
 * decision, and the output document out. The CLI reads files and prints; tests call this directly.
 */
import type { PersistentVolumeClaim } from "../api/kubernetes.ts";
import { schedule } from "../scheduling/scheduler.ts";
import { buildSchedulingInput, type ClusterObjects } from "../scheduling/snapshot.ts";
import type { SchedulingInput, SchedulingOptions, SchedulingResult } from "../scheduling/types.ts";
import { nodePoolOptions, type InstanceTypeSource } from "./instance-types.ts";
import { classifyDocuments, type LoadedDocument, type SimulationObjects } from "./objects.ts";
import { buildOutput, type SimulationOutput } from "./output.ts";
import { expandWorkloads } from "./workloads.ts";

export interface SimulationRun {
  objects: SimulationObjects;
  input: SchedulingInput;
  result: SchedulingResult;
  output: SimulationOutput;
  /** Remarks for the user (catalog assumptions, guessed capacity), in the order they arose, without repeats. */
  notes: string[];
}

/** The cluster the understood objects describe: workloads expanded into pods, instance types attached to NodePools. */
export function clusterObjects(objects: SimulationObjects, source: InstanceTypeSource, note: (message: string) => void): ClusterObjects {
  const expanded = expandWorkloads(objects.workloads, objects.pods, objects.persistentVolumeClaims);
  const claims: PersistentVolumeClaim[] = [...objects.persistentVolumeClaims, ...expanded.persistentVolumeClaims];
  return {
    pods: [...objects.pods, ...expanded.pods],
    nodes: objects.nodes,
    nodeClaims: objects.nodeClaims,
    nodePools: nodePoolOptions(objects.nodePools, objects.nodeClasses, source, note),
    daemonSets: objects.daemonSets,
    persistentVolumeClaims: claims,
    persistentVolumes: objects.persistentVolumes,
    storageClasses: objects.storageClasses,
  };
}

/** Turns understood objects into the scheduler's input (workloads expanded, instance types attached). */
export function simulationInput(
  objects: SimulationObjects,
  source: InstanceTypeSource,
  note: (message: string) => void,
  scheduling?: SchedulingOptions,
): SchedulingInput {
  return buildSchedulingInput(clusterObjects(objects, source, note), scheduling ? { note, scheduling } : { note });
}

export function runSimulation(documents: readonly LoadedDocument[], source: InstanceTypeSource, scheduling?: SchedulingOptions): SimulationRun {
  const notes: string[] = [];
  const note = (message: string) => {
    if (!notes.includes(message)) notes.push(message);
  };
  const objects = classifyDocuments(documents, note);
  if (objects.nodePools.length === 0) note("the input has no NodePool: pending pods can only land on existing capacity");
  const input = simulationInput(objects, source, note, scheduling);
  const result = schedule(input);
  return { objects, input, result, output: buildOutput(input, result), notes };
}
