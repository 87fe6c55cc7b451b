/**
 * PodDisruptionBudgets: which of them cover a pod and whether they let it be evicted now. A pod's
 * eviction is refused when one of its PDBs allows no disruption (unless the PDB lets unhealthy pods
 * go and the pod is not ready), or when more than one PDB covers it (the eviction API refuses those).
 * Mirror pods can't be evicted at all, so no PDB ever blocks for them.
 */
import type { Pod, PodDisruptionBudget } from "../api/kubernetes.ts";
import { podKey } from "../api/kubernetes.ts";
import { compileSelector, type CompiledSelector } from "../scheduling/label-selector.ts";
import { isMirrorPod, isTerminal, isTerminating } from "./pods.ts";

interface IndexedPdb {
  key: string;
  namespace: string;
  selector: CompiledSelector;
  allowed: number;
  alwaysAllowUnhealthy: boolean;
}

function isReady(pod: Pod): boolean {
  const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
  return ready === undefined ? pod.status?.phase === undefined || pod.status.phase === "Running" : ready.status === "True";
}

/** An int or a percentage of `total`, rounded up as Kubernetes scales PDB percentages. */
function scaled(value: number | string, total: number): number {
  if (typeof value === "number") return value;
  const match = /^(\d+)%$/.exec(value);
  if (match) return Math.ceil((Number(match[1]) * total) / 100);
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

export class PdbIndex {
  private readonly pdbs: IndexedPdb[];

  /** `pods` are every pod bound to a node, used to compute disruptionsAllowed when a PDB has no status. */
  constructor(pdbs: readonly PodDisruptionBudget[], pods: readonly Pod[]) {
    this.pdbs = pdbs.map((pdb) => {
      const namespace = pdb.metadata.namespace || "default";
      // policy/v1: an empty selector selects every pod of the namespace; no selector selects none.
      const selector = compileSelector(pdb.spec.selector ?? undefined);
      let allowed = pdb.status?.disruptionsAllowed;
      if (allowed === undefined) {
        const matching = pods.filter((p) => (p.metadata.namespace || "default") === namespace && !isTerminal(p) && !isTerminating(p) && selector.matches(p.metadata.labels ?? {}));
        const expected = matching.length;
        const healthy = matching.filter(isReady).length;
        if (pdb.spec.maxUnavailable !== undefined) allowed = healthy - (expected - scaled(pdb.spec.maxUnavailable, expected));
        else if (pdb.spec.minAvailable !== undefined) allowed = healthy - scaled(pdb.spec.minAvailable, expected);
        else allowed = healthy;
        allowed = Math.max(0, allowed);
      }
      return { key: `${namespace}/${pdb.metadata.name}`, namespace, selector, allowed, alwaysAllowUnhealthy: pdb.spec.unhealthyPodEvictionPolicy === "AlwaysAllow" };
    });
  }

  /** Why the pod can't be evicted now because of PDBs, or undefined. */
  blocks(pod: Pod): string | undefined {
    if (this.pdbs.length === 0 || isMirrorPod(pod) || isTerminal(pod) || isTerminating(pod)) return undefined;
    const namespace = pod.metadata.namespace || "default";
    const covering = this.pdbs.filter((p) => p.namespace === namespace && p.selector.matches(pod.metadata.labels ?? {}));
    if (covering.length > 1) return `pod ${podKey(pod)} is covered by more than one PDB (${covering.map((p) => p.key).join(", ")}), which the eviction API refuses`;
    const pdb = covering[0];
    if (!pdb || pdb.allowed > 0) return undefined;
    if (pdb.alwaysAllowUnhealthy && !isReady(pod)) return undefined;
    return `PDB ${pdb.key} allows no disruption of pod ${podKey(pod)}`;
  }
}
