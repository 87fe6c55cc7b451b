/**
 * Karpenter's capacity and overhead rules (design/karpenter-aws.md §1) on worked examples, each
 * number computed by hand in the comments. m5.large: 2 vCPU, 8192 MiB, 3 ENIs × 10 IPv4.
 */
import { describe, expect, it } from "vitest";
import type { EC2NodeClassSpec, KubeletConfiguration } from "../../../../lib/api/types.ts";
import { sizeAwsInstanceType, type AwsSizingOptions } from "../../../../lib/cloud/aws/catalog/index.ts";
import { kubeReservedCpuMillis } from "../../../../lib/cloud/aws/catalog/resources.ts";
import { InputError } from "../../../../lib/errors.ts";
import { GI, MI, nodeClass } from "./helpers.ts";

function size(type: string, options: AwsSizingOptions = {}) {
  const sized = sizeAwsInstanceType(type, options);
  if (!sized) throw new Error(`no ${type} in the catalog`);
  return sized;
}

function withKubelet(kubelet: KubeletConfiguration, spec: Partial<EC2NodeClassSpec> = {}): AwsSizingOptions {
  return { nodeClass: nodeClass({ kubelet, ...spec }) };
}

const bottlerocket = (spec: Partial<EC2NodeClassSpec> = {}): AwsSizingOptions => ({
  nodeClass: nodeClass({ amiFamily: "Bottlerocket", amiSelectorTerms: [{ alias: "bottlerocket@latest" }], ...spec }),
});

