/**
 * `--live` (simulate, disrupt, instance-types): the region's prices read from AWS now, with the
 * caller's credentials (the SDK's default chain; AWS_ENDPOINT_URL points it elsewhere): on-demand
 * from the Pricing API (Linux, shared tenancy first), spot from the spot price history (newest per
 * instance type and zone); and the region's instance types and offerings from EC2
 * (lib/cloud/aws/catalog/live.ts), so any region works. The SDK is loaded only when `--live` is
 * given, so the CLI starts without it.
 */
import type { RegionCatalog } from "../cloud/aws/catalog/live.ts";
import { UsageError } from "./io.ts";

export interface LivePrices {
  onDemand?: Map<string, number>;
  spot?: Map<string, number>;
  /** When they were read (ISO), for the table's price line. */
  readAt: string;
  /** What could not be read: the offline price stands in for it (each is a note). */
  problems: string[];
}

export async function readLivePrices(region: string, now: () => number = Date.now): Promise<LivePrices> {
  const [{ PriceBook }, { createAwsClients }] = await Promise.all([import("../cloud/aws/pricing.ts"), import("../cloud/aws/config.ts")]);
  const clients = createAwsClients({ region, maxAttempts: 3 });
  const snapshot = await new PriceBook(clients.ec2, clients.pricing, region).refresh();
  if (!snapshot.onDemand && !snapshot.spot) {
    throw new UsageError(`--live: could not read any price for ${region} (${snapshot.errors.join("; ")}); check the AWS credentials and region, or leave --live out for the offline catalog`);
  }
  return {
    ...(snapshot.onDemand ? { onDemand: snapshot.onDemand } : {}),
    ...(snapshot.spot ? { spot: snapshot.spot } : {}),
    readAt: new Date(now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
    problems: snapshot.errors.map((e) => `--live: ${e}; the offline catalog's price stands in`),
  };
}

/** The region's instance types and offerings from EC2; when they cannot be read, a problem (the bundled catalog stands in where it has the region). */
export async function readLiveCatalog(region: string, now: () => number = Date.now): Promise<{ catalog?: RegionCatalog; problems: string[] }> {
  const [{ readRegionCatalog }, { createAwsClients }] = await Promise.all([import("../cloud/aws/catalog/live.ts"), import("../cloud/aws/config.ts")]);
  const clients = createAwsClients({ region, maxAttempts: 3 });
  try {
    return { catalog: await readRegionCatalog(clients.ec2, region, now()), problems: [] };
  } catch (error) {
    return { problems: [`--live: could not read ${region}'s instance types from EC2 (${(error as Error).message}); the offline catalog's stand in`] };
  }
}
