/**
 * Builds the CDK app from context: used by the entry point (infra/app.ts) and by the tests, which
 * pass their own context and skip bundling.
 */
import path from "node:path";
import { App, type AppProps } from "aws-cdk-lib";
import { readConfig } from "./config.ts";
import { addNagChecks } from "./nag.ts";
import { stackName, TenonStack } from "./stack.ts";

export const PROJECT_ROOT = path.resolve(import.meta.dirname, "..");

export interface BuildOptions {
  readonly appProps?: AppProps;
  /** Run cdk-nag's AwsSolutions checks at synth (the real app does). */
  readonly nag?: boolean;
  /** Where <function>/handler.ts live; defaults to the repository's functions/. */
  readonly functionsDir?: string;
  /** Stands in for process.env (CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function buildApp(options: BuildOptions = {}): { app: App; stack: TenonStack } {
  const app = new App(options.appProps);
  const config = readConfig((key) => app.node.tryGetContext(key), options.env ?? process.env);
  const stack = new TenonStack(app, stackName(config.cluster), {
    config,
    functionsDir: options.functionsDir ?? path.join(PROJECT_ROOT, "functions"),
    projectRoot: PROJECT_ROOT,
    description: `Tenon: serverless just-in-time node autoscaler for EKS cluster ${config.cluster}`,
    ...(config.account || config.region ? { env: { account: config.account, region: config.region } } : {}),
  });
  if (options.nag) addNagChecks(app);
  return { app, stack };
}
