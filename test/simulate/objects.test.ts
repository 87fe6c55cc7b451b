import { describe, expect, it } from "vitest";
import { inputProblems } from "../support/input-errors.ts";
import type { PersistentVolumeClaim, Pod, Workload } from "../../lib/api/kubernetes.ts";
import { classifyDocuments } from "../../lib/simulate/objects.ts";
import { expandWorkloads } from "../../lib/simulate/workloads.ts";


const pod = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, ...extra }, spec: { containers: [{ name: "c" }] } });

describe("classifyDocuments", () => {
  it("sorts documents by apiVersion and kind", () => {
    const objects = classifyDocuments([
      { source: "a.yaml#1", doc: pod("p") },
      { source: "a.yaml#2", doc: { apiVersion: "v1", kind: "Node", metadata: { name: "n" }, spec: {} } },
      { source: "a.yaml#3", doc: { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "pdb" }, spec: {} } },
      { source: "a.yaml#4", doc: { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "gp3" }, provisioner: "ebs.csi.aws.com" } },
    ]);
    expect([objects.pods.length, objects.nodes.length, objects.podDisruptionBudgets.length, objects.storageClasses.length]).toEqual([1, 1, 1, 1]);
  });

  it("rejects an understood kind in another apiVersion and anything that is not a Kubernetes object, naming the document", () => {
    const lines = inputProblems(() =>
      classifyDocuments([
        { source: "a.yaml#1", doc: { apiVersion: "karpenter.sh/v1beta1", kind: "NodePool", metadata: { name: "old" } } },
        { source: "a.yaml#2", doc: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } } },
        { source: "a.yaml#3", doc: ["not", "an", "object"] },
        { source: "a.yaml#4", doc: { kind: "Pod" } },
      ]),
    );
    expect(lines).toEqual([
      "a.yaml#1: apiVersion: NodePool karpenter.sh/v1beta1 is not supported; simulate reads NodePool as karpenter.sh/v1",
      "a.yaml#3: is not a Kubernetes object (expected a map with apiVersion and kind)",
      "a.yaml#4: apiVersion: is required",
    ]);
  });

  it("skips kinds it does not model with one note naming them and their counts", () => {
    const notes: string[] = [];
    const objects = classifyDocuments(
      [
        { source: "a.yaml#1", doc: { apiVersion: "v1", kind: "Service", metadata: { name: "web" } } },
        { source: "a.yaml#2", doc: { apiVersion: "v1", kind: "Service", metadata: { name: "api" } } },
        { source: "a.yaml#3", doc: pod("p") },
        { source: "a.yaml#4", doc: { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "web" } } },
        { source: "a.yaml#5", doc: { apiVersion: "karpenter.sh/v1alpha1", kind: "NodeOverlay", metadata: { name: "o" } } },
        { source: "a.yaml#6", doc: { apiVersion: "karpenter.kwok.sh/v1alpha1", kind: "KWOKNodeClass", metadata: { name: "k" } } },
      ],
      (m) => notes.push(m),
    );
    expect(objects.pods.map((p) => p.metadata.name)).toEqual(["p"]);
    expect(notes).toEqual([
      "skipped 2 Service, 1 HorizontalPodAutoscaler, 1 NodeOverlay, 1 KWOKNodeClass: kinds that do not affect scheduling here; NodeOverlay adjustments to price and capacity are not applied",
    ]);
  });

  it("rejects a kind that its API group does not have (a typo), while skipping real kinds it does not model", () => {
    const notes: string[] = [];
    const lines = inputProblems(() =>
      classifyDocuments(
        [
          { source: "a.yaml#1", doc: { apiVersion: "apps/v1", kind: "Deploymnet", metadata: { name: "web" } } },
          { source: "a.yaml#2", doc: { apiVersion: "karpenter.sh/v1", kind: "NodePol", metadata: { name: "default" } } },
          { source: "a.yaml#3", doc: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } } },
          { source: "a.yaml#4", doc: { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "tls" } } },
        ],
        (m) => notes.push(m),
      ),
    );
    expect(lines).toEqual(['a.yaml#1: kind: "Deploymnet" is not a kind of apps/v1', 'a.yaml#2: kind: "NodePol" is not a kind of karpenter.sh/v1']);
  });

  it("rejects duplicate objects and malformed pods with their field", () => {
    const lines = inputProblems(() =>
      classifyDocuments([
        { source: "a.yaml#1", doc: pod("p") },
        { source: "a.yaml#2", doc: pod("p") },
        { source: "a.yaml#3", doc: { apiVersion: "v1", kind: "Pod", metadata: { name: "q" }, spec: { containers: [] } } },
        { source: "a.yaml#4", doc: { apiVersion: "v1", kind: "Pod", metadata: {}, spec: { containers: [{ name: "c" }] } } },
      ]),
    );
    expect(lines).toEqual([
      "Pod default/q: spec.containers: must list at least one container",
      "Pod in a.yaml#4: metadata.name: is required",
      "Pod default/p: metadata.name: appears more than once in the input",
    ]);
  });
});

describe("expandWorkloads", () => {
  const template = { metadata: { labels: { app: "db" } }, spec: { containers: [{ name: "c" }] } };
  const sts: Workload = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db", namespace: "data" },
    spec: { replicas: 2, template, volumeClaimTemplates: [{ metadata: { name: "pgdata" }, spec: { storageClassName: "gp3" } }] },
  };

  it("gives StatefulSet pods their claim volumes and creates missing claims <template>-<name>-<i>", () => {
    const existing: PersistentVolumeClaim = { metadata: { name: "pgdata-db-0", namespace: "data" }, spec: { volumeName: "pv-1" } };
    const out = expandWorkloads([sts], [], [existing]);
    expect(out.pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(["data/db-0", "data/db-1"]);
    expect(out.pods[1]!.spec.volumes).toEqual([{ name: "pgdata", persistentVolumeClaim: { claimName: "pgdata-db-1" } }]);
    expect(out.pods[0]!.metadata.labels).toMatchObject({ app: "db", "statefulset.kubernetes.io/pod-name": "db-0" });
    expect(out.persistentVolumeClaims.map((c) => c.metadata.name)).toEqual(["pgdata-db-1"]);
  });

  it("creates replicas 0 pods for replicas: 0 and rejects a name clash with a given pod", () => {
    expect(expandWorkloads([{ ...sts, spec: { ...sts.spec, replicas: 0 } }], [], []).pods).toEqual([]);
    const clash: Pod = { metadata: { name: "db-1", namespace: "data" }, spec: { containers: [{ name: "c" }] } };
    expect(inputProblems(() => expandWorkloads([sts], [clash], []))).toEqual(["StatefulSet data/db: metadata.name: its pod data/db-1 clashes with another pod in the input"]);
  });
});