describe("AL2023 defaults", () => {
  it("sizes m5.large as Karpenter documents: 29 pods, 1930m, 6903Mi, 17Gi", () => {
    const { capacity, allocatable } = size("m5.large");
    // memory capacity: 8192 − ceil(8192 × 0.075 = 614.4) = 7577Mi
    expect(capacity).toMatchObject({ cpu: 2000, memory: 7577 * MI, pods: 29, "ephemeral-storage": 20 * GI });
    // pods 3×9+2 = 29; cpu 2000 − 70; memory 7577 − (11×29+255 = 574) − 100; storage 20 − 1 − 2
    expect(allocatable).toMatchObject({ cpu: 1930, memory: 6903 * MI, pods: 29, "ephemeral-storage": 17 * GI, "vpc.amazonaws.com/pod-eni": 9 });
  });

  it("takes Graviton's 64Mi CMA reservation off arm64 memory before the VM overhead", () => {
    // 8192 − 64 = 8128; − ceil(609.6) = 7518; − 574 − 100 = 6844Mi
    expect(size("m7g.large").allocatable.memory).toBe(6844 * MI);
  });

  it("reserves cpu in tiers of 6%, 1%, 0.5% and 0.25%", () => {
    expect(kubeReservedCpuMillis(1)).toBe(60);
    expect(kubeReservedCpuMillis(2)).toBe(70); // 60 + 10
    expect(kubeReservedCpuMillis(4)).toBe(80); // 60 + 10 + 10
    expect(kubeReservedCpuMillis(96)).toBe(310); // 60 + 10 + 10 + 92000 × 0.0025
  });

  it("counts GPUs, Neuron devices and cores, and EFA interfaces as extended resources", () => {
    expect(size("p4d.24xlarge").capacity).toMatchObject({ "nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 4 });
    expect(size("inf2.xlarge").capacity).toMatchObject({ "aws.amazon.com/neuron": 1, "aws.amazon.com/neuroncore": 2 });
    expect(size("g4ad.xlarge").capacity["amd.com/gpu"]).toBe(1);
    expect(size("m5.large").capacity["nvidia.com/gpu"]).toBeUndefined();
  });
});

describe("kubelet settings", () => {
  it("maxPods caps pods, but AL2023's kube-reserved memory still counts the ENI-limited 29 pods", () => {
    const { allocatable } = size("m5.large", withKubelet({ maxPods: 20 }));
    expect(allocatable.pods).toBe(20);
    expect(allocatable.memory).toBe(6903 * MI);
  });

  it("podsPerCore limits pods to vCPUs × podsPerCore", () => {
    expect(size("m5.large", withKubelet({ podsPerCore: 4 })).allocatable.pods).toBe(8); // min(2 × 4, 29)
    expect(size("m5.large", withKubelet({ podsPerCore: 20 })).allocatable.pods).toBe(29); // min(40, 29)
  });

  it("kubeReserved replaces the computed values key by key", () => {
    const { allocatable, overhead } = size("m5.large", withKubelet({ kubeReserved: { cpu: "100m", memory: "1Gi" } }));
    expect(allocatable.cpu).toBe(1900); // 2000 − 100
    expect(allocatable.memory).toBe(6453 * MI); // 7577 − 1024 − 100
    expect(overhead.kubeReserved["ephemeral-storage"]).toBe(GI); // not overridden
    expect(allocatable["ephemeral-storage"]).toBe(17 * GI);
  });

  it("systemReserved is subtracted on top", () => {
    const { allocatable } = size("m5.large", withKubelet({ systemReserved: { cpu: "100m", memory: "100Mi", "ephemeral-storage": "1Gi" } }));
    expect(allocatable.cpu).toBe(1830); // 1930 − 100
    expect(allocatable.memory).toBe(6803 * MI); // 6903 − 100
    expect(allocatable["ephemeral-storage"]).toBe(16 * GI); // 17 − 1
  });

  it("evictionHard replaces the thresholds with absolute quantities", () => {
    const { allocatable } = size("m5.large", withKubelet({ evictionHard: { "memory.available": "500Mi", "nodefs.available": "5Gi" } }));
    expect(allocatable.memory).toBe(6503 * MI); // 7577 − 574 − 500
    expect(allocatable["ephemeral-storage"]).toBe(14 * GI); // 20 − 1 − 5
  });

  it("evictionHard percentages are taken of capacity, rounded up, and 100% disables the threshold", () => {
    const { allocatable } = size("m5.large", withKubelet({ evictionHard: { "memory.available": "10%", "nodefs.available": "100%" } }));
    // memory capacity 7577Mi = 7945060352 bytes; 10% = 794506035.2 → 794506036; kube-reserved 574Mi = 601882624
    expect(allocatable.memory).toBe(7945060352 - 601882624 - 794506036);
    expect(allocatable["ephemeral-storage"]).toBe(19 * GI); // 20 − 1 − 0
  });

  it("names the NodeClass and field when a kubelet quantity is bad", () => {
    const bad = () => size("m5.large", withKubelet({ kubeReserved: { memory: "lots" } }));
    expect(bad).toThrow(InputError);
    expect(bad).toThrow(/EC2NodeClass test: spec\.kubelet\.kubeReserved\.memory: "lots" is not a valid quantity/);
    expect(() => size("m5.large", withKubelet({ evictionHard: { "memory.available": "120%" } }))).toThrow(/spec\.kubelet\.evictionHard\.memory\.available/);
  });
});

describe("controller options", () => {
  it("vmMemoryOverheadPercent sets the hypervisor's share", () => {
    // 8192 − ceil(409.6) = 7782; − 574 − 100 = 7108Mi
    expect(size("m5.large", { vmMemoryOverheadPercent: 0.05 }).allocatable.memory).toBe(7108 * MI);
  });

  it("reservedENIs lowers pods; AL2023 kube-reserved memory ignores it", () => {
    const { allocatable } = size("m5.large", { reservedENIs: 1 });
    expect(allocatable.pods).toBe(20); // 2 × 9 + 2
    expect(allocatable.memory).toBe(6903 * MI);
  });

  it("efa-only interfaces on the default network card carry no pod IPs", () => {
    const efaOnCard0 = nodeClass({ networkInterfaces: [{ networkCardIndex: 0, deviceIndex: 1, interfaceType: "efa-only" }] });
    // p4d.24xlarge: 15 ENIs × 50 IPv4 on card 0; one efa-only NIC leaves 14 × 49 + 2 = 688 pods
    expect(size("p4d.24xlarge", { nodeClass: efaOnCard0 }).capacity.pods).toBe(688);
    expect(size("p4d.24xlarge").capacity.pods).toBe(737); // 15 × 49 + 2
  });

  it("leaves no pods when every ENI is reserved", () => {
    expect(size("m5.large", { reservedENIs: 3 }).allocatable.pods).toBe(0);
  });
});

describe("ephemeral storage", () => {
  it("uses the root volume's size", () => {
    const options = withKubelet({}, { blockDeviceMappings: [{ deviceName: "/dev/xvda", rootVolume: true, ebs: { volumeSize: "100Gi" } }] });
    expect(size("m5.large", options).allocatable["ephemeral-storage"]).toBe(89 * GI); // 100 − 1 − 10
  });

  it("skips a root volume without a size", () => {
    const options = withKubelet({}, { blockDeviceMappings: [{ deviceName: "/dev/sdb", rootVolume: true }, { deviceName: "/dev/xvda", ebs: { volumeSize: "50Gi" } }] });
    expect(size("m5.large", options).allocatable["ephemeral-storage"]).toBe(44 * GI); // the /dev/xvda volume: 50 − 1 − 5
  });

  it("falls back to the family's device (/dev/xvda on AL2023) without a root volume", () => {
    const options = withKubelet({}, { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: "50Gi" } }] });
    expect(size("m5.large", options).allocatable["ephemeral-storage"]).toBe(44 * GI); // 50 − 1 − 5
  });

  it("uses the instance store with RAID0, in decimal GB", () => {
    const options = withKubelet({}, { instanceStorePolicy: "RAID0" });
    // m5d.large: 75 GB NVMe; 75e9 − 1Gi − 7.5e9
    expect(size("m5d.large", options).allocatable["ephemeral-storage"]).toBe(75e9 - GI - 7.5e9);
    // No instance store: the 20Gi default volume still applies.
    expect(size("m5.large", options).allocatable["ephemeral-storage"]).toBe(17 * GI);
  });

  it("names the field when a volume size is bad", () => {
    const options = withKubelet({}, { blockDeviceMappings: [{ deviceName: "/dev/xvda", rootVolume: true, ebs: { volumeSize: "big" } }] });
    expect(() => size("m5.large", options)).toThrow(/spec\.blockDeviceMappings\[0\]\.ebs\.volumeSize/);
  });
});

