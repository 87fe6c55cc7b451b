/**
 * Sorts loaded documents into the object kinds simulate understands, by apiVersion and kind, and
 * checks each. Every problem in every document is collected, so one run reports all of them.
 */
import { parseEC2NodeClass } from "../api/ec2nodeclass.ts";
import { parseNodeClaim } from "../api/nodeclaim.ts";
import { parseNodePool } from "../api/nodepool.ts";
import type { EC2NodeClass, NodeClaim, NodePool } from "../api/types.ts";
import { InputError, type InputProblem } from "../errors.ts";
import type {
  DaemonSet,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
  StorageClass,
  Workload,
} from "../api/kubernetes.ts";
import {
  checkClaimSpec,
  checkCount,
  checkMetadata,
  checkNode,
  checkPersistentVolume,
  checkPersistentVolumeClaim,
  checkPodDisruptionBudget,
  checkPodSpec,
  checkStorageClass,
  checkTemplate,
  describeObject,
} from "./validate.ts";

export interface LoadedDocument {
  /** Where the document came from, e.g. `file web.yaml document 2`. */
  source: string;
  doc: unknown;
}

export interface SimulationObjects {
  nodePools: NodePool[];
  nodeClasses: EC2NodeClass[];
  nodeClaims: NodeClaim[];
  pods: Pod[];
  nodes: Node[];
  daemonSets: DaemonSet[];
  workloads: Workload[];
  persistentVolumeClaims: PersistentVolumeClaim[];
  persistentVolumes: PersistentVolume[];
  storageClasses: StorageClass[];
  podDisruptionBudgets: PodDisruptionBudget[];
}

export function emptyObjects(): SimulationObjects {
  return {
    nodePools: [],
    nodeClasses: [],
    nodeClaims: [],
    pods: [],
    nodes: [],
    daemonSets: [],
    workloads: [],
    persistentVolumeClaims: [],
    persistentVolumes: [],
    storageClasses: [],
    podDisruptionBudgets: [],
  };
}

type Record_ = Record<string, unknown>;
type Handler = (doc: Record_, source: string, into: SimulationObjects, problems: InputProblem[]) => void;

/** Runs a lib/api parser, turning its InputError into collected problems. */
function parsed<T>(parse: () => T, problems: InputProblem[]): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InputError) {
      problems.push(...error.problems);
      return undefined;
    }
    throw error;
  }
}

/**
 * Checks a core object and adds it to its list when it has no problems, after `defaults` filled in
 * what the API server would (an absent or null optional block becomes empty).
 */
function core<T>(
  kind: string,
  check: (doc: Record_, object: string, problems: InputProblem[]) => void,
  list: (o: SimulationObjects) => T[],
  defaults: (doc: Record_) => Record_ = (doc) => doc,
): Handler {
  return (doc, source, into, problems) => {
    const object = describeObject(kind, doc, source);
    const before = problems.length;
    checkMetadata(doc, object, problems);
    check(doc, object, problems);
    if (problems.length === before) list(into).push(defaults(doc) as T);
  };
}

/** A Node's `spec` is optional (`spec: null` is the same as none). */
function nodeDefaults(doc: Record_): Record_ {
  return doc.spec === undefined || doc.spec === null ? { ...doc, spec: {} } : doc;
}

