/**
 * Generated NodePools and EC2NodeClasses for the differential test: the minimal valid sample with
 * one to three fields changed, each to a value drawn from a mix of valid, borderline and invalid
 * ones, so both verdicts come up often and every rule area is exercised.
 */
import fc from "fast-check";
import { ec2NodeClass, nodePool } from "./samples.ts";

type Mutation = (doc: any) => void;
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const pick = <T>(...values: T[]) => fc.constantFrom(...values);
/** An object without the keys whose value is undefined (as JSON would carry it). */
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const at = (arb: fc.Arbitrary<unknown>, set: (doc: any, value: any) => void): fc.Arbitrary<Mutation> => arb.map((value) => (doc: any) => set(doc, value));

const long = "x".repeat(64);

const requirement = fc
  .record({
    key: pick(
      "karpenter.sh/capacity-type",
      "node.kubernetes.io/instance-type",
      "topology.kubernetes.io/zone",
      "kubernetes.io/arch",
      "kubernetes.io/os",
      "karpenter.k8s.aws/instance-family",
      "karpenter.k8s.aws/instance-cpu",
      "karpenter.k8s.aws/instance-generation",
      "example.com/team",
      "team",
      "kubernetes.io/hostname",
      "karpenter.sh/nodepool",
      "karpenter.sh/initialized",
      "karpenter.k8s.aws/instance-color",
      "node-restriction.kubernetes.io/team",
      "my key",
      "Example.com/team",
    ),
    operator: pick("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte", "Equals"),
    values: opt(fc.array(pick("spot", "on-demand", "reserved", "m5", "c5.large", "us-east-1a", "amd64", "linux", "4", "0", "-1", "abc", "", long, "a b"), { maxLength: 3 })),
    minValues: opt(fc.integer({ min: -1, max: 55 })),
  })
  .map(defined);

const duration = pick("30s", "5m", "1h30m", "720h", "0s", "Never", "-1s", "10x", "1d", "", "1.5h");

const budget = fc
  .record({
    nodes: pick("10%", "0", "5", "100%", "150%", "abc", "-1", "1.5"),
    schedule: opt(pick("@daily", "@weekly", "0 9 * * 1-5", "* * *", "0 0 9 * * 1", "@every 5m")),
    duration: opt(pick("8h", "1h30m", "10m", "10x", "-1h", "30s", "1h5s")),
    reasons: opt(fc.subarray(["Underutilized", "Empty", "Drifted", "Expired"])),
  })
  .map(defined);

const taint = fc
  .record({
    key: pick("example.com/t", "dedicated", "bad key", "karpenter.sh/disrupted", long),
    value: opt(pick("v", "", long, "-bad")),
    effect: pick("NoSchedule", "NoExecute", "PreferNoSchedule", "Sometimes", ""),
  })
  .map(defined);

const labels = fc.dictionary(
  pick("team", "example.com/team", "kubernetes.io/hostname", "karpenter.sh/nodepool", "node.kubernetes.io/instance-type", "topology.kubernetes.io/zone", "bad key", "karpenter.k8s.aws/instance-family"),
  pick("a", "", long, "-bad", "us-east-1a"),
  { maxKeys: 2 },
);

const nodePoolMutations: fc.Arbitrary<Mutation>[] = [
  at(fc.array(requirement, { maxLength: 3 }), (d, v) => (d.spec.template.spec.requirements = v)),
  at(requirement, (d, v) => d.spec.template.spec.requirements.push(v)),
  at(fc.integer({ min: -2, max: 102 }), (d, v) => (d.spec.weight = v)),
  at(fc.record({ cpu: opt(pick("100", "1000m", "-1", "abc", "10Gi", "1e3")), memory: opt(pick("100Gi", "1e3", "x", "-5Gi")) }).map(defined), (d, v) => (d.spec.limits = v)),
  at(pick("WhenEmpty", "WhenEmptyOrUnderutilized", "WhenUnderutilized", ""), (d, v) => ((d.spec.disruption ??= {}).consolidationPolicy = v)),
  at(duration, (d, v) => ((d.spec.disruption ??= {}).consolidateAfter = v)),
  at(fc.array(budget, { maxLength: 3 }), (d, v) => ((d.spec.disruption ??= {}).budgets = v)),
  at(duration, (d, v) => (d.spec.template.spec.expireAfter = v)),
  at(duration, (d, v) => (d.spec.template.spec.terminationGracePeriod = v)),
  at(fc.array(taint, { maxLength: 2 }), (d, v) => (d.spec.template.spec.taints = v)),
  at(fc.array(taint, { maxLength: 2 }), (d, v) => (d.spec.template.spec.startupTaints = v)),
  at(labels, (d, v) => ((d.spec.template.metadata ??= {}).labels = v)),
  at(
    fc.record({ group: opt(pick("karpenter.k8s.aws", "", "example.com")), kind: opt(pick("EC2NodeClass", "", "NodeClass")), name: opt(pick("default", "", "Bad_Name")) }).map(defined),
    (d, v) => (d.spec.template.spec.nodeClassRef = v),
  ),
  at(pick("spec.template.spec.extra", "spec.extra", "spec.template.spec.requirements.0.value"), (d, path: string) => {
    const keys = path.split(".");
    let node = d;
    for (const k of keys.slice(0, -1)) node = node[k];
    node[keys.at(-1)!] = "x";
  }),
  at(pick("my-pool", "Default", "a".repeat(64), "pool.1"), (d, v) => (d.metadata.name = v)),
];

