/**
 * The cloud-neutral instance-type model the scheduler decides over. The AWS catalog builds these
 * (lib/cloud/aws/), `--instance-types` files are converted into them, and the simulated cloud
 * launches them.
 */
import type { NodeSelectorRequirement } from "../api/types.ts";
import type { Resources } from "../quantity/resources.ts";

export type CapacityType = "reserved" | "spot" | "on-demand";
/** Karpenter's launch priority: reserved first, then spot, then on-demand. */
export const CAPACITY_TYPE_PRIORITY: readonly CapacityType[] = ["reserved", "spot", "on-demand"];

export interface Offering {
  zone: string;
  zoneId?: string;
  capacityType: CapacityType;
  /** USD per hour. */
  price: number;
  available: boolean;
  reservationId?: string;
}

export interface InstanceTypeOverhead {
  kubeReserved: Resources;
  systemReserved: Resources;
  evictionThreshold: Resources;
}

export interface InstanceType {
  name: string;
  /** Scheduler units: cpu in millicores, memory and storage in bytes, pods and extended resources as counts. */
  capacity: Resources;
  overhead: InstanceTypeOverhead;
  /** capacity - (kubeReserved + systemReserved + evictionThreshold), never below zero. */
  allocatable: Resources;
  /**
   * Every requirement the type carries: single-valued labels as `In [v]`, plus multi-valued and
   * `DoesNotExist` entries. Always includes instance-type, and zone and capacity-type from the
   * available offerings.
   */
  requirements: NodeSelectorRequirement[];
  /** Single-valued labels a node of this type gets (well-known instance labels). */
  labels: Readonly<Record<string, string>>;
  offerings: Offering[];
}
