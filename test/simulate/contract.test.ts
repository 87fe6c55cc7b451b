/**
 * The simulate contract, through the CLI: output shape and field names, accounting of pending pods,
 * the input semantics (DaemonSet and terminating pods, workloads, NodeClaim/Node matching,
 * uninitialized nodes, volumes), exit codes and determinism.
 */
import { describe, expect, it } from "vitest";
import { CATALOG, docs, NODEPOOL, podYaml, tenon, workdir } from "./support.ts";

const CLAIM_KEYS = ["name", "nodePool", "instanceTypes", "requirements", "labels", "taints", "pods", "launch"];

interface Output {
  nodeClaims: Array<{
    name: string;
    nodePool: string;
    instanceTypes: string[];
    requirements: Array<{ key: string; operator: string; values?: string[] }>;
    labels: Record<string, string>;
    taints: unknown[];
    pods: string[];
    launch: { instanceType: string; zone: string; capacityType: string; price: number } | null;
  }>;
  existingNodes: Array<{ name: string; pods: string[] }>;
  unschedulable: Array<{ pod: string; reason: string }>;
  summary: { pods: number; scheduled: number; newNodeClaims: number; pricePerHour: number };
}

async function simulate(input: string, extraArgs: string[] = []): Promise<{ output: Output; err: string; out: string }> {
  const dir = workdir({ "input.yaml": input, "catalog.json": CATALOG });
  const run = await tenon(["simulate", "-f", "input.yaml", "--instance-types", "catalog.json", "-o", "json", ...extraArgs], dir);
  expect(run.err.split("\n").filter((l) => l && !l.startsWith("note: "))).toEqual([]);
  expect(run.code).toBe(0);
  return { output: JSON.parse(run.out) as Output, err: run.err, out: run.out };
}

function placements(output: Output): string[] {
  return [...output.nodeClaims.flatMap((c) => c.pods), ...output.existingNodes.flatMap((n) => n.pods), ...output.unschedulable.map((u) => u.pod)].sort();
}