const selectorTerm = (idPrefix: string, bad: string) =>
  fc.oneof(
    fc.record({ tags: fc.dictionary(pick("karpenter.sh/discovery", "Name", "*"), pick("demo", "", "*"), { minKeys: 0, maxKeys: 2 }) }),
    fc.record({ id: pick(`${idPrefix}-123abc`, bad, `${idPrefix}-`) }),
    fc.record({ id: pick(`${idPrefix}-123abc`), tags: fc.constant({ a: "b" }) }),
    fc.record({ name: pick("private", "") }),
    fc.constant({}),
  );

const amiTerm = fc.oneof(
  fc.record({ alias: pick("al2023@latest", "al2@v20240807", "bottlerocket@latest", "windows2022@latest", "al2023", "ubuntu@latest", "al2023@1.2", "AL2023@latest", "al2023@v20240807") }),
  fc.record({ id: pick("ami-123abc", "ami-XYZ", "img-1") }),
  fc.record({ tags: fc.dictionary(pick("env", "Name"), pick("prod", ""), { maxKeys: 2 }) }),
  fc.record({ name: pick("my-ami-*", ""), owner: opt(pick("self", "amazon", "123456789012")) }).map(defined),
  fc.record({ ssmParameter: pick("/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id", "") }),
  fc.constant({ alias: "al2023@latest", id: "ami-123abc" }),
  fc.constant({}),
);

const ec2NodeClassMutations: fc.Arbitrary<Mutation>[] = [
  at(pick("role", "profile", "both", "neither"), (d, v) => {
    if (v === "profile" || v === "neither") delete d.spec.role;
    if (v === "profile" || v === "both") d.spec.instanceProfile = "KarpenterNodeInstanceProfile";
  }),
  at(fc.array(amiTerm, { maxLength: 2 }), (d, v) => (d.spec.amiSelectorTerms = v)),
  at(pick("AL2023", "AL2", "Custom", "Bottlerocket", "Windows2022", "Ubuntu", "al2023"), (d, v) => (d.spec.amiFamily = v)),
  at(fc.array(selectorTerm("subnet", "sn-1"), { maxLength: 2 }), (d, v) => (d.spec.subnetSelectorTerms = v)),
  at(fc.array(selectorTerm("sg", "group-1"), { maxLength: 2 }), (d, v) => (d.spec.securityGroupSelectorTerms = v)),
  at(
    fc
      .record({
        maxPods: opt(pick(110, 0, -1, 1000)),
        podsPerCore: opt(pick(0, 2, -1)),
        evictionHard: opt(fc.dictionary(pick("memory.available", "nodefs.available", "bogus.signal"), pick("5%", "100Mi", "abc", "101%"), { maxKeys: 2 })),
        systemReserved: opt(fc.dictionary(pick("cpu", "memory", "ephemeral-storage", "bogus"), pick("100m", "1Gi", "abc", "-1"), { maxKeys: 2 })),
        imageGCHighThresholdPercent: opt(pick(80, 101, 50)),
        imageGCLowThresholdPercent: opt(pick(70, 90, -1)),
        cpuCFSQuota: opt(fc.boolean()),
        clusterDNS: opt(pick(["10.0.0.10"], ["not-an-ip"], [])),
      })
      .map(defined),
    (d, v) => (d.spec.kubelet = v),
  ),
  at(
    fc.array(
      fc
        .record({
          deviceName: opt(pick("/dev/xvda", "")),
          ebs: opt(
            fc
              .record({
                volumeSize: opt(pick("20Gi", "100G", "0Gi", "70000Gi", "abc", "1Ti")),
                volumeType: opt(pick("gp3", "gp9", "io2")),
                iops: opt(pick(3000, 100, 99999999)),
                encrypted: opt(fc.boolean()),
                throughput: opt(pick(125, 2000)),
              })
              .map(defined),
          ),
          rootVolume: opt(fc.boolean()),
        })
        .map(defined),
      { maxLength: 2 },
    ),
    (d, v) => (d.spec.blockDeviceMappings = v),
  ),
  at(
    fc
      .record({
        httpTokens: opt(pick("required", "optional", "sometimes")),
        httpPutResponseHopLimit: opt(pick(1, 2, 64, 65, 0)),
        httpEndpoint: opt(pick("enabled", "disabled", "x")),
        httpProtocolIPv6: opt(pick("enabled", "disabled", "y")),
      })
      .map(defined),
    (d, v) => (d.spec.metadataOptions = v),
  ),
  at(
    fc.dictionary(pick("team", "kubernetes.io/cluster/demo", "karpenter.sh/nodepool", "eks:eks-cluster-name", "aws:foo", "karpenter.k8s.aws/ec2nodeclass", "karpenter.sh/nodeclaim", "Name"), pick("v", ""), { maxKeys: 2 }),
    (d, v) => (d.spec.tags = v),
  ),
  at(pick("#!/bin/bash\necho hi", ""), (d, v) => (d.spec.userData = v)),
  at(fc.boolean(), (d, v) => (d.spec.associatePublicIPAddress = v)),
  at(fc.boolean(), (d, v) => (d.spec.detailedMonitoring = v)),
  at(pick("RAID0", "NONE", "raid0"), (d, v) => (d.spec.instanceStorePolicy = v)),
  at(pick("spec.extra", "spec.kubelet.extra"), (d, path: string) => {
    if (path === "spec.kubelet.extra") (d.spec.kubelet ??= {}).extra = 1;
    else d.spec.extra = 1;
  }),
];

function mutated(sample: () => any, mutations: fc.Arbitrary<Mutation>[]): fc.Arbitrary<unknown> {
  return fc.array(fc.oneof(...mutations), { minLength: 1, maxLength: 3 }).map((ms) => {
    const doc = sample();
    for (const m of ms) m(doc);
    return doc;
  });
}

export const nodePoolArbitrary = mutated(nodePool, nodePoolMutations);
export const ec2NodeClassArbitrary = mutated(ec2NodeClass, ec2NodeClassMutations);
