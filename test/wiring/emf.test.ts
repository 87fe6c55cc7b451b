/**
 * What a Tenon handler publishes to CloudWatch: Powertools EMF documents on stdout after the
 * invocation, the plain metrics under `service` alone and each of Karpenter's dimension sets in a
 * document of its own, so a point never counts under another set.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { tenonHandler } from "../../lib/wiring/handler.ts";
import { KARPENTER_METRIC as K, METRIC, METRICS_NAMESPACE } from "../../lib/ports/telemetry.ts";
import { lambdaContext } from "../support/world.ts";

interface Emf {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

afterEach(() => vi.restoreAllMocks());

async function published(body: Parameters<typeof tenonHandler<unknown, void>>[1]): Promise<Emf[]> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  await tenonHandler("provisioner", body)({}, lambdaContext("provisioner"));
  vi.restoreAllMocks();
  return lines.flatMap((l) => l.split("\n")).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Emf);
}

describe("the handlers' EMF output", () => {
  it("publishes each dimension set as its own document, with Karpenter's labels as dimensions, beside the plain metrics", async () => {
    const docs = await published(async (_event, { metrics }) => {
      metrics.addMetric(METRIC.nodeClaimsLaunched, "Count", 1);
      metrics.addMetric(K.nodeClaimsCreated, "Count", 1, { nodepool: "default", reason: "provisioning", capacity_type: "spot" });
      metrics.addMetric(K.nodeClaimsCreated, "Count", 1, { capacity_type: "spot", reason: "provisioning", nodepool: "default" });
      metrics.addMetric(K.nodeClaimsCreated, "Count", 1, { nodepool: "gpu", reason: "provisioning", capacity_type: "on-demand" });
      metrics.addMetric(K.nodePoolsCost, "None", 0.42, { nodepool: "gpu" });
    });
    const summary = docs.map((d) => {
      const directive = d._aws.CloudWatchMetrics[0]!;
      const names = directive.Metrics.map((m) => m.Name);
      return { namespace: directive.Namespace, dimensions: directive.Dimensions[0]!.slice().sort(), values: Object.fromEntries(names.map((n) => [n, d[n]])), nodepool: d["nodepool"] ?? null };
    });
    expect(summary).toEqual(
      expect.arrayContaining([
        { namespace: METRICS_NAMESPACE, dimensions: ["service"], values: { [METRIC.nodeClaimsLaunched]: 1 }, nodepool: null },
        // The same set in another key order is the same document: two points of one metric.
        { namespace: METRICS_NAMESPACE, dimensions: ["capacity_type", "nodepool", "reason", "service"], values: { [K.nodeClaimsCreated]: [1, 1] }, nodepool: "default" },
        { namespace: METRICS_NAMESPACE, dimensions: ["capacity_type", "nodepool", "reason", "service"], values: { [K.nodeClaimsCreated]: 1 }, nodepool: "gpu" },
        { namespace: METRICS_NAMESPACE, dimensions: ["nodepool", "service"], values: { [K.nodePoolsCost]: 0.42 }, nodepool: "gpu" },
      ]),
    );
    expect(summary).toHaveLength(4);
  });

  it("publishes nothing for an invocation that counted nothing, and publishes what was counted when the handler fails", async () => {
    expect(await published(async () => {})).toEqual([]);
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const failing = tenonHandler("provisioner", async (_event, { metrics }) => {
      metrics.addMetric(K.instanceLaunchFailures, "Count", 1, { nodepool: "default" });
      throw new Error("boom");
    });
    await expect(failing({}, lambdaContext("provisioner"))).rejects.toThrow("boom");
    vi.restoreAllMocks();
    expect(lines.some((l) => l.includes(`"${K.instanceLaunchFailures}"`) && l.includes('"nodepool":"default"'))).toBe(true);
  });
});
