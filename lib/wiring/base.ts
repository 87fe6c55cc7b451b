/** What every wiring provides: a Runtime hands each function its ports. Random ids live here too. */
import { randomBytes, randomUUID } from "node:crypto";
import type { CorePorts, FullPorts, FunctionName, Ids, Telemetry } from "../observe/ports.ts";

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

export const randomIds: Ids = {
  suffix: () => [...randomBytes(5)].map((b) => LETTERS[b % 26]).join(""),
  uid: () => randomUUID(),
};

export interface Runtime {
  core(fn: FunctionName, telemetry: Telemetry): Promise<CorePorts>;
  full(fn: FunctionName, telemetry: Telemetry): Promise<FullPorts>;
}

/** A runtime over fixed ports (tests, the local loop): every function gets the same objects. */
export function fixedRuntime(ports: FullPorts): Runtime {
  return {
    core: async () => ports,
    full: async () => ports,
  };
}
