/**
 * Inputs for the no-crash property: random documents, example files with random fields replaced,
 * objects of known kinds with random specs, wrong types, huge numbers, deep nesting, empty
 * documents and binary garbage.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parseAllDocuments, stringify } from "yaml";

const EXAMPLES = join(import.meta.dirname, "../../examples");
const RICH = `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  limits: {cpu: "100", nodes: "10"}
  template:
    metadata: {labels: {team: a}}
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - {key: node.kubernetes.io/instance-type, operator: Exists, minValues: 2}
        - {key: karpenter.k8s.aws/instance-cpu, operator: Lt, values: ["33"]}
      taints: [{key: dedicated, value: a, effect: NoSchedule}]
      startupTaints: [{key: agent, effect: NoSchedule}]
---
apiVersion: v1
kind: Pod
metadata:
  name: rich
  namespace: ns
  labels: {app: rich, hash: h1}
  annotations: {a: b}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs}]
spec:
  nodeSelector: {team: a}
  tolerations: [{key: dedicated, operator: Equal, value: a, effect: NoSchedule}, {operator: Exists, tolerationSeconds: 5}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64]}], matchFields: [{key: metadata.name, operator: NotIn, values: [x]}]}]
      preferredDuringSchedulingIgnoredDuringExecution: [{weight: 10, preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}]}}]
    podAffinity:
      preferredDuringSchedulingIgnoredDuringExecution: [{weight: 5, podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: rich}}}}]
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, namespaces: [ns], matchLabelKeys: [hash], labelSelector: {matchExpressions: [{key: app, operator: In, values: [rich]}]}}]
  topologySpreadConstraints:
    - {maxSkew: 1, minDomains: 2, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, nodeAffinityPolicy: Honor, nodeTaintsPolicy: Ignore, matchLabelKeys: [hash], labelSelector: {matchLabels: {app: rich}}}
  overhead: {cpu: 10m}
  resources: {requests: {cpu: 100m}}
  initContainers: [{name: side, restartPolicy: Always, resources: {requests: {cpu: 50m}}}]
  containers:
    - name: app
      ports: [{containerPort: 80, hostPort: 8080, protocol: TCP, hostIP: 0.0.0.0}]
      resources: {requests: {cpu: "1", memory: 1Gi, nvidia.com/gpu: "0"}, limits: {memory: 2Gi}}
  volumes:
    - {name: data, persistentVolumeClaim: {claimName: data}}
    - {name: scratch, ephemeral: {volumeClaimTemplate: {metadata: {labels: {a: b}}, spec: {storageClassName: zonal, resources: {requests: {storage: 1Gi}}}}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: ns}
spec: {volumeName: pv-1, resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-1}
spec:
  capacity: {storage: 1Gi}
  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}]}]}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: zonal, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowedTopologies: [{matchLabelExpressions: [{key: topology.ebs.csi.aws.com/zone, values: [us-east-1a, us-east-1b]}]}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ns}
spec:
  replicas: 2
  volumeClaimTemplates: [{metadata: {name: pd}, spec: {storageClassName: zonal, resources: {requests: {storage: 1Gi}}}}]
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, resources: {requests: {cpu: 500m}}}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: logs, namespace: kube-system}
spec:
  template:
    spec:
      tolerations: [{operator: Exists}]
      containers: [{name: logs, ports: [{containerPort: 9100, hostPort: 9100}], resources: {requests: {cpu: 100m}}}]
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {karpenter.sh/nodepool: default, node.kubernetes.io/instance-type: m5.large, topology.kubernetes.io/zone: us-east-1a}}
spec: {providerID: "aws:///us-east-1a/i-1", taints: [{key: agent, effect: NoSchedule}], unschedulable: false}
status: {capacity: {cpu: "2", memory: 8Gi, pods: "29"}, allocatable: {cpu: 1930m, memory: 7Gi, pods: "29"}}
---
apiVersion: karpenter.sh/v1
kind: NodeClaim
metadata: {name: default-abc, labels: {karpenter.sh/nodepool: default}}
spec:
  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  requirements: [{key: node.kubernetes.io/instance-type, operator: In, values: [m5.large, m5.xlarge]}]
status: {providerID: "aws:///us-east-1a/i-1", capacity: {cpu: "2"}}
---
apiVersion: v1
kind: Pod
metadata: {name: bound, namespace: ns, labels: {app: rich}}
spec: {nodeName: n1, containers: [{name: a, resources: {requests: {cpu: 100m}}}]}
status: {phase: Running}
`;

const exampleDocs: unknown[][] = [
  ...readdirSync(EXAMPLES)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => parseAllDocuments(readFileSync(join(EXAMPLES, f), "utf8")).map((d) => d.toJS())),
  // Every field the simulation reads, so mutations reach them all.
  parseAllDocuments(RICH).map((d) => d.toJS()),
  parseAllDocuments(RICH).map((d) => d.toJS()),
];

// ---- values ---------------------------------------------------------------------------------------

function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

export const hugeNumber = fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, 1e9, 1e6, -1, 0, 0.5, -0.0001, Number.MAX_SAFE_INTEGER);
export const trickyString = fc.constantFrom("", " ", "1e999", "-1", "Infinity", "NaN", "0x10", "1Ei", "99999999999999999Ei", "1.5.5", "In", "DoNotSchedule", "a/b/c", "\u0000", "🙂");
const randomValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hugeNumber,
  trickyString,
  fc.string(),
  fc.constantFrom(null, true, false, [], {}),
  fc.integer({ min: 20, max: 400 }).map((d) => nested(d)),
);

/** Every path to a value in a JSON-like tree, parents before children. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

/** A copy of `root` with the value at `path` replaced (or deleted when `replacement` is undefined). */
function replaced(root: unknown, path: ReadonlyArray<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined && !Array.isArray(parent)) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

