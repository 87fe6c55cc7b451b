/**
 * The bad-input table for EC2NodeClass validation: each case names a mistake, how to make it
 * from the minimal valid sample, and Tenon's expected problem lines. Used by
 * test/api/ec2nodeclass-invalid.test.ts and by the differential test against Karpenter's CRDs on a real
 * API server (test/api/crd-differential.test.ts).
 */

import { expect } from "vitest";

export const P = "EC2NodeClass default: ";
export type Case = [string, (nc: any) => void, string[]];

const tags21 = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]));

export const cases: Case[] = [
  ["no subnetSelectorTerms", (nc) => delete nc.spec.subnetSelectorTerms, [`${P}spec.subnetSelectorTerms: is required`]],
  ["empty subnetSelectorTerms", (nc) => (nc.spec.subnetSelectorTerms = []), [`${P}spec.subnetSelectorTerms: subnetSelectorTerms cannot be empty`]],
  ["empty subnet term", (nc) => (nc.spec.subnetSelectorTerms = [{}]), [`${P}spec.subnetSelectorTerms[0]: expected at least one, got none, ['tags', 'id']`]],
  [
    "subnet id with tags",
    (nc) => (nc.spec.subnetSelectorTerms = [{ id: "subnet-123", tags: { a: "b" } }]),
    [`${P}spec.subnetSelectorTerms[0]: 'id' is mutually exclusive, cannot be set with a combination of other fields in a subnet selector term`],
  ],
  ["malformed subnet id", (nc) => (nc.spec.subnetSelectorTerms = [{ id: "sn-123" }]), [`${P}spec.subnetSelectorTerms[0].id: "sn-123" does not match ^subnet-[0-9a-z]+$`]],
  ["subnet tag with an empty value", (nc) => (nc.spec.subnetSelectorTerms = [{ tags: { Name: "" } }]), [`${P}spec.subnetSelectorTerms[0].tags: empty tag keys or values aren't supported`]],
  ["subnet term with 21 tags", (nc) => (nc.spec.subnetSelectorTerms = [{ tags: tags21 }]), [`${P}spec.subnetSelectorTerms[0].tags: has 21 entries, more than the maximum 20`]],
  ["subnet name (not supported)", (nc) => (nc.spec.subnetSelectorTerms = [{ name: "private" }]), [
    `${P}spec.subnetSelectorTerms[0].name: unknown field (expected one of tags, id)`,
    `${P}spec.subnetSelectorTerms[0]: expected at least one, got none, ['tags', 'id']`,
  ]],
  ["no securityGroupSelectorTerms", (nc) => delete nc.spec.securityGroupSelectorTerms, [`${P}spec.securityGroupSelectorTerms: is required`]],
  ["empty securityGroupSelectorTerms", (nc) => (nc.spec.securityGroupSelectorTerms = []), [`${P}spec.securityGroupSelectorTerms: securityGroupSelectorTerms cannot be empty`]],
  [
    "security group id with name",
    (nc) => (nc.spec.securityGroupSelectorTerms = [{ id: "sg-1", name: "web" }]),
    [
      `${P}spec.securityGroupSelectorTerms[0]: 'id' is mutually exclusive, cannot be set with a combination of other fields in a security group selector term`,
      `${P}spec.securityGroupSelectorTerms[0]: 'name' is mutually exclusive, cannot be set with a combination of other fields in a security group selector term`,
    ],
  ],
  [
    "security group name with tags",
    (nc) => (nc.spec.securityGroupSelectorTerms = [{ name: "web", tags: { a: "b" } }]),
    [`${P}spec.securityGroupSelectorTerms[0]: 'name' is mutually exclusive, cannot be set with a combination of other fields in a security group selector term`],
  ],
  ["malformed security group id", (nc) => (nc.spec.securityGroupSelectorTerms = [{ id: "group-1" }]), [`${P}spec.securityGroupSelectorTerms[0].id: "group-1" does not match ^sg-[0-9a-z]+$`]],
  ["no amiSelectorTerms", (nc) => delete nc.spec.amiSelectorTerms, [`${P}spec.amiSelectorTerms: is required`]],
  ["empty amiSelectorTerms", (nc) => (nc.spec.amiSelectorTerms = []), [`${P}spec.amiSelectorTerms: amiSelectorTerms cannot be empty`]],
  [
    "AMI term with only an owner",
    (nc) => Object.assign(nc.spec, { amiFamily: "AL2023", amiSelectorTerms: [{ owner: "self" }] }),
    [`${P}spec.amiSelectorTerms[0]: expected at least one, got none, ['tags', 'id', 'name', 'alias', 'ssmParameter']`],
  ],
  [
    "AMI id with owner",
    (nc) => Object.assign(nc.spec, { amiFamily: "AL2023", amiSelectorTerms: [{ id: "ami-123", owner: "self" }] }),
    [`${P}spec.amiSelectorTerms[0]: 'id' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms`],
  ],
  [
    "alias with tags",
    (nc) => (nc.spec.amiSelectorTerms = [{ alias: "al2023@latest", tags: { a: "b" } }]),
    [`${P}spec.amiSelectorTerms[0]: 'alias' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms`],
  ],
  [
    "alias beside another term",
    (nc) => (nc.spec.amiSelectorTerms = [{ alias: "al2023@latest" }, { id: "ami-123" }]),
    [`${P}spec.amiSelectorTerms: 'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms`],
  ],
  ["alias without a version", (nc) => (nc.spec.amiSelectorTerms = [{ alias: "al2023" }]), [`${P}spec.amiSelectorTerms[0].alias: 'alias' is improperly formatted, must match the format 'family@version'`]],
  [
    "alias of an unknown family",
    (nc) => (nc.spec.amiSelectorTerms = [{ alias: "ubuntu@latest" }]),
    [`${P}spec.amiSelectorTerms[0].alias: family "ubuntu" is not supported, must be one of al2, al2023, bottlerocket, windows2019, windows2022, windows2025`],
  ],
  [
    "alias family named like an object property",
    (nc) => (nc.spec.amiSelectorTerms = [{ alias: "constructor@latest" }]),
    [`${P}spec.amiSelectorTerms[0].alias: family "constructor" is not supported, must be one of al2, al2023, bottlerocket, windows2019, windows2022, windows2025`],
  ],
  ["pinned windows alias", (nc) => (nc.spec.amiSelectorTerms = [{ alias: "windows2022@v20240101" }]), [`${P}spec.amiSelectorTerms[0].alias: windows families may only specify version 'latest'`]],
  [
    "alias longer than 30 characters",
    (nc) => (nc.spec.amiSelectorTerms = [{ alias: `al2023@v${"1".repeat(30)}` }]),
    [`${P}spec.amiSelectorTerms[0].alias: "al2023@v${"1".repeat(30)}" is longer than 30 characters`],
  ],
  ["malformed AMI id", (nc) => Object.assign(nc.spec, { amiFamily: "AL2023", amiSelectorTerms: [{ id: "image-1" }] }), [`${P}spec.amiSelectorTerms[0].id: "image-1" does not match ^ami-[0-9a-z]+$`]],
  ["Ubuntu amiFamily", (nc) => (nc.spec.amiFamily = "Ubuntu"), [`${P}spec.amiFamily: "Ubuntu" is not one of AL2, AL2023, Bottlerocket, Custom, Windows2019, Windows2022, Windows2025`]],
  ["amiFamily that contradicts the alias", (nc) => (nc.spec.amiFamily = "AL2"), [`${P}spec.amiFamily: if set, amiFamily must be 'AL2023' or 'Custom' when using an AL2023 alias`]],
  ["no alias and no amiFamily", (nc) => (nc.spec.amiSelectorTerms = [{ tags: { Name: "my-ami" } }]), [`${P}spec.amiFamily: must specify amiFamily if amiSelectorTerms does not contain an alias`]],
  ["both role and instanceProfile", (nc) => (nc.spec.instanceProfile = "KarpenterProfile"), [`${P}spec: must specify exactly one of ['role', 'instanceProfile']`]],
  ["neither role nor instanceProfile", (nc) => delete nc.spec.role, [`${P}spec: must specify exactly one of ['role', 'instanceProfile']`]],
  ["empty role", (nc) => (nc.spec.role = ""), [`${P}spec.role: may not be empty`]],
  ["cluster ownership tag", (nc) => (nc.spec.tags = { "kubernetes.io/cluster/demo": "owned" }), [`${P}spec.tags[kubernetes.io/cluster/demo]: tag contains a restricted tag matching kubernetes.io/cluster/`]],
  ["EKS cluster name tag", (nc) => (nc.spec.tags = { "eks:eks-cluster-name": "demo" }), [`${P}spec.tags[eks:eks-cluster-name]: tag contains a restricted tag matching eks:eks-cluster-name`]],
  ["nodepool tag", (nc) => (nc.spec.tags = { "karpenter.sh/nodepool": "x" }), [`${P}spec.tags[karpenter.sh/nodepool]: tag contains a restricted tag matching karpenter.sh/nodepool`]],
  ["nodeclaim tag", (nc) => (nc.spec.tags = { "karpenter.sh/nodeclaim": "x" }), [`${P}spec.tags[karpenter.sh/nodeclaim]: tag contains a restricted tag matching karpenter.sh/nodeclaim`]],
  ["ec2nodeclass tag", (nc) => (nc.spec.tags = { "karpenter.k8s.aws/ec2nodeclass": "x" }), [`${P}spec.tags[karpenter.k8s.aws/ec2nodeclass]: tag contains a restricted tag matching karpenter.k8s.aws/ec2nodeclass`]],
  ["Tenon ownership tag", (nc) => (nc.spec.tags = { "tenon.sh/managed-by": "other" }), [`${P}spec.tags[tenon.sh/managed-by]: tag contains a restricted tag matching tenon.sh/`]],
  ["empty tag key", (nc) => (nc.spec.tags = { "": "x" }), [`${P}spec.tags: empty tag keys aren't supported`]],
  ["tag value as a number", (nc) => (nc.spec.tags = { cost: 12 }), [`${P}spec.tags.cost: must be a string, got an integer`]],
  [
    "two root volumes",
    (nc) => (nc.spec.blockDeviceMappings = [{ rootVolume: true, ebs: { volumeSize: "20Gi" } }, { rootVolume: true, ebs: { volumeSize: "30Gi" } }]),
    [`${P}spec.blockDeviceMappings: must have only one blockDeviceMappings with rootVolume`],
  ],
  [
    "volume size in GB",
    (nc) => (nc.spec.blockDeviceMappings = [{ ebs: { volumeSize: "100GB" } }]),
    [`${P}spec.blockDeviceMappings[0].ebs.volumeSize: "100GB" is not a volume size like 20Gi (a whole number of G, Gi, T or Ti)`],
  ],
  ["volume too large", (nc) => (nc.spec.blockDeviceMappings = [{ ebs: { volumeSize: "60000Gi" } }]), [`${P}spec.blockDeviceMappings[0].ebs.volumeSize: "60000Gi" is larger than the maximum 59000Gi`]],
  ["EBS volume with neither size nor snapshot", (nc) => (nc.spec.blockDeviceMappings = [{ ebs: { volumeType: "gp3" } }]), [`${P}spec.blockDeviceMappings[0].ebs: snapshotID or volumeSize must be defined`]],
  [
    "unknown volume type",
    (nc) => (nc.spec.blockDeviceMappings = [{ ebs: { volumeSize: "20Gi", volumeType: "gp4" } }]),
    [`${P}spec.blockDeviceMappings[0].ebs.volumeType: "gp4" is not one of standard, io1, io2, gp2, sc1, st1, gp3`],
  ],
  [
    "initialization rate without snapshot",
    (nc) => (nc.spec.blockDeviceMappings = [{ ebs: { volumeSize: "20Gi", volumeInitializationRate: 200 } }]),
    [`${P}spec.blockDeviceMappings[0].ebs: snapshotID must be set when volumeInitializationRate is set`],
  ],
  [
    "initialization rate too low",
    (nc) => (nc.spec.blockDeviceMappings = [{ ebs: { snapshotID: "snap-1", volumeInitializationRate: 50 } }]),
    [`${P}spec.blockDeviceMappings[0].ebs.volumeInitializationRate: 50 is less than the minimum 100`],
  ],
  ["httpTokens maybe", (nc) => (nc.spec.metadataOptions = { httpTokens: "maybe" }), [`${P}spec.metadataOptions.httpTokens: "maybe" is not one of required, optional`]],
  ["hop limit 0", (nc) => (nc.spec.metadataOptions = { httpPutResponseHopLimit: 0 }), [`${P}spec.metadataOptions.httpPutResponseHopLimit: 0 is less than the minimum 1`]],
  ["hop limit 65", (nc) => (nc.spec.metadataOptions = { httpPutResponseHopLimit: 65 }), [`${P}spec.metadataOptions.httpPutResponseHopLimit: 65 is greater than the maximum 64`]],
  ["httpEndpoint on", (nc) => (nc.spec.metadataOptions = { httpEndpoint: "on" }), [`${P}spec.metadataOptions.httpEndpoint: "on" is not one of enabled, disabled`]],
  [
    "unknown eviction signal",
    (nc) => (nc.spec.kubelet = { evictionHard: { "memory.free": "5%" } }),
    [`${P}spec.kubelet.evictionHard[memory.free]: "memory.free" is not an eviction signal; valid keys are memory.available, nodefs.available, nodefs.inodesFree, imagefs.available, imagefs.inodesFree, pid.available`],
  ],
  [
    "eviction threshold that is neither percent nor quantity",
    (nc) => (nc.spec.kubelet = { evictionHard: { "memory.available": "lots" } }),
    [`${P}spec.kubelet.evictionHard[memory.available]: "lots" is not a percentage (like 10%) or a non-negative quantity (like 100Mi)`],
  ],
  ["eviction threshold over 100%", (nc) => (nc.spec.kubelet = { evictionHard: { "nodefs.available": "150%" } }), [`${P}spec.kubelet.evictionHard[nodefs.available]: "150%" is not a percentage (like 10%) or a non-negative quantity (like 100Mi)`]],
  ["reserving gpus", (nc) => (nc.spec.kubelet = { kubeReserved: { gpu: "1" } }), [`${P}spec.kubelet.kubeReserved.gpu: "gpu" can't be reserved; valid keys are cpu, memory, ephemeral-storage, pid`]],
  ["negative reservation", (nc) => (nc.spec.kubelet = { systemReserved: { cpu: "-100m" } }), [`${P}spec.kubelet.systemReserved.cpu: "-100m" can't be a negative resource quantity`]],
  [
    "image GC high below low",
    (nc) => (nc.spec.kubelet = { imageGCHighThresholdPercent: 80, imageGCLowThresholdPercent: 85 }),
    [`${P}spec.kubelet.imageGCHighThresholdPercent: 80 must be greater than imageGCLowThresholdPercent (85)`],
  ],
  ["image GC over 100", (nc) => (nc.spec.kubelet = { imageGCHighThresholdPercent: 101 }), [`${P}spec.kubelet.imageGCHighThresholdPercent: 101 is greater than the maximum 100`]],
  ["soft eviction without grace period", (nc) => (nc.spec.kubelet = { evictionSoft: { "memory.available": "1Gi" } }), [`${P}spec.kubelet.evictionSoft[memory.available]: has no matching evictionSoftGracePeriod`]],
  ["grace period without soft eviction", (nc) => (nc.spec.kubelet = { evictionSoftGracePeriod: { "memory.available": "1m" } }), [`${P}spec.kubelet.evictionSoftGracePeriod[memory.available]: has no matching evictionSoft`]],
  [
    "grace period that is not a duration",
    (nc) => (nc.spec.kubelet = { evictionSoft: { "memory.available": "1Gi" }, evictionSoftGracePeriod: { "memory.available": "soon" } }),
    [`${P}spec.kubelet.evictionSoftGracePeriod[memory.available]: "soon" is not a duration (like 30s or 2m)`],
  ],
  ["negative maxPods", (nc) => (nc.spec.kubelet = { maxPods: -1 }), [`${P}spec.kubelet.maxPods: -1 is less than the minimum 0`]],
  ["clusterDNS as a string", (nc) => (nc.spec.kubelet = { clusterDNS: "10.0.0.10" }), [`${P}spec.kubelet.clusterDNS: must be a list, got a string`]],
  ["userData as a map", (nc) => (nc.spec.userData = { script: "echo" }), [`${P}spec.userData: must be a string, got an object`]],
  ["instanceStorePolicy RAID1", (nc) => (nc.spec.instanceStorePolicy = "RAID1"), [`${P}spec.instanceStorePolicy: "RAID1" is not one of RAID0`]],
  [
    "bad amiFamily beside a bad amiSelectorTerm",
    (nc) => {
      nc.spec.amiSelectorTerms = [{}];
      nc.spec.amiFamily = "Ubuntu";
    },
    [
      `${P}spec.amiSelectorTerms[0]: expected at least one, got none, ['tags', 'id', 'name', 'alias', 'ssmParameter']`,
      `${P}spec.amiFamily: "Ubuntu" is not one of AL2, AL2023, Bottlerocket, Custom, Windows2019, Windows2022, Windows2025`,
    ],
  ],
  ["unknown kubelet setting", (nc) => (nc.spec.kubelet = { maxPods: 110, registryPullQPS: 5 }), [expect.stringMatching(/^EC2NodeClass default: spec.kubelet.registryPullQPS: unknown field \(expected one of clusterDNS, /)]],
  ["misspelt amiSelectorTerms", (nc) => (nc.spec.amiSelector = [{ alias: "al2023@latest" }]), [expect.stringMatching(/^EC2NodeClass default: spec.amiSelector: unknown field \(expected one of subnetSelectorTerms, /)]],
  [
    "capacity reservation id with tags",
    (nc) => (nc.spec.capacityReservationSelectorTerms = [{ id: "cr-1", tags: { a: "b" } }]),
    [`${P}spec.capacityReservationSelectorTerms[0]: 'id' is mutually exclusive, cannot be set with a combination of other fields in a capacity reservation selector term`],
  ],
  ["capacity reservation owner that is not an account", (nc) => (nc.spec.capacityReservationSelectorTerms = [{ tags: { a: "b" }, ownerID: "123" }]), [`${P}spec.capacityReservationSelectorTerms[0].ownerID: "123" is not a 12-digit AWS account ID`]],
  [
    "network interfaces without a primary",
    (nc) => (nc.spec.networkInterfaces = [{ networkCardIndex: 0, deviceIndex: 1, interfaceType: "efa-only" }]),
    [`${P}spec.networkInterfaces: networkInterfaces must include a primary interface with interfaceType='interface'`],
  ],
  ["placement group by name and id", (nc) => (nc.spec.placementGroupSelector = { name: "pg", id: "pg-123" }), [`${P}spec.placementGroupSelector: 'name' and 'id' are mutually exclusive`]],
  ["UDP timeout too short", (nc) => (nc.spec.connectionTracking = { udpTimeout: 10 }), [`${P}spec.connectionTracking.udpTimeout: 10 is less than the minimum 30`]],
  ["ipPrefixCount negative", (nc) => (nc.spec.ipPrefixCount = -2), [`${P}spec.ipPrefixCount: -2 is less than the minimum 0`]],
  ["v1beta1 apiVersion", (nc) => (nc.apiVersion = "karpenter.k8s.aws/v1beta1"), [`${P}apiVersion: "karpenter.k8s.aws/v1beta1" is not supported; Karpenter v1 objects use karpenter.k8s.aws/v1`]],
  ["no spec", (nc) => delete nc.spec, [`${P}spec: is required`]],
];