describe("simulate -o json: the output document", () => {
  it("has exactly the contract's fields, in order, and names claims <nodepool>-<n>", async () => {
    const { output } = await simulate(docs(NODEPOOL, podYaml("a", "1"), podYaml("b", "1500m"), podYaml("c", "500m")));
    expect(Object.keys(output)).toEqual(["nodeClaims", "existingNodes", "unschedulable", "summary"]);
    expect(Object.keys(output.summary)).toEqual(["pods", "scheduled", "newNodeClaims", "pricePerHour"]);
    expect(output.nodeClaims.length).toBeGreaterThan(0);
    output.nodeClaims.forEach((claim, i) => {
      expect(Object.keys(claim)).toEqual(CLAIM_KEYS);
      expect(claim.name).toBe(`default-${i + 1}`);
      expect(claim.nodePool).toBe("default");
      expect(Object.keys(claim.launch!)).toEqual(["instanceType", "zone", "capacityType", "price"]);
      expect(claim.instanceTypes).toContain(claim.launch!.instanceType);
      for (const r of claim.requirements) expect(Object.keys(r).slice(0, 2)).toEqual(["key", "operator"]);
      expect(claim.labels["karpenter.sh/nodepool"]).toBe("default");
    });
    expect(output.summary.pods).toBe(3);
    expect(output.summary.scheduled).toBe(3);
    expect(output.summary.newNodeClaims).toBe(output.nodeClaims.length);
    expect(placements(output)).toEqual(["default/a", "default/b", "default/c"]);
  });

  it("launches the cheapest allowed offering and sums prices without float noise", async () => {
    // Three pods that must each have their own node: 3 x $0.1 must print as 0.3.
    const anti = `
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - topologyKey: kubernetes.io/hostname
          labelSelector: {matchLabels: {app: solo}}`;
    const labels = "  labels: {app: solo}";
    const { output } = await simulate(docs(NODEPOOL, podYaml("s0", "500m", anti, labels), podYaml("s1", "500m", anti, labels), podYaml("s2", "500m", anti, labels)));
    expect(output.nodeClaims).toHaveLength(3);
    for (const claim of output.nodeClaims) {
      expect(claim.launch).toEqual({ instanceType: "small", zone: "zone-a", capacityType: "on-demand", price: 0.1 });
    }
    expect(output.summary.pricePerHour).toBe(0.3);
  });

  it("uses the --instance-types catalog: its allocatable (capacity - overhead), labels and spot offerings", async () => {
    const spotPool = NODEPOOL.replace('values: ["on-demand"]', 'values: ["spot", "on-demand"]');
    const { output } = await simulate(docs(spotPool, podYaml("big", "1950m")));
    // 1950m does not fit small (2 cpu - 100m overhead); large's only available spot offering is zone-a.
    expect(output.nodeClaims[0]!.instanceTypes).toEqual(["large"]);
    expect(output.nodeClaims[0]!.launch).toEqual({ instanceType: "large", zone: "zone-a", capacityType: "spot", price: 0.15 });
    const { output: selected } = await simulate(docs(NODEPOOL, podYaml("sel", "100m", "  nodeSelector: {example.com/size: large}")));
    expect(selected.nodeClaims[0]!.launch!.instanceType).toBe("large");
  });

  it("counts init containers, sidecars and pod-level resources as Kubernetes does", async () => {
    // small allocates 1900m cpu; each of these pods needs more, so only large can host it.
    const init = podYaml("init", "100m", "  initContainers: [{name: migrate, resources: {requests: {cpu: 1950m}}}]");
    const sidecar = podYaml("sidecar", "1", "  initContainers: [{name: proxy, restartPolicy: Always, resources: {requests: {cpu: 1}}}]");
    const podLevel = podYaml("pod-level", "100m", '  resources: {requests: {cpu: "3"}}');
    const fits = podYaml("fits", "100m", "  initContainers: [{name: migrate, resources: {requests: {cpu: 1800m}}}]");
    const { output } = await simulate(docs(NODEPOOL, init, sidecar, podLevel, fits));
    const typesOf = (pod: string) => output.nodeClaims.find((c) => c.pods.includes(pod))!.instanceTypes;
    for (const pod of ["default/init", "default/sidecar", "default/pod-level"]) expect(typesOf(pod)).toEqual(["large"]);
    expect(output.summary.scheduled).toBe(4);
  });

  it("is byte-identical on repeated runs", async () => {
    const input = docs(NODEPOOL, ...Array.from({ length: 12 }, (_, i) => podYaml(`p${i}`, `${(i % 4) * 300 + 200}m`)));
    const first = await simulate(input);
    const second = await simulate(input);
    expect(second.out).toBe(first.out);
  });

  it("prints a human table with claims, placements, reasons, the total and catalog notes", async () => {
    const dir = workdir({
      "input.yaml": docs(NODEPOOL, podYaml("fits", "1"), podYaml("huge", "1000")),
    });
    const run = await tenon(["simulate", "-f", "input.yaml", "-o", "table"], dir);
    expect(run.code).toBe(0);
    expect(run.out).toContain("New NodeClaims (1)");
    expect(run.out).toMatch(/default-1\s+default\s+\S+\s+us-east-1\w\s+on-demand\s+\$\d+\.\d{4}\s+1/);
    expect(run.out).toContain("Unschedulable pods (1)");
    expect(run.out).toContain("default/huge");
    expect(run.out).toMatch(/Summary: 2 pending pods: 1 scheduled .* 1 unschedulable; 1 new NodeClaim costing \$\d+\.\d{4}\/hour\./);
    expect(run.out).toContain("spot offerings are priced at the on-demand price");
    // What the prices are, right under them, not only in the notes.
    expect(run.out).toMatch(/\$\/HOUR\s+PODS[^]*\n\$\/HOUR: offline catalog, us-east-1 on-demand list prices, Linux \(Windows plus its licence\); spot priced at on-demand \(no spot prices offline\); EBS volumes counted\n/);
  });

  it("says under the table when prices are another region's, and when they come from the user's catalog", async () => {
    const dir = workdir({ "input.yaml": docs(NODEPOOL, podYaml("fits", "1")), "catalog.json": CATALOG });
    const elsewhere = await tenon(["simulate", "-f", "input.yaml", "-o", "table", "--region", "eu-west-1"], dir);
    expect(elsewhere.out).toContain("$/HOUR: offline catalog, us-east-1 on-demand list prices, used for eu-west-1, Linux");
    const given = await tenon(["simulate", "-f", "input.yaml", "-o", "table", "--instance-types", "catalog.json"], dir);
    expect(given.out).toContain("$/HOUR: as given in the --instance-types catalog");
  });
});

