/**
 * Node capacity and overhead of an EC2 instance type, per design/karpenter-aws.md §1:
 * allocatable = capacity - (kubeReserved + systemReserved + evictionThreshold).
 * Units follow lib/quantity/resources.ts: cpu in millicores, memory and storage in bytes.
 */
import type { EC2NodeClass, KubeletConfiguration } from "../../../api/types.ts";
import { InputError } from "../../../errors.ts";
import { parseQuantity, QuantityError, toResourceNumber } from "../../../quantity/quantity.ts";
import type { Resources } from "../../../quantity/resources.ts";
import type { InstanceTypeOverhead } from "../../../ports/instance-type.ts";
import type { AmiFamilyRules } from "./ami-family.ts";
import type { CatalogInstanceType } from "./data-format.ts";

export const MI = 1024 ** 2;
export const GI = 1024 ** 3;
const DEFAULT_PODS = 110;
/** Graviton reserves this much memory for the contiguous memory allocator. */
const ARM64_CMA_MIB = 64;

export const RESOURCE = {
  cpu: "cpu",
  memory: "memory",
  pods: "pods",
  ephemeralStorage: "ephemeral-storage",
  nvidiaGpu: "nvidia.com/gpu",
  amdGpu: "amd.com/gpu",
  habanaGaudi: "habana.ai/gaudi",
  neuron: "aws.amazon.com/neuron",
  neuronCore: "aws.amazon.com/neuroncore",
  efa: "vpc.amazonaws.com/efa",
  podEni: "vpc.amazonaws.com/pod-eni",
  privateIPv4: "vpc.amazonaws.com/PrivateIPv4Address",
} as const;

/** What a node's size depends on besides the instance type itself. */
export interface SizingContext {
  family: AmiFamilyRules;
  nodeClass?: EC2NodeClass;
  /** Fraction of memory the hypervisor keeps, e.g. 0.075. */
  vmMemoryOverheadPercent: number;
  reservedENIs: number;
}

export interface NodeSize {
  capacity: Resources;
  overhead: InstanceTypeOverhead;
  allocatable: Resources;
}

/** The NodeClass settings that size a node, parsed and checked once per catalog load. */
export interface PreparedSizing {
  family: AmiFamilyRules;
  vmMemoryOverheadPercent: number;
  reservedENIs: number;
  maxPods?: number;
  podsPerCore: number;
  kubeReservedOverrides: Record<string, number>;
  systemReserved: Record<string, number>;
  /** evictionHard per resource: a percentage of capacity or an absolute amount. */
  evictionHard: Array<{ resource: string; percent?: number; amount?: number }>;
  raid0: boolean;
  /** Ephemeral storage from the block device mappings (or the family default) when not RAID0. */
  volumeBytes: number;
  /** `networkInterfaces` given: EFA capacity is the number of efa-only interfaces. */
  efaOnlyInterfaces?: number;
  efaOnlyInterfacesOnCard0: number;
}

function nodeClassObject(ctx: SizingContext): string {
  return `EC2NodeClass ${ctx.nodeClass?.metadata.name ?? "(unnamed)"}`;
}

/** Parses a quantity from the NodeClass into scheduler units, naming the field when it is bad. */
function quantityField(ctx: SizingContext, path: string, resourceName: string, value: unknown): number {
  try {
    if (typeof value !== "string" && typeof value !== "number") throw new QuantityError(String(value), "expected a string or number");
    return toResourceNumber(resourceName, parseQuantity(value));
  } catch (error) {
    if (error instanceof QuantityError) throw new InputError({ object: nodeClassObject(ctx), path, reason: error.message });
    throw error;
  }
}

function parseResourceMap(ctx: SizingContext, path: string, map: Record<string, string> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(map ?? {})) out[name] = quantityField(ctx, `${path}.${name}`, name, value);
  return out;
}

const EVICTION_SIGNALS: Array<[signal: string, resource: string]> = [
  ["memory.available", RESOURCE.memory],
  ["nodefs.available", RESOURCE.ephemeralStorage],
];

/** A hard eviction threshold: an absolute quantity, or a percentage of capacity where 100% disables it. */
function parseEvictionHard(ctx: SizingContext, hard: Record<string, string>): PreparedSizing["evictionHard"] {
  const out: PreparedSizing["evictionHard"] = [];
  for (const [signal, resource] of EVICTION_SIGNALS) {
    const value = hard[signal];
    if (value === undefined) continue;
    const path = `spec.kubelet.evictionHard.${signal}`;
    if (typeof value === "string" && value.trim().endsWith("%")) {
      const percent = Number(value.trim().slice(0, -1));
      if (value.trim() === "%" || !Number.isFinite(percent) || percent < 0 || percent > 100) {
        throw new InputError({ object: nodeClassObject(ctx), path, reason: `${JSON.stringify(value)} is not a percentage between 0% and 100%` });
      }
      out.push({ resource, percent: percent === 100 ? 0 : percent });
    } else {
      out.push({ resource, amount: quantityField(ctx, path, resource, value) });
    }
  }
  return out;
}

