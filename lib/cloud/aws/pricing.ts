/**
 * Live prices: on-demand from the Pricing API, spot from the spot price history. Both are cached
 * until refreshed (a scheduled function calls refresh every 12 h); when a call fails the last good
 * prices, or the bundled catalog's, keep being used.
 */
import { DescribeSpotPriceHistoryCommand, type EC2Client, type SpotPrice } from "@aws-sdk/client-ec2";
import { GetProductsCommand, type PricingClient } from "@aws-sdk/client-pricing";

export function onDemandFilters(region: string, tenancy: "Shared" | "Dedicated"): Array<{ Type: "TERM_MATCH"; Field: string; Value: string }> {
  const fields: Array<[string, string]> = [
    ["regionCode", region],
    ["serviceCode", "AmazonEC2"],
    ["preInstalledSw", "NA"],
    ["operatingSystem", "Linux"],
    ["capacitystatus", "Used"],
    ["marketoption", "OnDemand"],
    ["tenancy", tenancy],
    ["productFamily", tenancy === "Shared" ? "Compute Instance" : "Compute Instance (bare metal)"],
  ];
  return fields.map(([Field, Value]) => ({ Type: "TERM_MATCH", Field, Value }));
}

/** Reads one GetProducts PriceList entry: instance type and hourly USD (or CNY) price, or undefined. */
export function parsePriceListItem(item: string): { instanceType: string; price: number } | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(item);
  } catch {
    return undefined;
  }
  const d = doc as { product?: { attributes?: { instanceType?: string } }; terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, { pricePerUnit?: Record<string, string> }> }> } };
  const instanceType = d.product?.attributes?.instanceType;
  if (!instanceType) return undefined;
  for (const term of Object.values(d.terms?.OnDemand ?? {})) {
    for (const dim of Object.values(term.priceDimensions ?? {})) {
      const raw = dim.pricePerUnit?.USD ?? dim.pricePerUnit?.CNY;
      const price = raw === undefined ? NaN : Number(raw);
      if (Number.isFinite(price) && price > 0) return { instanceType, price };
    }
  }
  return undefined;
}

/** The newest price per `type:zone` wins. */
export function latestSpotPrices(history: SpotPrice[]): Map<string, number> {
  const newest = new Map<string, { at: number; price: number }>();
  for (const p of history) {
    if (!p.InstanceType || !p.AvailabilityZone || p.SpotPrice === undefined) continue;
    const price = Number(p.SpotPrice);
    if (!Number.isFinite(price)) continue;
    const key = `${p.InstanceType}:${p.AvailabilityZone}`;
    const at = p.Timestamp?.getTime() ?? 0;
    const current = newest.get(key);
    if (!current || at > current.at) newest.set(key, { at, price });
  }
  return new Map([...newest].map(([k, v]) => [k, v.price]));
}

export interface PriceSnapshot {
  onDemand?: Map<string, number>;
  spot?: Map<string, number>;
  /** What went wrong in the last refresh, per source; empty when both succeeded. */
  errors: string[];
}

export class PriceBook {
  private onDemand: Map<string, number> | undefined;
  private spot: Map<string, number> | undefined;

  constructor(private readonly ec2: EC2Client, private readonly pricing: PricingClient, private readonly region: string) {}

  snapshot(): PriceSnapshot {
    return { ...(this.onDemand ? { onDemand: this.onDemand } : {}), ...(this.spot ? { spot: this.spot } : {}), errors: [] };
  }

  async refresh(): Promise<PriceSnapshot> {
    const errors: string[] = [];
    try {
      const fresh = await this.fetchOnDemand();
      if (fresh.size > 0) this.onDemand = new Map([...(this.onDemand ?? []), ...fresh]);
    } catch (err) {
      errors.push(`on-demand prices: ${(err as Error).name}: ${(err as Error).message}`);
    }
    try {
      const fresh = await this.fetchSpot();
      if (fresh.size > 0) this.spot = fresh;
    } catch (err) {
      errors.push(`spot prices: ${(err as Error).name}: ${(err as Error).message}`);
    }
    return { ...this.snapshot(), errors };
  }

  private async fetchOnDemand(): Promise<Map<string, number>> {
    const prices = new Map<string, number>();
    for (const tenancy of ["Shared", "Dedicated"] as const) {
      let token: string | undefined;
      do {
        const page = await this.pricing.send(new GetProductsCommand({ ServiceCode: "AmazonEC2", Filters: onDemandFilters(this.region, tenancy), MaxResults: 100, NextToken: token }));
        for (const item of page.PriceList ?? []) {
          const parsed = parsePriceListItem(typeof item === "string" ? item : JSON.stringify(item));
          if (parsed && !(tenancy === "Dedicated" && prices.has(parsed.instanceType))) prices.set(parsed.instanceType, parsed.price);
        }
        token = page.NextToken;
      } while (token);
    }
    return prices;
  }

  private async fetchSpot(): Promise<Map<string, number>> {
    const history: SpotPrice[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2.send(new DescribeSpotPriceHistoryCommand({
        ProductDescriptions: ["Linux/UNIX", "Linux/UNIX (Amazon VPC)"],
        StartTime: new Date(),
        MaxResults: 1000,
        NextToken: token,
      }));
      history.push(...(page.SpotPriceHistory ?? []));
      token = page.NextToken || undefined;
    } while (token);
    return latestSpotPrices(history);
  }
}