function workload(kind: Workload["kind"], countField: "replicas" | "parallelism"): Handler {
  return core<Workload>(
    kind,
    (doc, object, problems) => {
      checkTemplate(doc.spec, object, problems);
      const spec = doc.spec as Record_ | undefined;
      checkCount(spec?.[countField], object, `spec.${countField}`, problems);
      if (kind === "StatefulSet" && spec?.volumeClaimTemplates !== undefined) {
        const templates = spec.volumeClaimTemplates;
        if (!Array.isArray(templates)) problems.push({ object, path: "spec.volumeClaimTemplates", reason: "must be a list" });
        else
          templates.forEach((t, i) => {
            const name = (t as { metadata?: { name?: unknown } } | null)?.metadata?.name;
            if (typeof name !== "string" || name === "") problems.push({ object, path: `spec.volumeClaimTemplates[${i}].metadata.name`, reason: "is required" });
            const spec = (t as { spec?: unknown } | null)?.spec;
            if (typeof spec !== "object" || spec === null || Array.isArray(spec)) problems.push({ object, path: `spec.volumeClaimTemplates[${i}].spec`, reason: "is required" });
            else checkClaimSpec(spec as Record_, object, `spec.volumeClaimTemplates[${i}].spec`, problems);
          });
      }
    },
    (o) => o.workloads,
  );
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  "karpenter.sh/v1 NodePool": (doc, _source, into, problems) => {
    const pool = parsed(() => parseNodePool(doc), problems);
    if (pool) into.nodePools.push(pool);
  },
  "karpenter.k8s.aws/v1 EC2NodeClass": (doc, _source, into, problems) => {
    const nodeClass = parsed(() => parseEC2NodeClass(doc), problems);
    if (nodeClass) into.nodeClasses.push(nodeClass);
  },
  "karpenter.sh/v1 NodeClaim": (doc, _source, into, problems) => {
    const claim = parsed(() => parseNodeClaim(doc), problems);
    if (claim) into.nodeClaims.push(claim);
  },
  "v1 Pod": core<Pod>("Pod", (doc, object, problems) => checkPodSpec(doc.spec, object, "spec", problems), (o) => o.pods),
  "v1 Node": core<Node>("Node", checkNode, (o) => o.nodes, nodeDefaults),
  "v1 PersistentVolumeClaim": core<PersistentVolumeClaim>("PersistentVolumeClaim", checkPersistentVolumeClaim, (o) => o.persistentVolumeClaims),
  "v1 PersistentVolume": core<PersistentVolume>("PersistentVolume", checkPersistentVolume, (o) => o.persistentVolumes),
  "storage.k8s.io/v1 StorageClass": core<StorageClass>("StorageClass", checkStorageClass, (o) => o.storageClasses),
  "policy/v1 PodDisruptionBudget": core<PodDisruptionBudget>("PodDisruptionBudget", checkPodDisruptionBudget, (o) => o.podDisruptionBudgets),
  "apps/v1 DaemonSet": core<DaemonSet>("DaemonSet", (doc, object, problems) => checkTemplate(doc.spec, object, problems), (o) => o.daemonSets),
  "apps/v1 Deployment": workload("Deployment", "replicas"),
  "apps/v1 StatefulSet": workload("StatefulSet", "replicas"),
  "apps/v1 ReplicaSet": workload("ReplicaSet", "replicas"),
  "batch/v1 Job": workload("Job", "parallelism"),
};

export const UNDERSTOOD_KINDS: readonly string[] = Object.keys(HANDLERS);

/** The kind names simulate reads, each with the one apiVersion it reads it in. */
const UNDERSTOOD_API_VERSION: ReadonlyMap<string, string> = new Map(UNDERSTOOD_KINDS.map((k) => [k.split(" ")[1]!, k.split(" ")[0]!]));

/**
 * Kinds that can't change the decision but that a user or tool may still have meant something by:
 * NodeOverlay adjusts prices and capacity in Karpenter, which simulate does not apply.
 */
const NOT_APPLIED: Readonly<Record<string, string>> = { NodeOverlay: "NodeOverlay adjustments to price and capacity are not applied" };

/**
 * Every kind of the API groups simulate reads from (Kubernetes 1.35, Karpenter v1). A kind outside
 * its group's list is a typo or a made-up kind, not a resource of another product: that stays an
 * input error, as the contract says ("unknown kinds are an input error"); real kinds that do not
 * affect scheduling, and every kind of any other API group, are skipped with one note.
 */
const KINDS_OF_GROUP: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    v1: "Binding ComponentStatus ConfigMap Endpoints Event LimitRange Namespace Node PersistentVolume PersistentVolumeClaim Pod PodTemplate ReplicationController ResourceQuota Secret Service ServiceAccount",
    "apps/v1": "ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet",
    "batch/v1": "CronJob Job",
    "policy/v1": "Eviction PodDisruptionBudget",
    "storage.k8s.io/v1": "CSIDriver CSINode CSIStorageCapacity StorageClass VolumeAttachment VolumeAttributesClass",
    "karpenter.sh/v1": "NodeClaim NodePool",
    "karpenter.k8s.aws/v1": "EC2NodeClass",
  }).map(([group, kinds]) => [group, new Set(kinds.split(" "))]),
);

/** `3 Service, 1 ConfigMap`: each kind with its count, in the order first seen. */
export function countKinds(kinds: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([kind, count]) => `${count} ${kind}`).join(", ");
}

/** One note for every document of a kind simulate does not model. */
export function skippedKindsNote(kinds: readonly string[]): string | undefined {
  if (kinds.length === 0) return undefined;
  const caveats = [...new Set(kinds)].flatMap((kind) => (NOT_APPLIED[kind] ? [NOT_APPLIED[kind]] : []));
  const listed = countKinds(kinds);
  return `skipped ${listed}: kinds that do not affect scheduling here${caveats.length > 0 ? `; ${caveats.join("; ")}` : ""}`;
}

/**
 * Sorts documents by kind (each list in API-server order); throws one InputError listing every
 * problem found. Documents of kinds simulate does not model (Service, ConfigMap, ...) are skipped
 * and reported once through `note`; a kind it models in another apiVersion (an old NodePool) and
 * anything that is not a Kubernetes object stay errors.
 */
