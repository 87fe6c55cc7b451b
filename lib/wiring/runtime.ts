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

/** Builds the AWS runtime from the environment; each handler names the wiring it needs. */
export type AwsWiring = () => Promise<{ awsRuntime(env: Record<string, string | undefined>): Runtime }>;

/**
 * The installed runtime, else the AWS one from `process.env` (built once per Lambda container).
 * `wiring` is imported lazily, so tests that install a runtime never load it. Each handler names its
 * own: `() => import("lib/wiring/aws.ts")` for every port, `() => import("lib/wiring/aws-core.ts")`
 * for the batcher's core ports. esbuild puts a dynamic import in the same file, so what a handler
 * names is all it carries.
 */
export async function currentRuntime(wiring: AwsWiring): Promise<Runtime> {
  if (installed) return installed;
  fromEnvironment ??= wiring().then((m) => m.awsRuntime(process.env));
  return fromEnvironment;
}
