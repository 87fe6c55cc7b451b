/**
 * A Karpenter-shaped workload: pods shaped like those of Karpenter's scheduling benchmark
 * (`makeDiversePods`), written from its description, not its code. Five kinds in equal parts
 * (generic, zonal topology spread, hostname topology spread, zonal self-affinity, hostname
 * anti-affinity), cpu requests from {100m, 250m, 500m, 1, 1.5} and memory from {100Mi, 256Mi,
 * 512Mi, 1Gi, 2Gi, 4Gi}, label values from a..g. As in Karpenter's test pods, every pod spec is
 * unique: each container gets a random name, and each pod carries `testing/cluster: unspecified`.
 * Seeded, so a size always produces the same pods.
 *
 * `writeCliInput` writes the same workload as `tenon simulate` input (a NodePool, an EC2NodeClass,
 * the pods as one JSON `kind: List`, and the 400 synthetic instance types as a catalog), so the
 * whole CLI can be timed on it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Pod } from "../lib/api/kubernetes.ts";
import { toCatalogEntry } from "../lib/cli/catalog-format.ts";
import type { SchedulingInput } from "../lib/scheduling/types.ts";
import { inputFor, prng, syntheticInstanceTypes, ZONES } from "./workload.ts";

const CPU = ["100m", "250m", "500m", "1000m", "1500m"];
const MEMORY = ["100Mi", "256Mi", "512Mi", "1024Mi", "2048Mi", "4096Mi"];
const LABEL_VALUES = ["a", "b", "c", "d", "e", "f", "g"];
const ZONE_KEY = "topology.kubernetes.io/zone";
const HOST_KEY = "kubernetes.io/hostname";

/**
 * `distinctRequests`: every pod's cpu and memory differ too (cpu any millicore value in
 * 100m..1500m, memory any MiB in 100Mi..4096Mi), so no two pods share a scheduling group.
 */
export function karpenterShapedPods(count: number, seed = 3, distinctRequests = false): Pod[] {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const requests = distinctRequests
    ? (i: number) => ({ cpu: `${100 + ((i * 7919 + Math.floor(random() * 1400)) % 1401)}m`, memory: `${100 + Math.floor(random() * 3997)}Mi` })
    : () => ({ cpu: pick(CPU), memory: pick(MEMORY) });
  const token = () => Math.floor(random() * 36 ** 8).toString(36).padStart(8, "0");
  const fifth = Math.floor(count / 5);
  const kinds = ["generic", "zonal-spread", "hostname-spread", "zonal-affinity", "hostname-anti-affinity"] as const;
  const pods: Pod[] = [];
  const make = (kind: (typeof kinds)[number], i: number): Pod => {
    const labels: Record<string, string> = kind === "zonal-affinity" ? { "my-affinity": pick(LABEL_VALUES) } : kind === "hostname-anti-affinity" ? { app: "nginx" } : { "my-label": pick(LABEL_VALUES) };
    const pod: Pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `${kind}-${i}-${token()}`, namespace: "default", labels: { ...labels, "testing/cluster": "unspecified" } },
      spec: { containers: [{ name: token(), image: "public.ecr.aws/eks-distro/kubernetes/pause:3.2", resources: { requests: requests(pods.length) } }] },
    };
    if (kind === "zonal-spread" || kind === "hostname-spread") {
      const topologyKey = kind === "zonal-spread" ? ZONE_KEY : HOST_KEY;
      pod.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { "my-label": pick(LABEL_VALUES) } } }];
    } else if (kind === "zonal-affinity") {
      pod.spec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE_KEY, labelSelector: { matchLabels: labels } }] } };
    } else if (kind === "hostname-anti-affinity") {
      pod.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOST_KEY, labelSelector: { matchLabels: labels } }] } };
    }
    return pod;
  };
  for (const kind of kinds) for (let i = 0; i < fifth; i++) pods.push(make(kind, i));
  for (let i = 0; pods.length < count; i++) pods.push(make("generic", fifth + i));
  return pods;
}

export function karpenterShapedInput(podCount: number, instanceTypes = syntheticInstanceTypes()): SchedulingInput {
  return inputFor(karpenterShapedPods(podCount), instanceTypes);
}

/** The same workload with every pod's requests distinct as well (issue 12's "every pod's requests differ"). */
export function distinctRequestsInput(podCount: number, instanceTypes = syntheticInstanceTypes()): SchedulingInput {
  return inputFor(karpenterShapedPods(podCount, 3, true), instanceTypes);
}

/** Writes `<dir>/input/{cluster.yaml,pods.json}` and `<dir>/catalog.json`; returns the `tenon simulate` arguments. */
export function writeCliInput(dir: string, podCount: number): string[] {
  const input = join(dir, "input");
  mkdirSync(input, { recursive: true });
  writeFileSync(
    join(input, "cluster.yaml"),
    [
      "apiVersion: karpenter.sh/v1",
      "kind: NodePool",
      "metadata: {name: default}",
      "spec:",
      "  template:",
      "    spec:",
      "      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}",
      "      requirements: []",
      "---",
      "apiVersion: karpenter.k8s.aws/v1",
      "kind: EC2NodeClass",
      "metadata: {name: default}",
      "spec:",
      "  role: KarpenterNodeRole",
      "  amiSelectorTerms: [{alias: al2023@latest}]",
      "  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: bench}}]",
      "  securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: bench}}]",
      "status:",
      `  subnets: [${ZONES.map((z, i) => `{id: subnet-${i}, zone: ${z}}`).join(", ")}]`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(input, "pods.json"), JSON.stringify({ apiVersion: "v1", kind: "List", items: karpenterShapedPods(podCount) }));
  const catalog = join(dir, "catalog.json");
  writeFileSync(catalog, JSON.stringify(syntheticInstanceTypes().map(toCatalogEntry)));
  return ["simulate", "-f", input, "--instance-types", catalog];
}
