/**
 * The `tenon` command. Each subcommand lives in lib/cli/commands/ and registers itself here.
 * Exit codes: 0 success, 2 bad input or usage (one line per problem, no stack trace), 1 anything
 * unexpected (stack trace only with --debug). Every error line starts `error: `, every note `note: `.
 */
import { Command, CommanderError } from "commander";
import { InputError, formatProblem } from "../errors.ts";
import { QuantityError } from "../quantity/quantity.ts";
import { processIO, UsageError, type CliIO } from "./io.ts";
import { registerCommands } from "./commands/index.ts";

export const EXIT_OK = 0;
export const EXIT_UNEXPECTED = 1;
export const EXIT_BAD_INPUT = 2;

export function buildProgram(io: CliIO): Command {
  const program = new Command();
  program
    .name("tenon")
    .description("Tenon: a just-in-time, serverless node autoscaler for Amazon EKS (Karpenter v1 compatible).")
    .option("--debug", "show stack traces for unexpected errors")
    .showHelpAfterError(false)
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  registerCommands(program, io);
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const debug = argv.includes("--debug");
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    return reportError(error, io, debug);
  }
}

export function reportError(error: unknown, io: CliIO, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; they already printed what they had to.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return EXIT_OK;
    return EXIT_BAD_INPUT;
  }
  if (error instanceof InputError) {
    for (const problem of error.problems) io.err(`error: ${formatProblem(problem)}\n`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof UsageError || error instanceof QuantityError) {
    io.err(`error: ${error.message}\n`);
    return EXIT_BAD_INPUT;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.err(`error: ${message}\n`);
  if (debug && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
  else io.err("(run with --debug for details)\n");
  return EXIT_UNEXPECTED;
}
