import type { Command } from "commander";
import type { CliIO } from "../io.ts";

// Placeholder until the catalog lands (issue: foundation).
export function registerInstanceTypes(program: Command, _io: CliIO): void {
  program.command("instance-types").description("list EC2 instance types with capacity, allocatable, labels and offerings");
}
