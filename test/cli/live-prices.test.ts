/**
 * `--live`: simulate, disrupt and instance-types read the region's prices from AWS (the Pricing
 * API for on-demand, the spot price history for spot), here from mocked clients, and say so under
 * the table; a source that fails leaves the offline price with a note; none readable is exit 2.
 */
import { DescribeSpotPriceHistoryCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetProductsCommand, PricingClient } from "@aws-sdk/client-pricing";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { docs, nodePoolYaml, podYaml, tenon, workdir } from "../simulate/support.ts";

const pricing = mockClient(PricingClient);
const ec2 = mockClient(EC2Client);
afterEach(() => {
  pricing.reset();
  ec2.reset();
});

function priceItem(instanceType: string, usd: string): string {
  return JSON.stringify({
    product: { attributes: { instanceType } },
    terms: { OnDemand: { "T1": { priceDimensions: { "D1": { pricePerUnit: { USD: usd } } } } } },
  });
}

/** c6a.large only, on-demand or spot as told, in us-east-1a. */
function pool(capacityType: "on-demand" | "spot"): string {
  return nodePoolYaml([
    `{key: karpenter.sh/capacity-type, operator: In, values: ["${capacityType}"]}`,
    "{key: node.kubernetes.io/instance-type, operator: In, values: [c6a.large]}",
    "{key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}",
  ]);
}

async function simulate(capacityType: "on-demand" | "spot", format: "json" | "table" = "json") {
  const dir = workdir({ "in.yaml": docs(pool(capacityType), podYaml("p", "1")) });
  return tenon(["simulate", "-f", "in.yaml", "--live", "-o", format], dir);
}

describe("--live", () => {
  it("prices on-demand from the Pricing API and spot from the spot price history, and says so under the table", async () => {
    pricing.on(GetProductsCommand).resolves({ PriceList: [priceItem("c6a.large", "0.0999")] });
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({
      SpotPriceHistory: [
        { InstanceType: "c6a.large", AvailabilityZone: "us-east-1a", SpotPrice: "0.0400", Timestamp: new Date("2026-12-03T09:00:00Z") },
        { InstanceType: "c6a.large", AvailabilityZone: "us-east-1a", SpotPrice: "0.0321", Timestamp: new Date("2026-12-03T10:00:00Z") },
      ],
    });
    const onDemand = JSON.parse((await simulate("on-demand")).out);
    // A node's price: the instance's plus its 20 GiB gp3 root volume's ($0.002192/h).
    expect(onDemand.nodeClaims[0].launch).toMatchObject({ instanceType: "c6a.large", capacityType: "on-demand", price: 0.102092 });
    const spot = JSON.parse((await simulate("spot")).out);
    expect(spot.nodeClaims[0].launch).toMatchObject({ instanceType: "c6a.large", capacityType: "spot", price: 0.034292 });
    const table = await simulate("spot", "table");
    expect(table.out).toMatch(/\$\/HOUR: live prices for us-east-1, read \S+: on-demand from the Pricing API, spot from the spot price history, Linux/);
    expect(pricing.commandCalls(GetProductsCommand)[0]!.args[0].input.Filters).toContainEqual({ Type: "TERM_MATCH", Field: "regionCode", Value: "us-east-1" });
  });

  it("keeps the offline price for a source it could not read, with a note", async () => {
    pricing.on(GetProductsCommand).rejects(Object.assign(new Error("User is not authorized to perform: pricing:GetProducts"), { name: "AccessDeniedException" }));
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: [{ InstanceType: "c6a.large", AvailabilityZone: "us-east-1a", SpotPrice: "0.0321", Timestamp: new Date() }] });
    const run = await simulate("on-demand");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out).nodeClaims[0].launch.price).toBe(0.078692);
    expect(run.err).toContain("note: --live: on-demand prices: AccessDeniedException: User is not authorized to perform: pricing:GetProducts; the offline catalog's price stands in");
  });

  it("is an error (exit 2) when no price can be read, and does not apply to an --instance-types catalog", async () => {
    pricing.on(GetProductsCommand).rejects(new Error("no credentials"));
    ec2.on(DescribeSpotPriceHistoryCommand).rejects(new Error("no credentials"));
    const run = await simulate("on-demand");
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^error: --live: could not read any price for us-east-1 \(on-demand prices: Error: no credentials; spot prices: Error: no credentials\)/);
    const dir = workdir({ "in.yaml": docs(pool("on-demand")), "c.json": "[]" });
    const both = await tenon(["simulate", "-f", "in.yaml", "--live", "--instance-types", "c.json"], dir);
    expect(both.code).toBe(2);
    expect(both.err).toContain("--live: reads AWS's prices for the bundled catalog");
  });

  it("works for disrupt and instance-types too", async () => {
    pricing.on(GetProductsCommand).resolves({ PriceList: [priceItem("c6a.large", "0.0999")] });
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: [] });
    const dir = workdir({ "in.yaml": docs(pool("on-demand")) });
    const disrupt = await tenon(["disrupt", "-f", "in.yaml", "--live", "-o", "table", "--at", "2026-12-03T10:00:00Z"], dir);
    expect(disrupt.code).toBe(0);
    expect(disrupt.out).toContain("$/HOUR: live prices for us-east-1");
    const types = await tenon(["instance-types", "--live", "--filter", "instance-type=c6a.large", "-o", "json"], dir);
    expect(types.code).toBe(0);
    const [entry] = JSON.parse(types.out);
    expect(entry.offerings.filter((o: { capacityType: string }) => o.capacityType === "on-demand").every((o: { price: number }) => o.price === 0.102092)).toBe(true);
  });
});
