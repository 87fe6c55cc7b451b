import type { Command } from "commander";
import type { CliIO } from "../io.ts";

// Placeholder until the scheduler lands (issue: scheduler).
export function registerSimulate(program: Command, _io: CliIO): void {
  program.command("simulate").description("show which nodes would be launched for pending pods, and at what price");
}