function volumeBytes(ctx: SizingContext, index: number): number | undefined {
  const size = ctx.nodeClass?.spec.blockDeviceMappings?.[index]?.ebs?.volumeSize;
  if (size === undefined) return undefined;
  return quantityField(ctx, `spec.blockDeviceMappings[${index}].ebs.volumeSize`, RESOURCE.ephemeralStorage, size);
}

/** The root volume, else Custom's last volume, else the family's ephemeral device, else the family default. */
function ebsEphemeralBytes(ctx: SizingContext): number {
  const mappings = ctx.nodeClass?.spec.blockDeviceMappings ?? [];
  if (mappings.length > 0) {
    const root = mappings.findIndex((m) => m.rootVolume === true);
    // A root volume without a size falls through to the other rules.
    const rootBytes = root >= 0 ? volumeBytes(ctx, root) : undefined;
    if (rootBytes !== undefined) return rootBytes;
    if (ctx.family.family === "Custom") return volumeBytes(ctx, mappings.length - 1) ?? ctx.family.defaultEphemeralBytes;
    const device = mappings.findIndex((m) => m.deviceName === ctx.family.ephemeralDevice);
    if (device >= 0) return volumeBytes(ctx, device) ?? ctx.family.defaultEphemeralBytes;
  }
  return ctx.family.defaultEphemeralBytes;
}

/** Parses the NodeClass once; throws InputError naming the NodeClass and field for bad values. */
export function prepareSizing(ctx: SizingContext): PreparedSizing {
  const spec = ctx.nodeClass?.spec;
  const kubelet: KubeletConfiguration = spec?.kubelet ?? {};
  const interfaces = spec?.networkInterfaces;
  const prepared: PreparedSizing = {
    family: ctx.family,
    vmMemoryOverheadPercent: ctx.vmMemoryOverheadPercent,
    reservedENIs: ctx.reservedENIs,
    podsPerCore: kubelet.podsPerCore ?? 0,
    kubeReservedOverrides: parseResourceMap(ctx, "spec.kubelet.kubeReserved", kubelet.kubeReserved),
    systemReserved: parseResourceMap(ctx, "spec.kubelet.systemReserved", kubelet.systemReserved),
    evictionHard: parseEvictionHard(ctx, kubelet.evictionHard ?? {}),
    raid0: spec?.instanceStorePolicy === "RAID0",
    volumeBytes: ebsEphemeralBytes(ctx),
    efaOnlyInterfacesOnCard0: (interfaces ?? []).filter((n) => n.interfaceType === "efa-only" && n.networkCardIndex === 0).length,
  };
  if (kubelet.maxPods !== undefined) prepared.maxPods = kubelet.maxPods;
  if (interfaces && interfaces.length > 0) prepared.efaOnlyInterfaces = interfaces.filter((n) => n.interfaceType === "efa-only").length;
  return prepared;
}

/** usableENIs × (IPv4 per ENI − 1) + 2, where the +2 covers host-network pods (aws-node, kube-proxy). */
export function eniLimitedPods(type: CatalogInstanceType, reservedENIs: number, efaOnlyInterfaces: number): number {
  const usableENIs = Math.max(type.maxENIs - reservedENIs - efaOnlyInterfaces, 0);
  if (usableENIs === 0) return 0;
  return usableENIs * (type.ipv4PerENI - 1) + 2;
}

export function podCapacity(type: CatalogInstanceType, sizing: PreparedSizing): number {
  let pods: number;
  if (sizing.maxPods !== undefined) pods = sizing.maxPods;
  else if (sizing.family.eniLimitedPods) pods = eniLimitedPods(type, sizing.reservedENIs, sizing.efaOnlyInterfacesOnCard0);
  else pods = DEFAULT_PODS;
  if (sizing.podsPerCore > 0 && sizing.family.podsPerCoreEnabled) pods = Math.min(sizing.podsPerCore * type.vcpu, pods);
  return pods;
}

/** Memory in MiB after the arm64 CMA reservation and the hypervisor's share. */
export function memoryCapacityMiB(type: CatalogInstanceType, vmMemoryOverheadPercent: number): number {
  let mib = type.memoryMiB;
  if (type.awsArchitectures[0] === "arm64") mib -= ARM64_CMA_MIB;
  return mib - Math.ceil(mib * vmMemoryOverheadPercent);
}