describe("simulate: output format and streams", () => {
  it("prints a table by default on a terminal and JSON otherwise; notes go to stderr with JSON", async () => {
    const dir = workdir({ "input.yaml": docs(NODEPOOL, podYaml("p", "1")) });
    const onTerminal = await tenon(["simulate", "-f", "input.yaml"], dir, "", true);
    expect(onTerminal.out).toContain("New NodeClaims (1)");
    expect(onTerminal.err).toBe("");
    const piped = await tenon(["simulate", "-f", "input.yaml"], dir);
    expect(JSON.parse(piped.out).summary.pods).toBe(1);
    expect(piped.err).toMatch(/^note: .*spot/m);
    expect(piped.err.split("\n").filter(Boolean).every((line) => line.startsWith("note: "))).toBe(true);
  });
});

describe("simulate: the bundled catalog", () => {
  it("sizes instance types with the kubelet settings of the EC2NodeClass a NodePool references", async () => {
    const pool = (nodeClass: string) => `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: ${nodeClass}}
spec:
  template:
    metadata: {labels: {pool: ${nodeClass}}}
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: ${nodeClass}}
      requirements:
        - {key: node.kubernetes.io/instance-type, operator: In, values: ["m5.large"]}
        - {key: karpenter.sh/capacity-type, operator: In, values: ["on-demand"]}`;
    const nodeClass = `
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: few-pods}
spec:
  role: NodeRole
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {k: v}}]
  securityGroupSelectorTerms: [{tags: {k: v}}]
  kubelet: {maxPods: 3}`;
    const pods = (poolName: string) => [0, 1, 2, 3, 4].map((i) => podYaml(`${poolName}-${i}`, "10m", `  nodeSelector: {pool: ${poolName}}`));
    const dir = workdir({ "input.yaml": docs(pool("few-pods"), nodeClass, pool("default-class"), ...pods("few-pods"), ...pods("default-class")) });
    const run = await tenon(["simulate", "-f", "input.yaml", "-o", "json"], dir);
    expect(run.code).toBe(0);
    const output = JSON.parse(run.out) as Output;
    const claimsOf = (name: string) => output.nodeClaims.filter((c) => c.nodePool === name);
    expect(claimsOf("few-pods").map((c) => c.pods.length)).toEqual([3, 2]); // maxPods 3 per m5.large
    expect(claimsOf("default-class").map((c) => c.pods.length)).toEqual([5]); // m5.large takes 29 pods by default
    expect(run.err).toContain("EC2NodeClass default-class is not in the input");
  });
});

