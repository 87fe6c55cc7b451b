/**
 * The zone options for a catalog load, from a NodeClass's resolved subnets: their zone names, and
 * the account's own name -> id pairing when every subnet reports its zone id. Subnets in zones the
 * bundled catalog does not know (Local Zones, Wavelength) are left out rather than failing the load.
 */
import type { ResolvedSubnet } from "../../ports/cloud.ts";
import { catalogData, type AwsCatalogOptions } from "./catalog/index.ts";
import type { CatalogRegionData } from "./catalog/load.ts";

/** `live`: the region's zones as read from EC2 (catalog/live.ts), in place of the bundled ones. */
export function catalogZoneOptions(region: string, subnets: ResolvedSubnet[], live?: CatalogRegionData): Pick<AwsCatalogOptions, "zones" | "zoneIds"> {
  const bundled = live?.zones ?? catalogData().regions.get(region as never)?.zones;
  if (!bundled) return { zones: [...new Set(subnets.map((s) => s.zone))].sort() };
  const knownIds = new Set(bundled.values());
  const withIds = subnets.length > 0 && subnets.every((s) => s.zoneId !== undefined);
  const usable = subnets.filter((s) => (withIds ? knownIds.has(s.zoneId!) : bundled.has(s.zone)));
  const zones = [...new Set(usable.map((s) => s.zone))].sort();
  return withIds ? { zones, zoneIds: new Map(usable.map((s) => [s.zone, s.zoneId!])) } : { zones };
}
