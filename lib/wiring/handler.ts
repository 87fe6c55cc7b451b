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
import { METRICS_NAMESPACE, type Log, type LogAttributes, type MetricDimensions, type MetricsSink, type MetricUnitName } from "../ports/telemetry.ts";

/**
 * Powertools' Metrics behind the MetricsSink the core code uses. Points without dimensions go to the
 * function's own instance (namespace Tenon, dimension `service`: the dashboard's plain metrics);
 * each set of dimensions (Karpenter's labels: `nodepool`, `reason`...) gets an instance of its own,
 * so it is published as its own EMF document and a point never counts under another set.
 */
export class PowertoolsMetricsSink implements MetricsSink {
  private readonly sets = new Map<string, Metrics>();

  constructor(readonly metrics: Metrics, private readonly options: { namespace: string; serviceName: string }) {}

  addMetric(name: string, unit: MetricUnitName, value: number, dimensions?: MetricDimensions): void {
    const entries = Object.entries(dimensions ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length === 0) {
      this.metrics.addMetric(name, unit, value);
      return;
    }
    const key = JSON.stringify(entries);
    let set = this.sets.get(key);
    if (!set) {
      set = new Metrics(this.options);
      for (const [k, v] of entries) set.addDimension(k, v);
      this.sets.set(key, set);
    }
    set.addMetric(name, unit, value);
  }

  /** Publishes every stored point (one EMF document per dimension set); silent when nothing was added. */
  publish(): void {
    if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
    for (const set of this.sets.values()) if (set.hasStoredMetrics()) set.publishStoredMetrics();
    this.sets.clear();
  }
}

/** Powertools objects for one function; the middleware in functions/ flushes the metrics after each invocation. */
export function powertoolsTelemetry(functionName: string): { logger: Logger; metrics: Metrics; sink: PowertoolsMetricsSink } {
  const serviceName = process.env["POWERTOOLS_SERVICE_NAME"] ?? "tenon";
  const namespace = process.env["POWERTOOLS_METRICS_NAMESPACE"] ?? METRICS_NAMESPACE;
  const logger = new Logger({ serviceName, persistentKeys: { function: functionName } });
  const metrics = new Metrics({ namespace, serviceName });
  return { logger, metrics, sink: new PowertoolsMetricsSink(metrics, { namespace, serviceName }) };
}

/** Publishes the invocation's metrics (EMF on stdout) if any were added; silent otherwise. */
export function flushMetrics(sink: PowertoolsMetricsSink): MiddlewareObj {
  const flush = async () => sink.publish();
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
  const { logger, metrics, sink } = powertoolsTelemetry(name);
  const telemetry: Telemetry = { log: asLog(logger), metrics: sink };
  const handler = middy<E, R, Error, Context>()
    .use(injectLambdaContext(logger))
    .use(flushMetrics(sink))
    .handler((event: E, context: Context) => body(event, telemetry, context));
  return Object.assign(handler, { logger, metrics });
}
