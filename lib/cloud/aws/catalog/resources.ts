/**
 * Node capacity and overhead of an EC2 instance type, per design/karpenter-aws.md §1:
 * allocatable = capacity - (kubeReserved + systemReserved + evictionThreshold).
 * Units follow lib/quantity/resources.ts: cpu in millicores, memory and storage in bytes.
 */
import type { EC2NodeClass, KubeletConfiguration } from "../../../api/types.ts";
import { InputError } from "../../../errors.ts";
import { parseQuantity, QuantityError, toResourceNumber } from "../../../quantity/quantity.ts";
import type { Resources } from "../../../quantity/resources.ts";
import type { InstanceTypeOverhead } from "../../instance-type.ts";
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

function kubelet(ctx: SizingContext): KubeletConfiguration {
  return ctx.nodeClass?.spec.kubelet ?? {};
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

/** EFA-only interfaces the NodeClass asks for on the default network card: they carry no pod IPs. */
function efaOnlyInterfacesOnCard0(ctx: SizingContext): number {
  return (ctx.nodeClass?.spec.networkInterfaces ?? []).filter((n) => n.interfaceType === "efa-only" && n.networkCardIndex === 0).length;
}

/** usableENIs × (IPv4 per ENI − 1) + 2, where the +2 covers host-network pods (aws-node, kube-proxy). */
export function eniLimitedPods(type: CatalogInstanceType, reservedENIs: number, efaOnlyInterfaces: number): number {
  const usableENIs = Math.max(type.maxENIs - reservedENIs - efaOnlyInterfaces, 0);
  if (usableENIs === 0) return 0;
  return usableENIs * (type.ipv4PerENI - 1) + 2;
}

export function podCapacity(type: CatalogInstanceType, ctx: SizingContext): number {
  const config = kubelet(ctx);
  let pods: number;
  if (config.maxPods !== undefined) pods = config.maxPods;
  else if (ctx.family.eniLimitedPods) pods = eniLimitedPods(type, ctx.reservedENIs, efaOnlyInterfacesOnCard0(ctx));
  else pods = DEFAULT_PODS;
  const perCore = config.podsPerCore ?? 0;
  if (perCore > 0 && ctx.family.podsPerCoreEnabled) pods = Math.min(perCore * type.vcpu, pods);
  return pods;
}

/** Memory in MiB after the arm64 CMA reservation and the hypervisor's share. */
export function memoryCapacityMiB(type: CatalogInstanceType, vmMemoryOverheadPercent: number): number {
  let mib = type.memoryMiB;
  if (type.awsArchitectures[0] === "arm64") mib -= ARM64_CMA_MIB;
  return mib - Math.ceil(mib * vmMemoryOverheadPercent);
}

function volumeBytes(ctx: SizingContext, index: number): number | undefined {
  const size = ctx.nodeClass?.spec.blockDeviceMappings?.[index]?.ebs?.volumeSize;
  if (size === undefined) return undefined;
  return quantityField(ctx, `spec.blockDeviceMappings[${index}].ebs.volumeSize`, RESOURCE.ephemeralStorage, size);
}

/** First match wins: RAID0 instance store, the root volume, Custom's last volume, the family's device, the default. */
export function ephemeralStorageCapacity(type: CatalogInstanceType, ctx: SizingContext): number {
  const spec = ctx.nodeClass?.spec;
  if (spec?.instanceStorePolicy === "RAID0" && type.localStorage) return type.localStorage.totalSizeGB * 1e9;
  const mappings = spec?.blockDeviceMappings ?? [];
  if (mappings.length > 0) {
    const root = mappings.findIndex((m) => m.rootVolume === true);
    if (root >= 0) return volumeBytes(ctx, root) ?? ctx.family.defaultEphemeralBytes;
    if (ctx.family.family === "Custom") return volumeBytes(ctx, mappings.length - 1) ?? ctx.family.defaultEphemeralBytes;
    const device = mappings.findIndex((m) => m.deviceName === ctx.family.ephemeralDevice);
    if (device >= 0) return volumeBytes(ctx, device) ?? ctx.family.defaultEphemeralBytes;
  }
  return ctx.family.defaultEphemeralBytes;
}

export function extendedResources(type: CatalogInstanceType, ctx: SizingContext): Record<string, number> {
  const out: Record<string, number> = {};
  if (type.gpu) {
    const key = { nvidia: RESOURCE.nvidiaGpu, amd: RESOURCE.amdGpu, habana: RESOURCE.habanaGaudi }[type.gpu.manufacturer.toLowerCase()];
    if (key) out[key] = type.gpu.count;
  }
  if (type.accelerator?.type === "neuron") {
    out[RESOURCE.neuron] = type.accelerator.count;
    out[RESOURCE.neuronCore] = type.accelerator.count * (type.accelerator.coresPerDevice ?? 0);
  }
  const interfaces = ctx.nodeClass?.spec.networkInterfaces;
  const efa = interfaces && interfaces.length > 0 ? (type.maxEfaInterfaces ? interfaces.filter((n) => n.interfaceType === "efa-only").length : 0) : (type.maxEfaInterfaces ?? 0);
  if (efa > 0) out[RESOURCE.efa] = efa;
  if (type.podENIs) out[RESOURCE.podEni] = type.podENIs;
  if (ctx.family.os === "windows") out[RESOURCE.privateIPv4] = type.ipv4PerENI - 1;
  for (const key of Object.keys(out)) if (out[key] === 0) delete out[key];
  return out;
}

export function capacityOf(type: CatalogInstanceType, ctx: SizingContext): Record<string, number> {
  return {
    [RESOURCE.cpu]: type.vcpu * 1000,
    [RESOURCE.memory]: memoryCapacityMiB(type, ctx.vmMemoryOverheadPercent) * MI,
    [RESOURCE.pods]: podCapacity(type, ctx),
    [RESOURCE.ephemeralStorage]: ephemeralStorageCapacity(type, ctx),
    ...extendedResources(type, ctx),
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

function parseResourceMap(ctx: SizingContext, path: string, map: Record<string, string> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(map ?? {})) out[name] = quantityField(ctx, `${path}.${name}`, name, value);
  return out;
}

export function kubeReserved(type: CatalogInstanceType, pods: number, ctx: SizingContext): Record<string, number> {
  const podsForMemory = ctx.family.eniLimitedMemoryOverhead ? eniLimitedPods(type, 0, efaOnlyInterfacesOnCard0(ctx)) : pods;
  return {
    [RESOURCE.cpu]: kubeReservedCpuMillis(type.vcpu),
    [RESOURCE.memory]: (11 * podsForMemory + 255) * MI,
    [RESOURCE.ephemeralStorage]: 1 * GI,
    ...parseResourceMap(ctx, "spec.kubelet.kubeReserved", kubelet(ctx).kubeReserved),
  };
}

const EVICTION_SIGNALS: Array<[signal: string, resource: string]> = [
  ["memory.available", RESOURCE.memory],
  ["nodefs.available", RESOURCE.ephemeralStorage],
];

/** A hard eviction threshold: an absolute quantity, or a percentage of capacity where 100% disables it. */
function evictionSignal(ctx: SizingContext, signal: string, resource: string, value: string, capacity: number): number {
  const path = `spec.kubelet.evictionHard.${signal}`;
  if (typeof value === "string" && value.trim().endsWith("%")) {
    const percent = Number(value.trim().slice(0, -1));
    if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new InputError({ object: nodeClassObject(ctx), path, reason: `${JSON.stringify(value)} is not a percentage between 0% and 100%` });
    }
    return percent === 100 ? 0 : Math.ceil((capacity / 100) * percent);
  }
  return quantityField(ctx, path, resource, value);
}

export function evictionThreshold(capacity: Resources, ctx: SizingContext): Record<string, number> {
  const out: Record<string, number> = {
    [RESOURCE.memory]: 100 * MI,
    [RESOURCE.ephemeralStorage]: Math.ceil(capacity[RESOURCE.ephemeralStorage]! * 0.1),
  };
  const hard = kubelet(ctx).evictionHard ?? {};
  for (const [signal, resource] of EVICTION_SIGNALS) {
    const value = hard[signal];
    if (value !== undefined) out[resource] = evictionSignal(ctx, signal, resource, value, capacity[resource] ?? 0);
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

export function nodeSize(type: CatalogInstanceType, ctx: SizingContext): NodeSize {
  const capacity = capacityOf(type, ctx);
  const overhead: InstanceTypeOverhead = {
    kubeReserved: kubeReserved(type, capacity[RESOURCE.pods]!, ctx),
    systemReserved: parseResourceMap(ctx, "spec.kubelet.systemReserved", kubelet(ctx).systemReserved),
    evictionThreshold: evictionThreshold(capacity, ctx),
  };
  return { capacity, overhead, allocatable: allocatableOf(capacity, overhead) };
}
