/**
 * The bundled catalog data, parsed once per process. The JSON files are imported as modules so a
 * bundler (esbuild for the Lambdas) carries them along and no path lookup is needed at run time.
 */
import instanceTypesJson from "./data/instance-types.json" with { type: "json" };
import offeringsEuWest1 from "./data/offerings-eu-west-1.json" with { type: "json" };
import offeringsUsEast1 from "./data/offerings-us-east-1.json" with { type: "json" };
import offeringsUsWest2 from "./data/offerings-us-west-2.json" with { type: "json" };
import pricingUsEast1 from "./data/pricing-us-east-1.json" with { type: "json" };
import provenanceJson from "./data/provenance.json" with { type: "json" };
import type {
  CatalogInstanceType,
  CatalogInstanceTypesFile,
  CatalogOfferingsFile,
  CatalogPricingFile,
  CatalogProvenance,
  CatalogRegion,
} from "./data-format.ts";

export interface CatalogRegionData {
  /** A bundled region, or any region when read live (catalog/live.ts). */
  region: string;
  /** AZ name -> AZ id, sorted by name. */
  zones: ReadonlyMap<string, string>;
  /** Instance type -> AZ ids offering it (ids name the same physical zone in every account). */
  offeredZoneIds: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface CatalogData {
  instanceTypes: readonly CatalogInstanceType[];
  regions: ReadonlyMap<CatalogRegion, CatalogRegionData>;
  pricedRegion: string;
  onDemandPrices: ReadonlyMap<string, number>;
  provenance: CatalogProvenance;
}

function regionData(file: CatalogOfferingsFile): CatalogRegionData {
  const zones = new Map(Object.entries(file.zones).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const offeredZoneIds = new Map(Object.entries(file.types).map(([type, names]) => [type, new Set(names.map((name) => file.zones[name]!))]));
  return { region: file.region as CatalogRegion, zones, offeredZoneIds };
}

let cached: CatalogData | undefined;

export function catalogData(): CatalogData {
  if (cached) return cached;
  const pricing = pricingUsEast1 as CatalogPricingFile;
  const offerings = [offeringsUsEast1, offeringsUsWest2, offeringsEuWest1] as CatalogOfferingsFile[];
  cached = {
    instanceTypes: (instanceTypesJson as CatalogInstanceTypesFile).instanceTypes,
    regions: new Map(offerings.map((file) => [file.region as CatalogRegion, regionData(file)])),
    pricedRegion: pricing.region,
    onDemandPrices: new Map(Object.entries(pricing.onDemand)),
    provenance: provenanceJson as CatalogProvenance,
  };
  return cached;
}