export function classifyDocuments(documents: readonly LoadedDocument[], note: (message: string) => void = () => {}): SimulationObjects {
  const into = emptyObjects();
  const problems: InputProblem[] = [];
  const skipped: string[] = [];
  for (const { source, doc } of documents) {
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
      problems.push({ object: source, path: "", reason: "is not a Kubernetes object (expected a map with apiVersion and kind)" });
      continue;
    }
    const record = doc as Record_;
    const apiVersion = typeof record.apiVersion === "string" ? record.apiVersion : "";
    const kind = typeof record.kind === "string" ? record.kind : "";
    if (!apiVersion || !kind) {
      problems.push({ object: source, path: apiVersion ? "kind" : "apiVersion", reason: "is required" });
      continue;
    }
    const handler = HANDLERS[`${apiVersion} ${kind}`];
    if (!handler) {
      const expected = UNDERSTOOD_API_VERSION.get(kind);
      const groupKinds = KINDS_OF_GROUP.get(apiVersion);
      if (expected === undefined && groupKinds && !groupKinds.has(kind)) {
        problems.push({ object: source, path: "kind", reason: `${JSON.stringify(kind)} is not a kind of ${apiVersion}` });
      } else if (expected === undefined) skipped.push(kind);
      else problems.push({ object: source, path: "apiVersion", reason: `${kind} ${apiVersion} is not supported; simulate reads ${kind} as ${expected}` });
      continue;
    }
    handler(record, source, into, problems);
  }
  problems.push(...duplicateProblems(into));
  if (problems.length > 0) throw new InputError(problems);
  const skippedNote = skippedKindsNote(skipped);
  if (skippedNote) note(skippedNote);
  return inApiServerOrder(into);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byNamespaceAndName(a: { metadata: { name: string; namespace?: string } }, b: { metadata: { name: string; namespace?: string } }): number {
  return compareStrings(a.metadata.namespace || "default", b.metadata.namespace || "default") || compareStrings(a.metadata.name, b.metadata.name);
}

/**
 * Every list sorted by (kind,) namespace and name, as the API server lists objects. The contract
 * promises the same output for the same input: the same objects given in other files, or in
 * another order, are the same input (first-fit and tie-breaks would otherwise follow file order).
 * Problems are still reported in input order; workload pods keep their index order on expansion.
 */
function inApiServerOrder(objects: SimulationObjects): SimulationObjects {
  return {
    nodePools: [...objects.nodePools].sort(byNamespaceAndName),
    nodeClasses: [...objects.nodeClasses].sort(byNamespaceAndName),
    nodeClaims: [...objects.nodeClaims].sort(byNamespaceAndName),
    pods: [...objects.pods].sort(byNamespaceAndName),
    nodes: [...objects.nodes].sort(byNamespaceAndName),
    daemonSets: [...objects.daemonSets].sort(byNamespaceAndName),
    workloads: [...objects.workloads].sort((a, b) => compareStrings(a.kind, b.kind) || byNamespaceAndName(a, b)),
    persistentVolumeClaims: [...objects.persistentVolumeClaims].sort(byNamespaceAndName),
    persistentVolumes: [...objects.persistentVolumes].sort(byNamespaceAndName),
    storageClasses: [...objects.storageClasses].sort(byNamespaceAndName),
    podDisruptionBudgets: [...objects.podDisruptionBudgets].sort(byNamespaceAndName),
  };
}

function duplicateProblems(objects: SimulationObjects): InputProblem[] {
  const problems: InputProblem[] = [];
  const check = (kind: string, items: ReadonlyArray<{ metadata: { name: string; namespace?: string } }>, namespaced: boolean) => {
    const seen = new Set<string>();
    for (const item of items) {
      const key = namespaced ? `${item.metadata.namespace || "default"}/${item.metadata.name}` : item.metadata.name;
      if (seen.has(key)) problems.push({ object: `${kind} ${key}`, path: "metadata.name", reason: "appears more than once in the input" });
      seen.add(key);
    }
  };
  check("NodePool", objects.nodePools, false);
  check("EC2NodeClass", objects.nodeClasses, false);
  check("NodeClaim", objects.nodeClaims, false);
  check("Node", objects.nodes, false);
  check("Pod", objects.pods, true);
  check("DaemonSet", objects.daemonSets, true);
  check("PersistentVolumeClaim", objects.persistentVolumeClaims, true);
  check("PersistentVolume", objects.persistentVolumes, false);
  check("StorageClass", objects.storageClasses, false);
  check("PodDisruptionBudget", objects.podDisruptionBudgets, true);
  for (const kind of ["Deployment", "StatefulSet", "ReplicaSet", "Job"]) {
    check(kind, objects.workloads.filter((w) => w.kind === kind), true);
  }
  return problems;
}