describe("Bottlerocket", () => {
  it("ignores podsPerCore", () => {
    expect(size("m5.large", bottlerocket({ kubelet: { podsPerCore: 4 } })).allocatable.pods).toBe(29);
  });

  it("reserves memory for the final pod count", () => {
    // maxPods 20: 7577 − (11 × 20 + 255 = 475) − 100 = 7002Mi
    expect(size("m5.large", bottlerocket({ kubelet: { maxPods: 20 } })).allocatable.memory).toBe(7002 * MI);
    expect(size("m5.large", { ...bottlerocket(), reservedENIs: 1 }).allocatable.memory).toBe(7002 * MI); // pods 20 again
  });

  it("keeps ephemeral storage on /dev/xvdb, not the OS volume", () => {
    const options = bottlerocket({
      blockDeviceMappings: [
        { deviceName: "/dev/xvda", ebs: { volumeSize: "100Gi" } },
        { deviceName: "/dev/xvdb", ebs: { volumeSize: "60Gi" } },
      ],
    });
    expect(size("m5.large", options).allocatable["ephemeral-storage"]).toBe(53 * GI); // 60 − 1 − 6
  });
});

describe("Windows", () => {
  it("runs 110 pods, reserves memory for them, and uses a 50Gi C: volume", () => {
    const options = { nodeClass: nodeClass({ amiFamily: "Windows2022", amiSelectorTerms: [{ alias: "windows2022@latest" }] }) };
    const { allocatable, labels } = size("m5.large", options);
    expect(allocatable.pods).toBe(110);
    expect(allocatable.memory).toBe(6012 * MI); // 7577 − (11 × 110 + 255 = 1465) − 100
    expect(allocatable["ephemeral-storage"]).toBe(44 * GI); // 50 − 1 − 5
    expect(allocatable["vpc.amazonaws.com/PrivateIPv4Address"]).toBe(9); // 10 IPv4 per ENI − 1
    expect(labels["kubernetes.io/os"]).toBe("windows");
  });
});
