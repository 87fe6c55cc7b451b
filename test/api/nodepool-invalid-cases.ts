/**
 * The bad-input table for NodePool validation: each case names a mistake, how to make it
 * from the minimal valid sample, and Tenon's expected problem lines. Used by
 * test/api/nodepool-invalid.test.ts and by the differential test against Karpenter's CRDs on a real
 * API server (test/api/crd-differential.test.ts).
 */

export const REQ = "spec.template.spec.requirements";
export const P = "NodePool default: ";

export type Case = [string, (np: any) => void, string[]];

const requirement = (np: any, r: unknown) => {
  np.spec.template.spec.requirements = [r];
};

export const cases: Case[] = [
  ["unknown operator", (np) => requirement(np, { key: "a.com/b", operator: "Equals", values: ["x"] }), [`${P}${REQ}[0].operator: "Equals" is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte, Lte`]],
  ["missing operator", (np) => requirement(np, { key: "a.com/b" }), [`${P}${REQ}[0].operator: is required`]],
  ["missing key", (np) => requirement(np, { operator: "Exists" }), [`${P}${REQ}[0].key: is required`]],
  ["In without values", (np) => requirement(np, { key: "a.com/b", operator: "In" }), [`${P}${REQ}[0].values: requirements with operator 'In' must have a value defined`]],
  ["In with an empty list", (np) => requirement(np, { key: "a.com/b", operator: "In", values: [] }), [`${P}${REQ}[0].values: requirements with operator 'In' must have a value defined`]],
  ["Exists with values", (np) => requirement(np, { key: "a.com/b", operator: "Exists", values: ["x"] }), [`${P}${REQ}[0].values: operator Exists takes no values`]],
  ["DoesNotExist with values", (np) => requirement(np, { key: "a.com/b", operator: "DoesNotExist", values: ["x"] }), [`${P}${REQ}[0].values: operator DoesNotExist takes no values`]],
  ["Gt with two values", (np) => requirement(np, { key: "a.com/b", operator: "Gt", values: ["1", "2"] }), [`${P}${REQ}[0].values: operator Gt must have a single non-negative integer value`]],
  ["Lt with a word", (np) => requirement(np, { key: "a.com/b", operator: "Lt", values: ["abc"] }), [`${P}${REQ}[0].values: operator Lt must have a single non-negative integer value`]],
  ["Lte without values", (np) => requirement(np, { key: "a.com/b", operator: "Lte" }), [`${P}${REQ}[0].values: operator Lte must have a single non-negative integer value`]],
  [
    "Gte with a negative value",
    (np) => requirement(np, { key: "a.com/b", operator: "Gte", values: ["-1"] }),
    [
      `${P}${REQ}[0].values[0]: "-1" is not a valid label value: must be empty or alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`,
      `${P}${REQ}[0].values: operator Gte must have a single non-negative integer value`,
    ],
  ],
  ["minValues 0", (np) => requirement(np, { key: "a.com/b", operator: "Exists", minValues: 0 }), [`${P}${REQ}[0].minValues: 0 is less than the minimum 1`]],
  ["minValues 51", (np) => requirement(np, { key: "a.com/b", operator: "Exists", minValues: 51 }), [`${P}${REQ}[0].minValues: 51 is greater than the maximum 50`]],
  ["minValues as a string", (np) => requirement(np, { key: "a.com/b", operator: "Exists", minValues: "2" }), [`${P}${REQ}[0].minValues: must be an integer, got a string "2"`]],
  [
    "minValues above the number of In values",
    (np) => requirement(np, { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5", "c5"], minValues: 3 }),
    [`${P}${REQ}[0].minValues: 3 is more than the 2 value(s) given; requirements with 'minValues' must have at least that many values`],
  ],
  ["hostname in requirements", (np) => requirement(np, { key: "kubernetes.io/hostname", operator: "Exists" }), [`${P}${REQ}[0].key: label "kubernetes.io/hostname" is restricted`]],
  ["nodepool in requirements", (np) => requirement(np, { key: "karpenter.sh/nodepool", operator: "In", values: ["x"] }), [`${P}${REQ}[0].key: label "karpenter.sh/nodepool" is restricted`]],
  ["karpenter.sh domain", (np) => requirement(np, { key: "karpenter.sh/initialized", operator: "Exists" }), [`${P}${REQ}[0].key: label domain "karpenter.sh" is restricted`]],
  ["karpenter.sh subdomain", (np) => requirement(np, { key: "x.karpenter.sh/team", operator: "Exists" }), [`${P}${REQ}[0].key: label domain "karpenter.sh" is restricted`]],
  ["karpenter.k8s.aws domain", (np) => requirement(np, { key: "karpenter.k8s.aws/instance-color", operator: "Exists" }), [`${P}${REQ}[0].key: label domain "karpenter.k8s.aws" is restricted`]],
  [
    "key with a space",
    (np) => requirement(np, { key: "my key", operator: "Exists" }),
    [`${P}${REQ}[0].key: "my key" is not a qualified name: the name part must be alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`],
  ],
  ["key with an uppercase prefix", (np) => requirement(np, { key: "Example.com/team", operator: "Exists" }), [`${P}${REQ}[0].key: "Example.com/team" is not a qualified name: the prefix must be a lowercase DNS subdomain`]],
  ["value longer than 63", (np) => requirement(np, { key: "a.com/b", operator: "In", values: ["x".repeat(64)] }), [`${P}${REQ}[0].values[0]: "${"x".repeat(64)}" is not a valid label value: longer than 63 characters`]],
  [
    "unknown capacity type",
    (np) => requirement(np, { key: "karpenter.sh/capacity-type", operator: "In", values: ["preemptible"] }),
    [`${P}${REQ}[0].values: none of "preemptible" is a known value of karpenter.sh/capacity-type; expected one of on-demand, spot, reserved`],
  ],
  [
    "minValues above the number of known capacity types",
    (np) => requirement(np, { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "preemptible"], minValues: 2 }),
    [`${P}${REQ}[0].minValues: 2 is more than the 1 known value(s) of karpenter.sh/capacity-type given`],
  ],
  [
    "unknown tenancy",
    (np) => requirement(np, { key: "karpenter.k8s.aws/instance-tenancy", operator: "In", values: ["host"] }),
    [`${P}${REQ}[0].values: none of "host" is a known value of karpenter.k8s.aws/instance-tenancy; expected one of default, dedicated`],
  ],
  [
    "101 requirements",
    (np) => {
      np.spec.template.spec.requirements = Array.from({ length: 101 }, (_, i) => ({ key: `example.com/k${i}`, operator: "Exists" }));
    },
    [`${P}${REQ}: has 101 items, more than the maximum 100`],
  ],
  ["requirements missing", (np) => delete np.spec.template.spec.requirements, [`${P}${REQ}: is required (use [] for none)`]],
  ["requirement that is not an object", (np) => requirement(np, "kubernetes.io/arch=amd64"), [`${P}${REQ}[0]: must be an object, got a string`]],
  ["unknown field in a requirement", (np) => requirement(np, { key: "a.com/b", operator: "Exists", value: "x" }), [`${P}${REQ}[0].value: unknown field (expected one of key, operator, values, minValues)`]],
  ["nodeClassRef missing", (np) => delete np.spec.template.spec.nodeClassRef, [`${P}spec.template.spec.nodeClassRef: is required`]],
  ["nodeClassRef with an empty name", (np) => (np.spec.template.spec.nodeClassRef.name = ""), [`${P}spec.template.spec.nodeClassRef.name: may not be empty`]],
  ["nodeClassRef without kind", (np) => delete np.spec.template.spec.nodeClassRef.kind, [`${P}spec.template.spec.nodeClassRef.kind: is required`]],
  [
    "nodeClassRef group written as an apiVersion",
    (np) => (np.spec.template.spec.nodeClassRef.group = "karpenter.k8s.aws/v1"),
    [`${P}spec.template.spec.nodeClassRef.group: "karpenter.k8s.aws/v1" may not contain "/" (a group, not an apiVersion)`],
  ],
  ["taint with a bad effect", (np) => (np.spec.template.spec.taints = [{ key: "a.com/b", effect: "NoEffect" }]), [`${P}spec.template.spec.taints[0].effect: "NoEffect" is not one of NoSchedule, PreferNoSchedule, NoExecute`]],
  ["taint without effect", (np) => (np.spec.template.spec.taints = [{ key: "a.com/b" }]), [`${P}spec.template.spec.taints[0].effect: is required`]],
  ["taint without key", (np) => (np.spec.template.spec.startupTaints = [{ effect: "NoSchedule" }]), [`${P}spec.template.spec.startupTaints[0].key: is required`]],
  [
    "taint value with a space",
    (np) => (np.spec.template.spec.taints = [{ key: "dedicated", value: "gpu nodes", effect: "NoSchedule" }]),
    [`${P}spec.template.spec.taints[0].value: "gpu nodes" is not a valid taint value: the name part must be alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`],
  ],
  [
    "the same taint in taints and startupTaints",
    (np) => {
      np.spec.template.spec.taints = [{ key: "a.com/b", effect: "NoSchedule" }];
      np.spec.template.spec.startupTaints = [{ key: "a.com/b", effect: "NoSchedule" }];
    },
    [`${P}spec.template.spec.startupTaints[0]: duplicate taint key/effect pair a.com/b:NoSchedule`],
  ],
  ["expireAfter in days", (np) => (np.spec.template.spec.expireAfter = "30d"), [`${P}spec.template.spec.expireAfter: "30d" is not a duration like 30s, 10m or 720h, or Never`]],
  ["expireAfter with a fraction", (np) => (np.spec.template.spec.expireAfter = "1.5h"), [`${P}spec.template.spec.expireAfter: "1.5h" is not a duration like 30s, 10m or 720h, or Never`]],
  ["expireAfter as a number", (np) => (np.spec.template.spec.expireAfter = 3600), [`${P}spec.template.spec.expireAfter: must be a string, got an integer`]],
  ["terminationGracePeriod Never", (np) => (np.spec.template.spec.terminationGracePeriod = "Never"), [`${P}spec.template.spec.terminationGracePeriod: "Never" is not a duration like 30s, 10m or 1h30m`]],
  ["disruption without consolidateAfter", (np) => (np.spec.disruption = { consolidationPolicy: "WhenEmpty" }), [`${P}spec.disruption.consolidateAfter: is required`]],
  ["taint with an empty value", (np) => (np.spec.template.spec.taints = [{ key: "a.com/b", value: "", effect: "NoSchedule" }]), [`${P}spec.template.spec.taints[0].value: may not be empty (leave it out for a taint without a value)`]],
  ["negative consolidateAfter", (np) => (np.spec.disruption = { consolidateAfter: "-1s" }), [`${P}spec.disruption.consolidateAfter: "-1s" is not a duration like 30s, 10m or 720h, or Never`]],
  ["v1beta1 consolidation policy", (np) => (np.spec.disruption = { consolidateAfter: "0s", consolidationPolicy: "WhenUnderutilized" }), [`${P}spec.disruption.consolidationPolicy: "WhenUnderutilized" is not one of WhenEmpty, WhenEmptyOrUnderutilized, Balanced`]],
  ["budget over 100%", (np) => (np.spec.disruption = { consolidateAfter: "0s", budgets: [{ nodes: "110%" }] }), [`${P}spec.disruption.budgets[0].nodes: "110%" is not a node count (like 5) or a percentage from 0% to 100% (like 10%)`]],
  ["budget nodes as a number", (np) => (np.spec.disruption = { consolidateAfter: "0s", budgets: [{ nodes: 5 }] }), [`${P}spec.disruption.budgets[0].nodes: must be a string; quote it: "5"`]],
  ["budget schedule without duration", (np) => (np.spec.disruption = { consolidateAfter: "0s", budgets: [{ nodes: "0", schedule: "@daily" }] }), [`${P}spec.disruption.budgets[0]: 'schedule' must be set with 'duration'`]],
  ["budget duration without schedule", (np) => (np.spec.disruption = { consolidateAfter: "0s", budgets: [{ nodes: "0", duration: "1h" }] }), [`${P}spec.disruption.budgets[0]: 'schedule' must be set with 'duration'`]],
  [
    "budget schedule with hour 25",
    (np) => (np.spec.disruption = { consolidateAfter: "0s", budgets: [{ nodes: "0", schedule: "0 25 * * *", duration: "1h" }] }),
    [`${P}spec.disruption.budgets[0].schedule: "0 25 * * *" is not a valid cron schedule: hour 25 is out of range 0-23`],
  ],
  [
    "budget schedule with six fields",
    (np) => (np.spec.disruption = { consolidateAfter: "0s", budgets: [{ nodes: "0", schedule: "0 0 9 * * 1", duration: "1h" }] }),
    [`${P}spec.disruption.budgets[0].schedule: "0 0 9 * * 1" is not a valid cron schedule: expected 5 fields (minute hour day-of-month month day-of-week), got 6`],
  ],
  [
    "budget schedule with a time zone",
    (np) => (np.spec.disruption = { consolidateAfter: "0s", budgets: [{ nodes: "0", schedule: "CRON_TZ=Europe/Paris 0 9 * * *", duration: "1h" }] }),
    [`${P}spec.disruption.budgets[0].schedule: "CRON_TZ=Europe/Paris 0 9 * * *" is not a valid cron schedule: expected 5 fields (minute hour day-of-month month day-of-week), got 6`],
  ],
  [
    "budget duration in seconds",
    (np) => (np.spec.disruption = { consolidateAfter: "0s", budgets: [{ nodes: "0", schedule: "@daily", duration: "30s" }] }),
    [`${P}spec.disruption.budgets[0].duration: "30s" is not a duration in hours and minutes like 10m, 8h or 1h30m`],
  ],
  ["budget reason Expired", (np) => (np.spec.disruption = { consolidateAfter: "0s", budgets: [{ nodes: "1", reasons: ["Expired"] }] }), [`${P}spec.disruption.budgets[0].reasons[0]: "Expired" is not one of Underutilized, Empty, Drifted`]],
  ["budget reason twice", (np) => (np.spec.disruption = { consolidateAfter: "0s", budgets: [{ nodes: "1", reasons: ["Empty", "Empty"] }] }), [`${P}spec.disruption.budgets[0].reasons[1]: duplicate reason Empty`]],
  ["budgets not a list", (np) => (np.spec.disruption = { consolidateAfter: "0s", budgets: { nodes: "1" } }), [`${P}spec.disruption.budgets: must be a list, got an object`]],
  ["limit that is not a quantity", (np) => (np.spec.limits = { cpu: "lots" }), [`${P}spec.limits.cpu: "lots" is not a quantity (like 100m, 4, 16Gi)`]],
  ["weight 0", (np) => (np.spec.weight = 0), [`${P}spec.weight: 0 is less than the minimum 1`]],
  ["weight 101", (np) => (np.spec.weight = 101), [`${P}spec.weight: 101 is greater than the maximum 100`]],
  ["weight as a string", (np) => (np.spec.weight = "10"), [`${P}spec.weight: must be an integer, got a string "10"`]],
  ["nodepool as a template label", (np) => (np.spec.template.metadata = { labels: { "karpenter.sh/nodepool": "x" } }), [`${P}spec.template.metadata.labels[karpenter.sh/nodepool]: label "karpenter.sh/nodepool" is restricted`]],
  ["hostname as a template label", (np) => (np.spec.template.metadata = { labels: { "kubernetes.io/hostname": "x" } }), [`${P}spec.template.metadata.labels[kubernetes.io/hostname]: label "kubernetes.io/hostname" is restricted`]],
  [
    "template label value with a space",
    (np) => (np.spec.template.metadata = { labels: { team: "web team" } }),
    [`${P}spec.template.metadata.labels.team: "web team" is not a valid label value: must be empty or alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`],
  ],
  ["template label value as a number", (np) => (np.spec.template.metadata = { labels: { tier: 1 } }), [`${P}spec.template.metadata.labels.tier: must be a string, got an integer`]],
  ["v1beta1 kubelet in the template", (np) => (np.spec.template.spec.kubelet = { maxPods: 10 }), [`${P}spec.template.spec.kubelet: unknown field: kubelet moved to the EC2NodeClass (spec.kubelet) in Karpenter v1`]],
  ["v1beta1 expireAfter in disruption", (np) => (np.spec.disruption = { consolidateAfter: "0s", expireAfter: "720h" }), [`${P}spec.disruption.expireAfter: unknown field: expireAfter moved to spec.template.spec.expireAfter in Karpenter v1`]],
  ["misspelt disruption", (np) => (np.spec.disruptions = {}), [`${P}spec.disruptions: unknown field (expected one of template, disruption, limits, weight, replicas)`]],
  ["v1beta1 apiVersion", (np) => (np.apiVersion = "karpenter.sh/v1beta1"), [`${P}apiVersion: "karpenter.sh/v1beta1" is not supported; Karpenter v1 objects use karpenter.sh/v1`]],
  ["wrong apiVersion", (np) => (np.apiVersion = "v1"), [`${P}apiVersion: "v1" must be karpenter.sh/v1`]],
  ["name with uppercase and underscore", (np) => (np.metadata.name = "Web_Pool"), [`NodePool Web_Pool: metadata.name: "Web_Pool" must be a lowercase DNS subdomain (a-z, 0-9, '-', '.'; at most 253 characters)`]],
  ["no name", (np) => delete np.metadata.name, [`NodePool (unnamed): metadata.name: is required`]],
  ["no spec", (np) => delete np.spec, [`${P}spec: is required`]],
  ["no template", (np) => delete np.spec.template, [`${P}spec.template: is required`]],
  ["static NodePool with a cpu limit", (np) => Object.assign(np.spec, { replicas: 3, limits: { cpu: "10" } }), [`${P}spec.limits: only 'limits.nodes' is supported on static NodePools`]],
  ["static NodePool with a weight", (np) => Object.assign(np.spec, { replicas: 3, weight: 5 }), [`${P}spec.weight: 'weight' is not supported on static NodePools`]],
  ["negative replicas", (np) => (np.spec.replicas = -1), [`${P}spec.replicas: -1 is less than the minimum 0`]],
];
