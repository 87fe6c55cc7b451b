import type { Command } from "commander";
import type { CliIO } from "../io.ts";
import { registerDisrupt } from "./disrupt.ts";
import { registerExplain } from "./explain.ts";
import { registerInstanceTypes } from "./instance-types.ts";
import { registerNodeClaim } from "./nodeclaim.ts";
import { registerNodePool } from "./nodepool.ts";
import { registerReplay } from "./replay.ts";
import { registerSimulate } from "./simulate.ts";
import { registerValidate } from "./validate.ts";

/** Every subcommand, in the order `tenon --help` lists them. */
export function registerCommands(program: Command, io: CliIO): void {
  registerSimulate(program, io);
  registerDisrupt(program, io);
  registerReplay(program, io);
  registerInstanceTypes(program, io);
  registerValidate(program, io);
  registerNodePool(program, io);
  registerNodeClaim(program, io);
  registerExplain(program, io);
}