/** RAID0 over the instance store (decimal GB) when asked for and present; otherwise the EBS volume. */
export function ephemeralStorageCapacity(type: CatalogInstanceType, sizing: PreparedSizing): number {
  if (sizing.raid0 && type.localStorage) return type.localStorage.totalSizeGB * 1e9;
  return sizing.volumeBytes;
}

export function extendedResources(type: CatalogInstanceType, sizing: PreparedSizing): Record<string, number> {
  const out: Record<string, number> = {};
  if (type.gpu) {
    const key = { nvidia: RESOURCE.nvidiaGpu, amd: RESOURCE.amdGpu, habana: RESOURCE.habanaGaudi }[type.gpu.manufacturer.toLowerCase()];
    if (key) out[key] = type.gpu.count;
  }
  if (type.accelerator?.type === "neuron") {
    out[RESOURCE.neuron] = type.accelerator.count;
    out[RESOURCE.neuronCore] = type.accelerator.count * (type.accelerator.coresPerDevice ?? 0);
  }
  const efa = !type.maxEfaInterfaces ? 0 : (sizing.efaOnlyInterfaces ?? type.maxEfaInterfaces);
  if (efa > 0) out[RESOURCE.efa] = efa;
  if (type.podENIs) out[RESOURCE.podEni] = type.podENIs;
  if (sizing.family.os === "windows") out[RESOURCE.privateIPv4] = type.ipv4PerENI - 1;
  for (const key of Object.keys(out)) if (out[key] === 0) delete out[key];
  return out;
}

export function capacityOf(type: CatalogInstanceType, sizing: PreparedSizing): Record<string, number> {
  return {
    [RESOURCE.cpu]: type.vcpu * 1000,
    [RESOURCE.memory]: memoryCapacityMiB(type, sizing.vmMemoryOverheadPercent) * MI,
    [RESOURCE.pods]: podCapacity(type, sizing),
    [RESOURCE.ephemeralStorage]: ephemeralStorageCapacity(type, sizing),
    ...extendedResources(type, sizing),
  };
}

/** The EKS AMI cpu reservation: 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% above. */
export function kubeReservedCpuMillis(vcpu: number): number {
  const millis = vcpu * 1000;
  const tiers: Array<[from: number, to: number, fraction: number]> = [
    [0, 1000, 0.06],
    [1000, 2000, 0.01],
    [2000, 4000, 0.005],
    [4000, Infinity, 0.0025],
  ];
  let reserved = 0;
  for (const [from, to, fraction] of tiers) {
    if (millis <= from) break;
    reserved += Math.trunc((Math.min(millis, to) - from) * fraction);
  }
  return reserved;
}

export function kubeReserved(type: CatalogInstanceType, pods: number, sizing: PreparedSizing): Record<string, number> {
  const podsForMemory = sizing.family.eniLimitedMemoryOverhead ? eniLimitedPods(type, 0, sizing.efaOnlyInterfacesOnCard0) : pods;
  return {
    [RESOURCE.cpu]: kubeReservedCpuMillis(type.vcpu),
    [RESOURCE.memory]: (11 * podsForMemory + 255) * MI,
    [RESOURCE.ephemeralStorage]: 1 * GI,
    ...sizing.kubeReservedOverrides,
  };
}

export function evictionThreshold(capacity: Resources, sizing: PreparedSizing): Record<string, number> {
  const out: Record<string, number> = {
    [RESOURCE.memory]: 100 * MI,
    [RESOURCE.ephemeralStorage]: Math.ceil(capacity[RESOURCE.ephemeralStorage]! * 0.1),
  };
  for (const { resource, percent, amount } of sizing.evictionHard) {
    out[resource] = amount ?? Math.ceil(((capacity[resource] ?? 0) / 100) * percent!);
  }
  return out;
}

/** capacity − overhead for every capacity key, never below zero. */
export function allocatableOf(capacity: Resources, overhead: InstanceTypeOverhead): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(capacity)) {
    const reserved = (overhead.kubeReserved[name] ?? 0) + (overhead.systemReserved[name] ?? 0) + (overhead.evictionThreshold[name] ?? 0);
    out[name] = Math.max(0, capacity[name]! - reserved);
  }
  return out;
}

export function nodeSize(type: CatalogInstanceType, sizing: PreparedSizing): NodeSize {
  const capacity = capacityOf(type, sizing);
  const overhead: InstanceTypeOverhead = {
    kubeReserved: kubeReserved(type, capacity[RESOURCE.pods]!, sizing),
    systemReserved: { ...sizing.systemReserved },
    evictionThreshold: evictionThreshold(capacity, sizing),
  };
  return { capacity, overhead, allocatable: allocatableOf(capacity, overhead) };
}
