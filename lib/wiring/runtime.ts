/**
 * What a function invocation works with, and how handlers get it. Handlers ask the installed
 * `Runtime` for their ports; in Lambda that is the AWS wiring built from the environment
 * (lib/wiring/aws.ts), in tests and the demo it is whatever `installRuntime` put there
 * (a simulated cluster and cloud, a DynamoDB Local store). Core code only ever sees the ports.
 */
import type { Runtime } from "./base.ts";

let installed: Runtime | undefined;
let fromEnvironment: Promise<Runtime> | undefined;

/** Use `runtime` for every handler call until the returned function is called. */
export function installRuntime(runtime: Runtime): () => void {
  installed = runtime;
  return () => {
    if (installed === runtime) installed = undefined;
  };
}

/** The installed runtime, else the AWS one from `process.env` (built once per Lambda container). */
export async function currentRuntime(): Promise<Runtime> {
  if (installed) return installed;
  // Imported lazily so tests that install a runtime never load the AWS wiring.
  fromEnvironment ??= import("./aws.ts").then((m) => m.awsRuntime(process.env));
  return fromEnvironment;
}
