/** Where the EC2 adapter reads instance types from (setting INSTANCE_CATALOG; stack context `instanceCatalog`). No SDK here: the CDK app reads it too. */

export const INSTANCE_CATALOG_SOURCES = ["auto", "live", "bundled"] as const;
export type InstanceCatalogSource = (typeof INSTANCE_CATALOG_SOURCES)[number];

/** INSTANCE_CATALOG as the functions read it: a clear error for anything else. */
export function parseInstanceCatalogSource(raw: string | undefined): InstanceCatalogSource {
  const value = (raw ?? "").trim() || "auto";
  if ((INSTANCE_CATALOG_SOURCES as readonly string[]).includes(value)) return value as InstanceCatalogSource;
  throw new Error(`INSTANCE_CATALOG: "${value}" is not one of ${INSTANCE_CATALOG_SOURCES.join(", ")}`);
}