/** One example file with 1-3 random fields replaced by random values (or deleted). */
const mutatedExample = fc
  .record({
    file: fc.nat({ max: exampleDocs.length - 1 }),
    edits: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.option(randomValue, { nil: undefined, freq: 6 })), { minLength: 1, maxLength: 3 }),
  })
  .map(({ file, edits }) => {
    const docs = [...exampleDocs[file]!];
    for (const [docPick, pathPick, value] of edits) {
      const d = docPick % docs.length;
      const all = paths(docs[d]);
      docs[d] = replaced(docs[d], all[pathPick % all.length]!, value);
    }
    return docs;
  });

const KINDS = [
  ["karpenter.sh/v1", "NodePool"],
  ["karpenter.sh/v1", "NodeClaim"],
  ["karpenter.k8s.aws/v1", "EC2NodeClass"],
  ["v1", "Pod"],
  ["v1", "Node"],
  ["v1", "PersistentVolumeClaim"],
  ["v1", "PersistentVolume"],
  ["storage.k8s.io/v1", "StorageClass"],
  ["policy/v1", "PodDisruptionBudget"],
  ["apps/v1", "DaemonSet"],
  ["apps/v1", "Deployment"],
  ["apps/v1", "StatefulSet"],
  ["batch/v1", "Job"],
] as const;

/** Objects of a known kind whose spec/status are random: they get past the kind check. */
const kindShaped = fc
  .record({
    kind: fc.constantFrom(...KINDS),
    name: fc.oneof(fc.constant("x"), trickyString, randomValue),
    spec: randomValue,
    status: fc.option(randomValue, { nil: undefined }),
  })
  .map(({ kind, name, spec, status }) => ({ apiVersion: kind[0], kind: kind[1], metadata: { name }, spec, ...(status === undefined ? {} : { status }) }));

function asYaml(docs: unknown[]): string {
  return docs.map((d) => stringify(d, { aliasDuplicateObjects: false })).join("---\n");
}

/** A file's bytes: YAML or JSON text of documents, or something that isn't a document at all. */
export const inputFile: fc.Arbitrary<{ content: string | Uint8Array; ext: string; label: string }> = fc.oneof(
  mutatedExample.map((docs) => ({ content: asYaml(docs), ext: "yaml", label: "mutated example (yaml)" })),
  mutatedExample.map((docs) => ({ content: JSON.stringify({ apiVersion: "v1", kind: "List", items: docs }), ext: "json", label: "mutated example (json List)" })),
  fc.array(kindShaped, { minLength: 1, maxLength: 3 }).map((docs) => ({ content: asYaml(docs), ext: "yaml", label: "kind-shaped" })),
  fc.jsonValue({ maxDepth: 4 }).map((v) => ({ content: JSON.stringify(v), ext: "json", label: "random json" })),
  fc.string({ maxLength: 200 }).map((s) => ({ content: s, ext: "yaml", label: "random text" })),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ content: b, ext: "yaml", label: "binary" })),
  fc.constantFrom("", "---\n---\n", "null", "~", "[]", "{}", "---\n- 1\n").map((s) => ({ content: s, ext: "yaml", label: "empty-ish" })),
  fc.integer({ min: 100, max: 20000 }).map((d) => ({ content: '{"a":['.repeat(d) + "1" + "]}".repeat(d), ext: "json", label: "deep nesting" })),
  fc.integer({ min: 100, max: 20000 }).map((d) => ({ content: `apiVersion: v1\nkind: Pod\nmetadata: {name: deep}\nspec: ${"[".repeat(d)}${"]".repeat(d)}\n`, ext: "yaml", label: "deep nesting (yaml flow)" })),
);

