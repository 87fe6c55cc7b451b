/**
 * What a node's EBS volumes cost per hour, added to every offering's price so that a node's price
 * is what the node costs: its instance and the volumes its EC2NodeClass gives it (the AMI family's
 * default root volume when it gives none). Prices are the EBS list prices per GB-month (AWS bills
 * volume size in GiB) over 730 hours, with gp3's IOPS above 3,000 and throughput above 125 MiB/s,
 * and provisioned IOPS for io1/io2; regions without a row use us-east-1's, with a note. Pure.
 */
import type { BlockDeviceMapping } from "../api/types.ts";
import { parseQuantity, toUnits } from "../quantity/quantity.ts";

const HOURS_PER_MONTH = 730;
const GIB = 1024 ** 3;

interface EbsPrices {
  /** USD per GB-month, by volume type. */
  storage: Record<string, number>;
  /** gp3: USD per provisioned IOPS-month above 3,000, and per MiB/s-month above 125. */
  gp3Iops: number;
  gp3Throughput: number;
  /** io1/io2: USD per provisioned IOPS-month (io2's first tier). */
  provisionedIops: number;
}

/** EBS list prices (USD), checked against the AWS price list in December 2026. */
const PRICES: Record<string, EbsPrices> = {
  "us-east-1": { storage: { gp3: 0.08, gp2: 0.1, io1: 0.125, io2: 0.125, st1: 0.045, sc1: 0.015, standard: 0.05 }, gp3Iops: 0.005, gp3Throughput: 0.04, provisionedIops: 0.065 },
  "us-west-2": { storage: { gp3: 0.08, gp2: 0.1, io1: 0.125, io2: 0.125, st1: 0.045, sc1: 0.015, standard: 0.05 }, gp3Iops: 0.005, gp3Throughput: 0.04, provisionedIops: 0.065 },
  "eu-west-1": { storage: { gp3: 0.088, gp2: 0.11, io1: 0.138, io2: 0.138, st1: 0.05, sc1: 0.0168, standard: 0.055 }, gp3Iops: 0.0055, gp3Throughput: 0.044, provisionedIops: 0.072 },
};
export const EBS_PRICED_REGIONS = Object.keys(PRICES);
const FALLBACK_REGION = "us-east-1";
/** Karpenter's default volume type, and the size a mapping without one gets (its AMI's, typically 20 GiB). */
const DEFAULT_TYPE = "gp3";
const DEFAULT_SIZE_GIB = 20;

export interface EbsCost {
  /** USD per hour for one node's volumes. */
  perHour: number;
  /** The volumes priced, e.g. "20 GiB gp3". */
  volumes: string[];
  /** Whose prices were used (a region without a row uses us-east-1's). */
  pricedRegion: string;
}

function sizeGiB(size: string | undefined): number {
  if (!size) return DEFAULT_SIZE_GIB;
  return Math.ceil(toUnits(parseQuantity(size)) / GIB);
}

/** The hourly price of the volumes `mappings` describe, at `region`'s EBS prices. */
export function ebsCost(mappings: readonly BlockDeviceMapping[], region: string): EbsCost {
  const pricedRegion = PRICES[region] ? region : FALLBACK_REGION;
  const prices = PRICES[pricedRegion]!;
  let monthly = 0;
  const volumes: string[] = [];
  for (const m of mappings) {
    if (!m.ebs) continue;
    const type = m.ebs.volumeType ?? DEFAULT_TYPE;
    const gib = sizeGiB(m.ebs.volumeSize);
    monthly += gib * (prices.storage[type] ?? prices.storage[DEFAULT_TYPE]!);
    if (type === "gp3") {
      monthly += Math.max(0, (m.ebs.iops ?? 3000) - 3000) * prices.gp3Iops;
      monthly += Math.max(0, (m.ebs.throughput ?? 125) - 125) * prices.gp3Throughput;
    } else if (type === "io1" || type === "io2") {
      monthly += (m.ebs.iops ?? 0) * prices.provisionedIops;
    }
    volumes.push(`${gib} GiB ${type}`);
  }
  return { perHour: Math.round((monthly / HOURS_PER_MONTH) * 1e6) / 1e6, volumes, pricedRegion };
}
