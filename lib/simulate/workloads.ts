/**
 * Expands workloads into the pending pods their controllers would create: `replicas` pods for a
 * Deployment, StatefulSet or ReplicaSet (default 1) and `parallelism` pods for a Job (default 1),
 * named `<name>-<i>` from 0. StatefulSet pods get their volumeClaimTemplates as volumes, and the
 * claims `<template>-<name>-<i>` are added unless the input already has them.
 *
 * A run places at most MAX_PENDING_PODS pods: a count past that (a typo such as `replicas: 1e8`)
 * is an input error naming the workload, not an hour-long run that ends out of memory.
 */
import { InputError, type InputProblem } from "../errors.ts";
import type { PersistentVolumeClaim, Pod, Volume, Workload } from "../api/kubernetes.ts";
import { podKey } from "../api/kubernetes.ts";

export interface ExpandedWorkloads {
  pods: Pod[];
  persistentVolumeClaims: PersistentVolumeClaim[];
}

/** Five times the largest benchmarked run (docs/benchmarks.md): seconds, not hours. */
export const MAX_PENDING_PODS = 100_000;

function podCount(workload: Workload): number {
  const count = workload.kind === "Job" ? workload.spec.parallelism : workload.spec.replicas;
  return count ?? 1;
}

/** The pods (and StatefulSet claims) the workloads create, checked for clashes with pods already given. */
export function expandWorkloads(
  workloads: readonly Workload[],
  existingPods: readonly Pod[],
  existingClaims: readonly PersistentVolumeClaim[],
): ExpandedWorkloads {
  const out: ExpandedWorkloads = { pods: [], persistentVolumeClaims: [] };
  const podNames = new Set(existingPods.map(podKey));
  const claimNames = new Set(existingClaims.map((c) => `${c.metadata.namespace || "default"}/${c.metadata.name}`));
  const problems: InputProblem[] = [];
  let total = existingPods.length;
  for (const workload of workloads) {
    const namespace = workload.metadata.namespace || "default";
    const name = workload.metadata.name;
    total += podCount(workload);
    if (total > MAX_PENDING_PODS) {
      const field = workload.kind === "Job" ? "spec.parallelism" : "spec.replicas";
      problems.push({
        object: `${workload.kind} ${namespace}/${name}`,
        path: field,
        reason: `${podCount(workload)} pods would take the input past ${MAX_PENDING_PODS} pods, the most simulate places in one run`,
      });
      break;
    }
    for (let i = 0; i < podCount(workload); i++) {
      const pod = podFor(workload, i);
      const key = podKey(pod);
      if (podNames.has(key)) {
        problems.push({ object: `${workload.kind} ${namespace}/${name}`, path: "metadata.name", reason: `its pod ${key} clashes with another pod in the input` });
        continue;
      }
      podNames.add(key);
      out.pods.push(pod);
      if (workload.kind !== "StatefulSet") continue;
      for (const template of workload.spec.volumeClaimTemplates ?? []) {
        const claimName = `${template.metadata.name}-${name}-${i}`;
        if (claimNames.has(`${namespace}/${claimName}`)) continue;
        claimNames.add(`${namespace}/${claimName}`);
        out.persistentVolumeClaims.push({
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: claimName, namespace, ...(template.metadata.labels ? { labels: { ...template.metadata.labels } } : {}) },
          spec: template.spec,
        });
      }
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return out;
}

/** The pod `<name>-<index>` a workload's controller creates (the replay's expansion uses it too). */
export function podFor(workload: Workload, index: number): Pod {
  const name = `${workload.metadata.name}-${index}`;
  const template = workload.spec.template;
  const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}) };
  if (workload.kind === "StatefulSet") labels["statefulset.kubernetes.io/pod-name"] = name;
  const spec = { ...template.spec };
  if (workload.kind === "StatefulSet" && workload.spec.volumeClaimTemplates?.length) {
    const claimVolumes: Volume[] = workload.spec.volumeClaimTemplates.map((t) => ({
      name: t.metadata.name!,
      persistentVolumeClaim: { claimName: `${t.metadata.name}-${workload.metadata.name}-${index}` },
    }));
    const declared = new Set(claimVolumes.map((v) => v.name));
    spec.volumes = [...(spec.volumes ?? []).filter((v) => !declared.has(v.name)), ...claimVolumes];
  }
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: workload.metadata.namespace || "default",
      labels,
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [{ apiVersion: workload.apiVersion ?? "apps/v1", kind: workload.kind, name: workload.metadata.name, controller: true }],
    },
    spec,
  };
}
