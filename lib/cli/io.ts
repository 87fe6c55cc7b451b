import { Option } from "commander";
/** What a CLI command writes to; tests pass in buffers, the binary passes the process streams. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal: decides the default output format. */
  isTTY: boolean;
  /** Reads all of stdin (for `-f -`). */
  readStdin(): Promise<string>;
  cwd: string;
}

export type OutputFormat = "json" | "table";

export function processIO(): CliIO {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    cwd: process.cwd(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

export function resolveOutputFormat(requested: string | undefined, io: CliIO): OutputFormat {
  if (requested === undefined) return io.isTTY ? "table" : "json";
  if (requested === "json" || requested === "table") return requested;
  throw new UsageError(`-o/--output: "${requested}" is not one of json, table`);
}

/** A mistake in how the command was called: printed as one line, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function outputOption(): Option {
  return new Option("-o, --output <format>", "output format: json or table (default: table on a terminal, json otherwise)");
}