describe("simulate: which pods are pending", () => {
  it("ignores DaemonSet-owned and terminating pods, and places every other pending pod exactly once", async () => {
    const dsOwned = "  ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent}]";
    const deleting = '  deletionTimestamp: "2026-01-01T00:00:00Z"';
    const { output } = await simulate(docs(NODEPOOL, podYaml("ds-pod", "1", "", dsOwned), podYaml("leaving", "1", "", deleting), podYaml("real", "1"), podYaml("huge", "100")));
    expect(placements(output)).toEqual(["default/huge", "default/real"]);
    expect(output.summary.pods).toBe(2);
  });

  it("expands workloads into <name>-<i> pods: replicas and parallelism, default 1", async () => {
    const template = `
  template:
    metadata: {labels: {app: x}}
    spec:
      containers: [{name: c, resources: {requests: {cpu: 100m}}}]`;
    const input = docs(
      NODEPOOL,
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 3\n${template}`,
      `apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs}\nspec:\n${template}`,
      `apiVersion: batch/v1\nkind: Job\nmetadata: {name: job}\nspec:\n  parallelism: 2\n${template}`,
      `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  replicas: 2\n${template}\n  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}`,
    );
    const { output } = await simulate(input);
    expect(placements(output)).toEqual(["default/db-0", "default/db-1", "default/job-0", "default/job-1", "default/rs-0", "shop/web-0", "shop/web-1", "shop/web-2"]);
    // The StatefulSet's claims data-db-<i> were created, so its pods are not held back by a missing claim.
    expect(output.unschedulable).toEqual([]);
  });

  it("accepts a NodePool whose requirements contradict each other: it simply fits no pod", async () => {
    const contradiction = NODEPOOL.replace(
      '- {key: karpenter.sh/capacity-type, operator: In, values: ["on-demand"]}',
      '- {key: kubernetes.io/arch, operator: In, values: ["amd64"]}\n        - {key: kubernetes.io/arch, operator: NotIn, values: ["amd64"]}',
    );
    const { output } = await simulate(docs(contradiction, podYaml("p", "100m")));
    expect(output.unschedulable.map((u) => u.pod)).toEqual(["default/p"]);
    expect(output.unschedulable[0]!.reason).toContain("NodePool default");
  });

  it("creates the claim of a generic ephemeral volume, so its StorageClass's zones pin the pod", async () => {
    const storageClass = `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: only-b}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [zone-b]}]}]`;
    const volume = "  volumes: [{name: scratch, ephemeral: {volumeClaimTemplate: {spec: {storageClassName: only-b, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}}}]";
    const { output } = await simulate(docs(NODEPOOL, storageClass, podYaml("eph", "100m", volume)));
    expect(output.nodeClaims).toHaveLength(1);
    expect(output.nodeClaims[0]!.launch!.zone).toBe("zone-b");
  });

  it("treats beta label keys as their stable keys", async () => {
    const node = `
apiVersion: v1
kind: Node
metadata:
  name: old-node
  labels: {beta.kubernetes.io/arch: amd64, failure-domain.beta.kubernetes.io/zone: zone-b, kubernetes.io/os: linux}
spec: {}
status: {allocatable: {cpu: "4", memory: 8Gi, pods: "20"}}`;
    const onOld = podYaml("zonal", "100m", "  nodeSelector: {topology.kubernetes.io/zone: zone-b, kubernetes.io/arch: amd64}");
    const betaSelector = podYaml("beta", "5", "  nodeSelector: {beta.kubernetes.io/arch: amd64}");
    const { output } = await simulate(docs(NODEPOOL, node, onOld, betaSelector));
    expect(output.existingNodes).toEqual([{ name: "old-node", pods: ["default/zonal"] }]);
    expect(output.nodeClaims.flatMap((c) => c.pods)).toEqual(["default/beta"]);
  });

  it("reports pods whose claims the kube-scheduler would refuse unschedulable, saying why, and launches nothing for them", async () => {
    const claim = (name: string, extra: string) => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}, namespace: default${extra}}
spec: {volumeName: pv-1}`;
    const pv = `
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-1}
spec:
  csi: {driver: ebs.csi.aws.com, volumeHandle: vol-1}
  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [zone-a]}]}, {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [zone-b]}]}]}}`;
    const uses = (c: string) => `  volumes: [{name: data, persistentVolumeClaim: {claimName: ${c}}}]`;
    const { output } = await simulate(
      docs(NODEPOOL, pv, claim("going", ", deletionTimestamp: 2026-01-01T00:00:00Z, annotations: {pv.kubernetes.io/bind-completed: yes}"), claim("binding", ""),
        claim("bound", ", annotations: {pv.kubernetes.io/bind-completed: yes}"), podYaml("a", "100m", uses("going")), podYaml("b", "100m", uses("binding")), podYaml("c", "100m", uses("bound"))),
    );
    expect(output.unschedulable).toEqual([
      { pod: "default/a", reason: "PersistentVolumeClaim default/going is being deleted" },
      { pod: "default/b", reason: "PersistentVolumeClaim default/binding names PersistentVolume pv-1 but is not bound yet (no pv.kubernetes.io/bind-completed annotation)" },
    ]);
    expect(output.nodeClaims.map((c) => c.pods)).toEqual([["default/c"]]);
    // The volume's two node-affinity terms are two zones the claim may launch in.
    expect(output.nodeClaims[0]!.requirements.find((r) => r.key === "topology.kubernetes.io/zone")?.values).toEqual(["zone-a", "zone-b"]);
  });

  it("accepts NodePool labels and requirements in the kubernetes.io and k8s.io domains, and pods select them (Karpenter 1.9+)", async () => {
    const pool = `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  template:
    metadata: {labels: {team.kubernetes.io/owner: ml}}
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - {key: karpenter.sh/capacity-type, operator: In, values: ["on-demand"]}
        - {key: lane.k8s.io/class, operator: In, values: ["fast", "slow"]}`;
    const { output } = await simulate(docs(pool, podYaml("ml", "100m", "  nodeSelector: {team.kubernetes.io/owner: ml, lane.k8s.io/class: fast}")));
    expect(output.unschedulable).toEqual([]);
    expect(output.nodeClaims[0]!.labels).toMatchObject({ "team.kubernetes.io/owner": "ml", "lane.k8s.io/class": "fast" });
  });

  it("reports a pod whose PVC is missing as unschedulable, naming the claim", async () => {
    const volume = "  volumes: [{name: data, persistentVolumeClaim: {claimName: nowhere}}]";
    const { output } = await simulate(docs(NODEPOOL, podYaml("needs-pvc", "100m", volume)));
    expect(output.unschedulable).toHaveLength(1);
    expect(output.unschedulable[0]!.pod).toBe("default/needs-pvc");
    expect(output.unschedulable[0]!.reason).toContain("nowhere");
  });
});

