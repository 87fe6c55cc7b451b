/**
 * How every Tenon Lambda handler is composed: middy 7 with the Powertools logger (Lambda context
 * in every line) and a metrics flush after each invocation, success or failure. The handler body
 * gets the function's telemetry; it asks the installed runtime (ports.ts) for its ports.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import middy, { type MiddlewareObj } from "@middy/core";
import type { Context } from "aws-lambda";
import type { FunctionName, Telemetry } from "../observe/ports.ts";
import { METRICS_NAMESPACE, type Log, type LogAttributes } from "../ports/telemetry.ts";

/** Powertools objects for one function; the middleware in functions/ flushes the metrics after each invocation. */
export function powertoolsTelemetry(functionName: string): { logger: Logger; metrics: Metrics } {
  const logger = new Logger({ serviceName: process.env["POWERTOOLS_SERVICE_NAME"] ?? "tenon", persistentKeys: { function: functionName } });
  const metrics = new Metrics({ namespace: process.env["POWERTOOLS_METRICS_NAMESPACE"] ?? METRICS_NAMESPACE, serviceName: process.env["POWERTOOLS_SERVICE_NAME"] ?? "tenon" });
  return { logger, metrics };
}

/** Publishes the invocation's metrics (EMF on stdout) if any were added; silent otherwise. */
export function flushMetrics(metrics: Metrics): MiddlewareObj {
  const flush = async () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
}

/** Powertools' Logger behind the small Log interface the core code uses. */
export function asLog(logger: Logger): Log {
  type PowertoolsAttributes = Extract<Parameters<Logger["info"]>[1], Record<string, unknown>>;
  const extra = (attributes: LogAttributes | undefined): PowertoolsAttributes[] => (attributes ? [attributes as PowertoolsAttributes] : []);
  return {
    debug: (message, attributes) => logger.debug(message, ...extra(attributes)),
    info: (message, attributes) => logger.info(message, ...extra(attributes)),
    warn: (message, attributes) => logger.warn(message, ...extra(attributes)),
    error: (message, attributes) => logger.error(message, ...extra(attributes)),
  };
}

export type HandlerBody<E, R> = (event: E, telemetry: Telemetry, context: Context) => Promise<R>;

export function tenonHandler<E, R>(name: FunctionName, body: HandlerBody<E, R>): middy.MiddyfiedHandler<E, R, Error, Context> & { logger: Logger; metrics: Metrics } {
  const { logger, metrics } = powertoolsTelemetry(name);
  const telemetry: Telemetry = { log: asLog(logger), metrics };
  const handler = middy<E, R, Error, Context>()
    .use(injectLambdaContext(logger))
    .use(flushMetrics(metrics))
    .handler((event: E, context: Context) => body(event, telemetry, context));
  return Object.assign(handler, { logger, metrics });
}
