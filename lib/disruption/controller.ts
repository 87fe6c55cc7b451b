/**
 * The consolidator's and drift checker's run (placeholder until the orchestration lands): observe,
 * decide (decide.ts and commands.ts), act through the executor.
 */
import type { FullPorts } from "../observe/ports.ts";
import type { WakeTrigger } from "./wake.ts";

export type DisruptionController = "consolidation" | "drift";

export interface DisruptionTickReport {
  controller: DisruptionController;
  trigger: WakeTrigger;
  lease: "held" | "busy";
  /** What this run did to the command in flight, or the new one, in words. */
  steps: string[];
}

export async function runDisruptionTick(_ports: FullPorts, controller: DisruptionController, trigger: WakeTrigger): Promise<DisruptionTickReport> {
  return { controller, trigger, lease: "busy", steps: [] };
}