describe("simulate: existing capacity", () => {
  const node = (name: string, labels: string, taints = "[]") => `
apiVersion: v1
kind: Node
metadata:
  name: ${name}
  labels: {${labels}}
spec:
  providerID: aws:///zone-a/i-${name}
  taints: ${taints}
status:
  allocatable: {cpu: "4", memory: 8Gi, pods: "20"}`;
  const nodeClaim = (name: string, providerID: string, startupTaints = "[]") => `
apiVersion: karpenter.sh/v1
kind: NodeClaim
metadata: {name: ${name}, labels: {karpenter.sh/nodepool: default}}
spec:
  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  startupTaints: ${startupTaints}
  requirements:
    - {key: node.kubernetes.io/instance-type, operator: In, values: ["large"]}
    - {key: topology.kubernetes.io/zone, operator: In, values: ["zone-a"]}
status:
  providerID: ${providerID}
  allocatable: {cpu: "4", memory: 8Gi, pods: "20"}`;
  const base = "kubernetes.io/arch: amd64, kubernetes.io/os: linux, topology.kubernetes.io/zone: zone-a, karpenter.sh/nodepool: default, karpenter.sh/capacity-type: on-demand";

  it("names capacity by the Node when a NodeClaim has the same provider ID, and by the NodeClaim when it has no Node", async () => {
    const { output } = await simulate(
      docs(NODEPOOL, node("ip-1", `${base}, karpenter.sh/initialized: "true"`), nodeClaim("default-aaaaa", "aws:///zone-a/i-ip-1"), nodeClaim("default-bbbbb", "aws:///zone-a/i-elsewhere"), podYaml("p1", "3"), podYaml("p2", "3")),
    );
    expect(output.nodeClaims).toEqual([]);
    expect(output.existingNodes.map((n) => n.name).sort()).toEqual(["default-bbbbb", "ip-1"]);
  });

  it("lets pods land on an uninitialized node despite startup and not-ready taints, but not on an initialized one", async () => {
    const taints = "[{key: example.com/booting, effect: NoSchedule}, {key: node.kubernetes.io/not-ready, effect: NoSchedule}]";
    const startup = "[{key: example.com/booting, effect: NoSchedule}]";
    const booting = await simulate(docs(NODEPOOL, node("ip-2", base, taints), nodeClaim("default-ccccc", "aws:///zone-a/i-ip-2", startup), podYaml("p", "1")));
    expect(booting.output.existingNodes).toEqual([{ name: "ip-2", pods: ["default/p"] }]);
    const ready = await simulate(docs(NODEPOOL, node("ip-2", `${base}, karpenter.sh/initialized: "true"`, taints), nodeClaim("default-ccccc", "aws:///zone-a/i-ip-2", startup), podYaml("p", "1")));
    expect(ready.output.existingNodes).toEqual([]);
    expect(ready.output.nodeClaims).toHaveLength(1);
  });

  it("owes the DaemonSet's requests, once, on an in-flight NodeClaim that has no DaemonSet pod yet", async () => {
    const ds = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  template:
    spec:
      containers: [{name: agent, resources: {requests: {cpu: "1"}}}]`;
    // 4 cpu - 1 cpu owed leaves room for two 1.2-cpu pods (three without the DaemonSet, one if counted twice).
    const pods = [0, 1, 2].map((i) => podYaml(`w${i}`, "1200m"));
    const { output } = await simulate(docs(NODEPOOL, nodeClaim("default-inflight", "aws:///zone-a/i-nowhere"), ds, ...pods));
    expect(output.existingNodes).toHaveLength(1);
    expect(output.existingNodes[0]!.name).toBe("default-inflight");
    expect(output.existingNodes[0]!.pods).toHaveLength(2);
    expect(output.nodeClaims.flatMap((c) => c.pods)).toHaveLength(1);
  });

  it("counts bound pods against a node's capacity", async () => {
    const bound = podYaml("running", "3500m", "  nodeName: ip-3");
    const { output } = await simulate(docs(NODEPOOL, node("ip-3", `${base}, karpenter.sh/initialized: "true"`), bound, podYaml("small", "400m"), podYaml("big", "1")));
    expect(output.existingNodes).toEqual([{ name: "ip-3", pods: ["default/small"] }]);
    expect(output.nodeClaims.flatMap((c) => c.pods)).toEqual(["default/big"]);
  });
});

describe("simulate: bad input exits 2 with one line per problem", () => {
  async function fails(files: Record<string, string>, args: string[], format = ["-o", "json"]): Promise<string[]> {
    const run = await tenon(["simulate", ...args, ...format], workdir(files));
    expect(run.code).toBe(2);
    expect(run.out).toBe("");
    expect(run.err).not.toMatch(/\n\s+at /); // no stack trace
    return run.err.split("\n").filter(Boolean);
  }

  it("makes no claim from a static NodePool (spec.replicas) and says so in one note naming it", async () => {
    const fixed = NODEPOOL.replace("name: default", "name: fixed").replace("spec:\n  template:", "spec:\n  replicas: 2\n  template:");
    const { output, err } = await simulate(docs(fixed, podYaml("a", "1"), podYaml("b", "1"), podYaml("c", "1")));
    expect(output.nodeClaims).toEqual([]);
    expect(output.unschedulable.map((u) => u.reason)).toEqual(Array(3).fill("NodePool fixed is static (spec.replicas): not provisioned for pending pods"));
    const notes = err.split("\n").filter((l) => l.includes("static"));
    expect(notes).toEqual(["note: NodePool fixed is static (spec.replicas: 2): Tenon does not provision pending pods from it; its existing nodes still count as capacity"]);
  });

  it("reports a pod with DRA resourceClaims unschedulable, saying why, and launches nothing for it", async () => {
    const { output } = await simulate(docs(NODEPOOL, podYaml("gpu", "1", "  resourceClaims:\n    - {name: gpu, resourceClaimTemplateName: single-gpu}")));
    expect(output.nodeClaims).toEqual([]);
    expect(output.unschedulable).toEqual([{ pod: "default/gpu", reason: expect.stringContaining("Dynamic Resource Allocation requirements (spec.resourceClaims)") }]);
  });

  it("skips kinds it does not model (helm template output) with one short note, and still places the pods", async () => {
    const dir = workdir({ "in.yaml": docs(NODEPOOL, podYaml("a", "1"), "apiVersion: v1\nkind: Service\nmetadata: {name: web}", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}"), "catalog.json": CATALOG });
    const run = await tenon(["simulate", "-f", "in.yaml", "--instance-types", "catalog.json", "-o", "json"], dir);
    expect(run.code).toBe(0);
    const skipped = run.err.split("\n").filter((l) => l.startsWith("note: skipped"));
    expect(skipped).toEqual(["note: skipped 1 Service, 1 ConfigMap, 1 Widget: kinds that do not affect scheduling here"]);
    expect(run.err).not.toContain("PersistentVolumeClaim"); // no list of understood kinds
    expect((JSON.parse(run.out) as Output).summary.scheduled).toBe(1);
  });

  it("rejects a malformed quantity, naming the pod and field", async () => {
    const lines = await fails({ "in.yaml": docs(NODEPOOL, podYaml("typo", "1 core")) }, ["-f", "in.yaml"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("Pod default/typo");
    expect(lines[0]).toContain("spec.containers[0].resources.requests.cpu");
  });

  it("reports every problem, one line each", async () => {
    const lines = await fails({ "in.yaml": docs(podYaml("a", "x"), podYaml("b", "y"), "apiVersion: karpenter.sh/v1beta1\nkind: NodePool\nmetadata: {name: s}") }, ["-f", "in.yaml"]);
    expect(lines).toHaveLength(3);
  });

  it("rejects malformed scheduling constraints instead of guessing", async () => {
    const bad = `
apiVersion: v1
kind: Pod
metadata: {name: odd}
spec:
  tolerations: [{key: k, operator: Sometimes}]
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {a: b}}}]
  volumes: [{name: v, persistentVolumeClaim: {}}]
  containers: [{name: c}]
---
apiVersion: v1
kind: Node
metadata: {name: n}
spec:
  taints: [{key: k}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: zonal}
provisioner: ebs.csi.aws.com
allowedTopologies: [null]`;
    const lines = await fails({ "in.yaml": docs(NODEPOOL, bad) }, ["-f", "in.yaml"]);
    expect(lines).toEqual([
      'error: Pod default/odd: spec.tolerations[0].operator: "Sometimes" is not one of Exists, Equal',
      "error: Pod default/odd: spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: is required",
      "error: Pod default/odd: spec.volumes[0].persistentVolumeClaim.claimName: is required",
      "error: Node n: spec.taints[0].effect: is required (one of NoSchedule, PreferNoSchedule, NoExecute)",
      "error: StorageClass zonal: allowedTopologies[0]: must be an object with matchLabelExpressions",
    ]);
  });

  it("rejects an unreadable input file and a missing catalog file", async () => {
    expect((await fails({}, ["-f", "missing.yaml"])).join("\n")).toContain("missing.yaml");
    expect((await fails({ "in.yaml": NODEPOOL }, ["-f", "in.yaml", "--instance-types", "nope.json"])).join("\n")).toContain("nope.json");
  });

  it("rejects an invalid NodePool with its field", async () => {
    const bad = NODEPOOL.replace("operator: In", "operator: Equals");
    const lines = await fails({ "in.yaml": bad }, ["-f", "in.yaml"]);
    expect(lines.join("\n")).toContain("NodePool default");
  });

  it("rejects an unknown output format", async () => {
    const lines = await fails({ "in.yaml": NODEPOOL }, ["-f", "in.yaml"], ["-o", "yaml"]);
    expect(lines.join("\n")).toContain("yaml");
  });
});

describe("simulate: reading input", () => {
  it("reads stdin with -f - and directories, and accepts a v1 List", async () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: from-list}\n    spec: {containers: [{name: c, resources: {requests: {cpu: 100m}}}]}`;
    const dir = workdir({ "pool.yaml": NODEPOOL, "README.md": "not an input" });
    const catalog = `${workdir({ "catalog.json": CATALOG })}/catalog.json`;
    const run = await tenon(["simulate", "-f", ".", "-f", "-", "--instance-types", catalog, "-o", "json"], dir, docs(list, podYaml("from-stdin", "100m")));
    expect(run.code).toBe(0);
    const output = JSON.parse(run.out) as Output;
    expect(placements(output)).toEqual(["default/from-list", "default/from-stdin"]);
  });
});
