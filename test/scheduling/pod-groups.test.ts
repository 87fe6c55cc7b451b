/**
 * Pending pods are grouped by what scheduling reads of them, so pods that differ only in what it
 * doesn't read (Karpenter's test pods each get a random container name) have their constraints
 * worked out once, and pods that differ in anything it reads never share that work.
 */
import { describe, expect, it } from "vitest";
import type { Pod } from "../../lib/api/kubernetes.ts";
import { groupPods } from "../../lib/scheduling/pod-groups.ts";
import { VolumeIndex } from "../../lib/scheduling/volume-topology.ts";

const NO_VOLUMES = new VolumeIndex({ claims: [], volumes: [], storageClasses: [] });

function pod(name: string, change: (p: Pod) => void = () => {}): Pod {
  const p: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "web", labels: { app: "web" } },
    spec: { containers: [{ name: "app", image: "web:1", resources: { requests: { cpu: "500m", memory: "1Gi" } } }] },
  };
  change(p);
  return p;
}

const zonal = { key: "topology.kubernetes.io/zone", operator: "In" as const, values: ["us-east-1a"] };

describe("groupPods", () => {
  it("puts pods that differ only in container names, images, env, commands and pod names in one group", () => {
    const pods = Array.from({ length: 40 }, (_, i) =>
      pod(`p-${i}`, (p) => {
        const c = p.spec.containers[0]!;
        c.name = `c-${i}-${(i * 7919).toString(36)}`;
        c.image = `web:${i}`;
        // Fields the model doesn't name still arrive on real input objects.
        Object.assign(c, { env: [{ name: "N", value: String(i) }], command: ["serve", `--id=${i}`] });
      }),
    );
    const { groups, groupOf } = groupPods(pods, NO_VOLUMES);
    expect(groups).toHaveLength(1);
    expect(new Set(groupOf)).toEqual(new Set(groups));
  });

  it("groups by requests as the scheduler computes them, not as the containers spell them", () => {
    const one = pod("one");
    const split = pod("split", (p) => {
      p.spec.containers = [
        { name: "a", resources: { requests: { cpu: "200m", memory: "512Mi" } } },
        { name: "b", resources: { requests: { cpu: "0.3", memory: "512Mi" } } },
      ];
    });
    expect(groupPods([one, split], NO_VOLUMES).groups).toHaveLength(1);
  });

  it("keeps apart pods that differ in anything scheduling reads", () => {
    const variants: Array<[string, (p: Pod) => void]> = [
      ["namespace", (p) => (p.metadata.namespace = "other")],
      ["labels", (p) => (p.metadata.labels = { app: "web", tier: "front" })],
      ["requests", (p) => (p.spec.containers[0]!.resources = { requests: { cpu: "501m", memory: "1Gi" } })],
      ["init container requests", (p) => (p.spec.initContainers = [{ name: "init", resources: { requests: { cpu: "2" } } }])],
      ["pod overhead", (p) => (p.spec.overhead = { cpu: "100m" })],
      ["host ports", (p) => (p.spec.containers[0]!.ports = [{ containerPort: 80, hostPort: 80 }])],
      ["node selector", (p) => (p.spec.nodeSelector = { "kubernetes.io/arch": "arm64" })],
      ["node affinity", (p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [zonal] }] } } })],
      ["pod anti-affinity", (p) => (p.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "web" } } }] } })],
      ["tolerations", (p) => (p.spec.tolerations = [{ key: "gpu", operator: "Exists", effect: "NoSchedule" }])],
      ["topology spread", (p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } } }])],
      ["volumes", (p) => (p.spec.volumes = [{ name: "data", persistentVolumeClaim: { claimName: "data" } }])],
      ["priority", (p) => (p.spec.priority = 1000)],
    ];
    const pods = [pod("base"), ...variants.map(([name, change]) => pod(name, change))];
    const { groups, groupOf } = groupPods(pods, NO_VOLUMES);
    expect(groups).toHaveLength(pods.length);
    expect(groupOf.map((g) => g.rep.metadata.name)).toEqual(pods.map((p) => p.metadata.name));
  });

  it("keeps pods with generic ephemeral volumes, and pods whose quantities don't parse, each to itself", () => {
    const ephemeral = (name: string) => pod(name, (p) => (p.spec.volumes = [{ name: "scratch", ephemeral: { volumeClaimTemplate: { spec: { storageClassName: "gp3" } } } }]));
    const broken = (name: string, cpu: string) => pod(name, (p) => (p.spec.containers[0]!.resources = { requests: { cpu } }));
    const gp3 = new VolumeIndex({ claims: [], volumes: [], storageClasses: [{ metadata: { name: "gp3" }, provisioner: "ebs.csi.aws.com" }] });
    const { groups } = groupPods([ephemeral("e1"), ephemeral("e2"), broken("b1", "lots"), broken("b2", "heaps")], gp3);
    expect(groups.map((g) => [g.rep.metadata.name, g.error?.replace(/:.*/, "") ?? "ok"])).toEqual([
      ["e1", "ok"],
      ["e2", "ok"],
      ["b1", "invalid resource quantity"],
      ["b2", "invalid resource quantity"],
    ]);
  });

  it("ranks pods by namespace, labels and whole spec in order of first appearance, as the groups were numbered before", () => {
    const renamed = (name: string, container: string) => pod(name, (p) => (p.spec.containers[0]!.name = container));
    const { specRank, groups } = groupPods([renamed("a", "x"), renamed("b", "y"), renamed("c", "x"), pod("d", (p) => (p.metadata.labels = {}))], NO_VOLUMES);
    expect(groups).toHaveLength(2);
    expect(specRank).toEqual([0, 1, 0, 2]);
  });
});
