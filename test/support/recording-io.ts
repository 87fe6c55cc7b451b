import type { CliIO } from "../../lib/cli/io.ts";

/** A CliIO that records what a command prints, for tests that run `main()`. */
export function recordingIO(cwd: string, stdin = "", isTTY = true): CliIO & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTTY,
    cwd,
    out: (text: string) => void (io.stdout += text),
    err: (text: string) => void (io.stderr += text),
    readStdin: async () => stdin,
  };
  return io;
}
