/**
 * The Lambda functions: one NodejsFunction per enabled handler at functions/<name>/handler.ts,
 * bundled locally with esbuild (never Docker) as minified ESM with source maps, Node 22 on arm64.
 * Each function has its own role (permissions are added by TenonAccess) and its own log group.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat, SourceMapMode } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { InputError } from "../../lib/errors.ts";
import { METRICS_NAMESPACE } from "../../lib/ports/telemetry.ts";
import type { FunctionName } from "../config.ts";
import { FUNCTION_SPECS } from "../function-specs.ts";

/**
 * The Powertools service name, which is also the only dimension of the handlers' metrics, so the
 * dashboard can find them. One per cluster, so several clusters in one account stay apart.
 */
export function serviceName(cluster: string): string {
  return `tenon-${cluster}`;
}

/**
 * esbuild turns CommonJS dependencies into ESM that still calls `require`; ESM has none, so the
 * bundle starts by making one. Aliased so it cannot clash with a bundled `createRequire` import.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as tenonCreateRequire } from 'node:module'; const require = tenonCreateRequire(import.meta.url);";

export interface TenonFunctionsProps {
  readonly cluster: string;
  readonly functions: readonly FunctionName[];
  /** Folder holding <name>/handler.ts for each function. */
  readonly functionsDir: string;
  /** The repository root: where package-lock.json and tsconfig.json live. */
  readonly projectRoot: string;
  readonly logRetentionDays: number;
  /** Environment every function gets (table name, queue URLs, ...), besides its own settings. */
  readonly environment: Readonly<Record<string, string>>;
  /** Environment only some functions get (e.g. the disruption queue's URL, for those that send to it). */
  readonly environmentOf?: (name: FunctionName) => Readonly<Record<string, string>>;
}

export class TenonFunctions extends Construct {
  readonly functions: ReadonlyMap<FunctionName, NodejsFunction>;
  readonly roles: ReadonlyMap<FunctionName, iam.Role>;

  constructor(scope: Construct, id: string, props: TenonFunctionsProps) {
    super(scope, id);
    const functions = new Map<FunctionName, NodejsFunction>();
    const roles = new Map<FunctionName, iam.Role>();
    const entryOf = (name: FunctionName) => path.join(props.functionsDir, name, "handler.ts");
    const missing = props.functions.filter((name) => !existsSync(entryOf(name)));
    if (missing.length > 0) {
      throw new InputError(
        missing.map((name) => ({
          object: `function ${name}`,
          path: "entry",
          reason: `${entryOf(name)} does not exist: write the handler (export \`handler\`) or leave ${name} out of -c functions=...`,
        })),
      );
    }
    for (const name of props.functions) {
      const spec = FUNCTION_SPECS[name];
      const entry = entryOf(name);
      const id = pascal(name);
      // An explicit role instead of the default one: no AWSLambdaBasicExecutionRole managed policy,
      // logs may only be written to this function's own log group.
      const role = new iam.Role(this, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
        description: `Tenon ${name} for EKS cluster ${props.cluster}`,
      });
      const logGroup = new logs.LogGroup(this, `${id}Logs`, {
        retention: props.logRetentionDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      logGroup.grantWrite(role);

      const fn = new NodejsFunction(this, id, {
        entry,
        handler: "handler",
        description: spec.description,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: spec.memoryMb,
        timeout: Duration.seconds(spec.timeoutSeconds),
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        // A tick that failed is not worth retrying: the next one comes within minutes.
        ...(spec.scheduleMinutes !== undefined ? { retryAttempts: 0 } : {}),
        projectRoot: props.projectRoot,
        depsLockFilePath: path.join(props.projectRoot, "package-lock.json"),
        bundling: {
          target: "node22",
          format: OutputFormat.ESM,
          mainFields: ["module", "main"],
          banner: ESM_REQUIRE_BANNER,
          minify: true,
          sourceMap: true,
          sourceMapMode: SourceMapMode.DEFAULT,
          // Stack traces need line mappings, not a second copy of every source: a smaller upload.
          sourcesContent: false,
          // Bundle the SDK too: the versions we test with are the versions that run.
          bundleAwsSDK: true,
          tsconfig: path.join(props.projectRoot, "tsconfig.json"),
          forceDockerBundling: false,
        },
        environment: {
          ...props.environment,
          ...props.environmentOf?.(name),
          TENON_FUNCTION: name,
          POWERTOOLS_SERVICE_NAME: serviceName(props.cluster),
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          POWERTOOLS_LOG_LEVEL: "INFO",
          NODE_OPTIONS: "--enable-source-maps",
        },
      });
      Validations.of(fn).acknowledge({
        id: "AwsSolutions-L1",
        reason:
          "Node.js 22 on purpose: the code is developed and tested on Node 22 (engines >=22, bundles target node22). Move to 24 after the handlers are tested on it.",
      });
      functions.set(name, fn);
      roles.set(name, role);
    }
    this.functions = functions;
    this.roles = roles;
  }
}

export function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
